import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { GatewayContext } from '../state.js';
import { startClientSpan } from '../tracing/client-span.js';
import type { Instance } from './instance.js';

/**
 * How a WebSocket handshake ended: the service switched protocols (with its socket), answered otherwise, failed, or the
 * client left.
 */
export type Handshake =
  | { readonly response: IncomingMessage; readonly socket: Socket; readonly head: Buffer }
  | { readonly response: IncomingMessage; readonly socket?: undefined }
  | { readonly failure: unknown }
  | { readonly clientLeft: true };

/**
 * Sends a WebSocket handshake to `instance` over node:http (got cannot carry an upgrade); the
 * service timeout bounds connecting and the wait for the answer. The connection is its own: after
 * a 101 it belongs to the tunnel, never to a pool.
 */
export function sendHandshake(
  ctx: GatewayContext,
  service: string,
  instance: Instance,
  path: string,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
): Promise<Handshake> {
  const { target } = instance;
  return new Promise((resolve) => {
    let clientLeft = false;
    const transport = target.secure ? https : http;
    const span = startClientSpan(
      ctx,
      { service, protocol: target.secure ? 'https:' : 'http:', address: target.address, port: target.port },
      path,
    );
    const request = transport.request({
      hostname: target.address,
      port: target.port,
      method: 'GET',
      path,
      headers: { ...headers, ...span.headers, host: target.host },
      agent: false,
      ...(target.secure ? { servername: target.servername } : {}),
    });
    span.follow(request);
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    // The client left during the handshake: the service's connection goes too.
    const onClientClose = (): void => {
      clientLeft = true;
      request.destroy();
    };
    const stopWatching = watchClientLeaving(ctx.req.socket);
    const settle = (): void => {
      clearTimeout(timer);
      stopWatching();
      ctx.res.off('close', onClientClose);
    };
    request.on('error', (error) => {
      settle();
      resolve(clientLeft ? { clientLeft } : { failure: error });
    });
    request.once('response', (response: IncomingMessage) => {
      settle();
      resolve({ response });
    });
    request.once('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      settle();
      resolve({ response, socket, head });
    });
    ctx.res.once('close', onClientClose);
    request.end();
  });
}

/**
 * Nothing reads the client's socket before the tunnel opens (its frames must wait for the 101),
 * so a client that leaves shows only as the end of what it sent: read for that end without
 * consuming anything, and close the connection when it comes (the response's 'close' follows).
 * Returns the function that stops watching, before the socket is piped.
 */
function watchClientLeaving(client: Socket): () => void {
  const onReadable = (): void => {
    if (client.readableLength === 0) client.read(0);
  };
  const onEnd = (): void => void client.destroy();
  client.on('readable', onReadable);
  client.once('end', onEnd);
  return () => {
    client.off('readable', onReadable);
    client.off('end', onEnd);
  };
}
