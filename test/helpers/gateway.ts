import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '../../src/app.js';
import { watchGatewayFile, type ConfigReload } from '../../src/config-reload.js';
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
  /** Reloads of the gateway file, when started with `reload`, as the process runs them (index.ts). */
  readonly reloads: ConfigReload | undefined;
  close(): Promise<void>;
}

/** Env for tests: auth off unless a test turns it on, so each test states what it needs. */
const TEST_ENV = { REQUIRE_AUTH: 'false', LOG_LEVEL: 'debug' };

/**
 * Builds the gateway from `env` (over test defaults) and listens on 127.0.0.1:0; `now` replaces the
 * breakers' clock; `reload` watches the gateway file and reloads it, as the process does.
 */
export async function startGateway(
  env: Record<string, string> = {},
  options: { now?: () => number; reload?: boolean } = {},
): Promise<RunningGateway> {
  const fullEnv = { ...TEST_ENV, ...env };
  const config = loadConfig(fullEnv);
  const { logger, lines } = createMemoryLogger();
  const gateway = createGateway(config, { logger, now: options.now });
  const reloads = options.reload === true ? watchGatewayFile({ env: fullEnv, gateway, logger }) : undefined;
  const server = createServer(gateway, config.server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    config,
    gateway,
    server,
    logs: lines,
    reloads,
    async close() {
      reloads?.close();
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
