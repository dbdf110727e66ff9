import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createServer } from '../../src/server.js';
import { createMemoryLogger } from './logger.js';

/** A gateway built in-process and listening on an ephemeral loopback port. */
export interface RunningGateway {
  readonly port: number;
  readonly config: Config;
  readonly gateway: Gateway;
  readonly server: http.Server;
  /** Every log line the gateway wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Env for tests: auth off unless a test turns it on, so each test states what it needs. */
const TEST_ENV = { REQUIRE_AUTH: 'false', LOG_LEVEL: 'debug' };

/** Builds the gateway from `env` (over test defaults) and listens on 127.0.0.1:0; `now` replaces the breakers' clock. */
export async function startGateway(env: Record<string, string> = {}, options: { now?: () => number } = {}): Promise<RunningGateway> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const { logger, lines } = createMemoryLogger();
  const gateway = createGateway(config, { logger, now: options.now });
  const server = createServer(gateway, config.server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    config,
    gateway,
    server,
    logs: lines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

/** Service URL env variables pointing every service at `url`. */
export function allServicesAt(url: string): Record<string, string> {
  return {
    AUTH_SERVICE_URL: url,
    USER_SERVICE_URL: url,
    PRODUCT_SERVICE_URL: url,
    INVENTORY_SERVICE_URL: url,
  };
}
