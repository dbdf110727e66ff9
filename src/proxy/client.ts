import http from 'node:http';
import https from 'node:https';
import got, { type Got } from 'got';

/** Free keep-alive sockets are closed after this long: below the 5 s keep-alive timeout of Node and Spring servers. */
const FREE_SOCKET_TIMEOUT_MS = 4000;

/** The forwarder's got instance: made once at start-up, everything a request does not change set here. */
export function createUpstreamClient(): { client: Got; close(): void } {
  const agents = {
    http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: FREE_SOCKET_TIMEOUT_MS }),
    https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: FREE_SOCKET_TIMEOUT_MS }),
  };
  const client = got.extend({
    agent: agents,
    decompress: false,
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    allowGetBody: true,
    // got would add its own User-Agent to requests whose client sent none; undefined removes it.
    headers: { 'user-agent': undefined },
  });
  return {
    client,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
