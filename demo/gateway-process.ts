import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { SERVICES, type ServiceId } from './services.js';
import { exitStatus, spawnNode, type Ended, type NodeProcess } from './node-process.js';
import { DemoSettingsError, type DemoSettings } from './settings.js';

/** The built gateway, exactly what `npm start` runs: this file is built to dist-demo/demo/, the gateway to dist/. */
const GATEWAY_ENTRY = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const READY_POLL_MS = 100;
const PROBE_TIMEOUT_MS = 1000;

/** The gateway's env: `base` with the service URLs at the stubs, the stubs' JWT settings, and auth required. */
export function gatewayEnv(base: NodeJS.ProcessEnv, settings: DemoSettings): NodeJS.ProcessEnv {
  // Stubs listening on every interface are reached on loopback.
  const host = settings.stubHost === '0.0.0.0' || settings.stubHost === '::' ? '127.0.0.1' : settings.stubHost;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const urls = Object.fromEntries(
    (Object.keys(SERVICES) as ServiceId[]).map((id) => [
      `${SERVICES[id].env}_SERVICE_URL`,
      `http://${urlHost}:${settings.stubPorts[id]}`,
    ]),
  );
  return {
    ...base,
    ...urls,
    PORT: String(settings.gatewayPort),
    HOST: '127.0.0.1',
    REQUIRE_AUTH: 'true',
    JWT_SECRET: settings.jwt.secret,
    JWT_SECRET_ENCODING: settings.jwt.encoding,
    JWT_ISSUER: settings.jwt.issuer ?? '',
  };
}

/**
 * Throws, naming `PORT`, when something already listens on the gateway's port: the readiness poll would ask it instead.
 */
export async function ensurePortFree(port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new DemoSettingsError(`PORT: the gateway cannot listen on 127.0.0.1:${port} (${error.code ?? error.message})`),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Spawns the built gateway with `env`; its log lines go to this process's stdout and stderr. */
export function spawnGateway(env: NodeJS.ProcessEnv): NodeProcess {
  return spawnNode(GATEWAY_ENTRY, [], { env, output: 'inherit' });
}

/** Resolves once the gateway answers `GET /health/ready` with 200; rejects if it exits first or after `timeoutMs`. */
export async function waitUntilReady(gateway: NodeProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended: Ended | undefined;
  void gateway.exited.then((end) => (ended = end));
  for (;;) {
    if (ended !== undefined) throw new Error(`the gateway exited (${exitStatus(ended)}) before it was ready`);
    if (await isReady(port)) return;
    if (Date.now() > deadline) throw new Error(`the gateway was not ready on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

function isReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/health/ready', timeout: PROBE_TIMEOUT_MS, agent: false },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}
