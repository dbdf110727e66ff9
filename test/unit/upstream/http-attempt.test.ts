import http, { type RequestOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import { expect } from 'chai';
import type { RequestFunction } from 'got';
import { loadConfig } from '../../../src/config/index.js';
import { createServiceClient } from '../../../src/upstream/http-attempt.js';

v8.setFlagsFromString('--allow-natives-syntax');
/** Whether V8 gives two objects one hidden class: a `%` intrinsic, compiled once the flag above is on. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the only way to reach a V8 intrinsic
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: object, b: object) => boolean;

describe('createServiceClient', () => {
  let server: http.Server;
  let url: string;

  before(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // Regression: on Node 20 each request's options got new hidden classes from the 11th request on,
  // and ~13 KiB a request went to the old generation until a full GC.
  it('when requests follow one another, then the options got builds for each keep one hidden class', async () => {
    const client = createServiceClient(loadConfig({}).services[0]!);
    const built: object[] = [];
    const request: RequestFunction = (target, options, callback) => {
      built.push(options);
      return http.request(target, options as RequestOptions, callback);
    };
    for (let i = 0; i < 30; i++) {
      const upstream = client.stream(url, { request });
      upstream.end();
      upstream.resume();
      await new Promise((resolve, reject) => upstream.once('end', resolve).once('error', reject));
    }
    expect(built).to.have.length(30);
    const differing = built.filter((options) => !haveSameMap(options, built[0]!)).length;
    expect(differing).to.equal(0);
  });
});
