import type { CircuitState } from '../proxy/circuit.js';
import type { GatewayMiddleware } from '../state.js';
import type { InstanceReport, Upstream } from '../upstream/upstream.js';

/** One service's entry in the `/health/services` report. */
export interface ServiceHealth {
  readonly name: string;
  /** Healthy while at least one instance answers its health path with a 2xx. */
  readonly status: 'healthy' | 'unhealthy';
  /** The gateway's circuit for the service: `open` means its requests are answered 503 without contacting it. */
  readonly circuit: CircuitState;
  /** Each resolved instance: its address, its state for the balancer, and what its probe found. */
  readonly instances: readonly InstanceReport[];
}

/**
 * `GET /health/services`: probes every instance of every service on its health path, all in
 * parallel; 503 when a service has no healthy instance.
 */
export function createServicesHealth(options: { upstreams: ReadonlyMap<string, Upstream> }): GatewayMiddleware {
  const upstreams = [...options.upstreams.values()];
  return async function servicesHealth(ctx) {
    const services = await Promise.all(
      upstreams.map(async (upstream): Promise<ServiceHealth> => {
        const instances = await upstream.probe();
        const healthy = instances.some((instance) => instance.status === 'healthy');
        return {
          name: upstream.name,
          status: healthy ? 'healthy' : 'unhealthy',
          circuit: upstream.circuitState,
          instances,
        };
      }),
    );
    const healthy = services.every((service) => service.status === 'healthy');
    ctx.status = healthy ? 200 : 503;
    ctx.body = { status: healthy ? 'ok' : 'degraded', services, timestamp: new Date().toISOString() };
  };
}
