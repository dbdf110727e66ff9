import type { Server } from 'node:http';
import { pino } from 'pino';
import { createGateway } from './app.js';
import { watchGatewayFile } from './config-reload.js';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { createMetricsServer } from './metrics.js';
import { createServer } from './server.js';
import { drainServer } from './shutdown.js';

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
// pino's synchronous stdout: one write(2) per line on the request path. Measured cheaper per request
// than the asynchronous destination (libuv's threadpool wakes for every batch), and a stdout slower
// than the log rate pushes back instead of buffering without bound.
// pino's `name` field says which program wrote a line; `service`, on request and failure lines,
// names the shop service involved (a base `service` would put two keys of one name in a line).
const logger = pino({ level: config.logLevel, name: 'api-gateway', base: undefined });
const gateway = createGateway(config, { logger });
const server = createServer(gateway, config.server);
const metricsServer = config.metricsPort !== 0 ? createMetricsServer(gateway.metrics.registry) : undefined;
// The env is read once, above: a reload reads the gateway file again, and nothing else.
const reloads = watchGatewayFile({ env: process.env, gateway, logger });

function exit(code: number): never {
  logger.flush();
  process.exit(code);
}

function listen(target: Server, port: number, what: string, onListening: () => void): void {
  target.on('error', (error: NodeJS.ErrnoException) => {
    logger.fatal({ code: error.code }, `cannot listen for ${what} on ${config.host}:${port}: ${error.message}`);
    exit(1);
  });
  target.listen(port, config.host, onListening);
}

listen(server, config.port, 'requests', () => {
  logger.info(
    {
      address: server.address(),
      routes: config.routes.map((route) => `${route.prefix} -> ${route.service.name}${route.upstreamPath}`),
      services: config.services.map((service) => ({
        name: service.name,
        urls: service.urls,
        timeoutMs: service.timeoutMs,
        idleTimeoutMs: service.idleTimeoutMs,
      })),
      rateLimiter:
        config.rateLimit.redis === undefined
          ? 'memory'
          : config.rateLimit.redis.kind === 'url'
            ? 'redis'
            : 'redis-sentinel',
      requireAuth: config.auth.required,
      gatewayFile: config.gatewayFile,
      tracing: tracingSummary(config.tracing),
    },
    'gateway listening',
  );
});
if (metricsServer !== undefined) {
  listen(metricsServer, config.metricsPort, 'metrics', () => {
    logger.info({ address: metricsServer.address() }, 'metrics listening on /metrics');
  });
}

/** What the start-up line says of tracing: where spans go and how they are sampled; never the exporter's headers. */
function tracingSummary(tracing: Config['tracing']): Record<string, unknown> {
  const sampler = tracing.sampler.name.endsWith('traceidratio')
    ? `${tracing.sampler.name}:${tracing.sampler.ratio}`
    : tracing.sampler.name;
  if (tracing.exporter === undefined) return { export: 'off (traceparent propagated only)', sampler };
  return {
    export: new URL(tracing.exporter.url).origin,
    protocol: tracing.exporter.protocol,
    service: tracing.serviceName,
    sampler,
  };
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutdown requested');
  reloads.close();
  const code = await drainServer({ server, gateway, graceMs: config.shutdownGraceMs, logger });
  metricsServer?.close();
  exit(code);
}

process.on('SIGTERM', (signal) => void stop(signal));
process.on('SIGINT', (signal) => void stop(signal));
// nginx's and HAProxy's reload signal; a change of the file's directory reloads it too (config-reload.ts).
process.on('SIGHUP', () => void reloads.reload('signal'));
