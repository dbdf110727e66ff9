import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { GatewayMiddleware, GatewayState } from '../../../src/state.js';

/** A tiny real Koa app listening on an ephemeral loopback port. */
export interface ServedApp {
  readonly port: number;
  close(): Promise<void>;
}

/** Composes `layers`, outermost first, into a Koa app on 127.0.0.1:0. */
export async function serve(layers: readonly GatewayMiddleware[]): Promise<ServedApp> {
  const app = new Koa<GatewayState>();
  for (const layer of layers) app.use(layer);
  const handle = app.callback();
  const server = http.createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
