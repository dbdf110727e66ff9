import { performance } from 'node:perf_hooks';
import got from 'got';
import type { ServiceConfig } from '../config/index.js';
import type { CircuitState } from '../proxy/circuit.js';
import type { GatewayMiddleware } from '../state.js';

/** A probe waits at most this long, or the service's own timeout when shorter. */
const PROBE_TIMEOUT_MS = 2000;

/** One service's entry in the `/health/services` report. */
export interface ServiceHealth {
  readonly name: string;
  readonly status: 'healthy' | 'unhealthy';
  readonly httpStatus?: number;
  readonly latencyMs: number;
  readonly error?: string;
  /** The gateway's circuit for the service: `open` means its requests are answered 503 without contacting it. */
  readonly circuit: CircuitState;
}

/**
 * `GET /health/services`: probes every service's health path in parallel; 503 when any is
 * unhealthy. Each entry also shows the service's circuit, read from `circuitState`.
 */
export function createServicesHealth(options: { services: readonly ServiceConfig[]; circuitState: (service: string) => CircuitState }): GatewayMiddleware {
  const { circuitState } = options;
  const probes = options.services.map((service) => ({
    name: service.name,
    url: service.urls[0] + service.healthPath,
    timeoutMs: Math.min(PROBE_TIMEOUT_MS, service.timeoutMs),
  }));
  return async function servicesHealth(ctx) {
    const services = await Promise.all(probes.map(async (target) => ({ ...(await probe(target)), circuit: circuitState(target.name) })));
    const healthy = services.every((service) => service.status === 'healthy');
    ctx.status = healthy ? 200 : 503;
    ctx.body = { status: healthy ? 'ok' : 'degraded', services, timestamp: new Date().toISOString() };
  };
}

async function probe(target: { name: string; url: string; timeoutMs: number }): Promise<Omit<ServiceHealth, 'circuit'>> {
  const started = performance.now();
  const latency = (): number => Math.round(performance.now() - started);
  try {
    const response = await got(target.url, {
      timeout: { request: target.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
    });
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    return { name: target.name, status: ok ? 'healthy' : 'unhealthy', httpStatus: response.statusCode, latencyMs: latency() };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERROR';
    return { name: target.name, status: 'unhealthy', latencyMs: latency(), error: code };
  }
}
