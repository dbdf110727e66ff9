import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { GatewayContext, UpstreamState } from '../state.js';
import { markCircuitOpen } from '../tracing/events.js';
import { Circuit, type Admission, type CircuitState } from './circuit.js';
import { isUpstreamFailure, mapUpstreamError } from './upstream-errors.js';

/** Status the request log shows for a response cut short because the service failed mid-body. */
const BAD_GATEWAY = 502;

/** One exchange with a service, from admission to its outcome; each method is called at most once. */
export interface UpstreamExchange {
  /** The service answered with its response headers, whatever their status: it is up. */
  responded(status: number): void;
  /** The exchange failed before any response header: returns the error the client is answered with. */
  failed(error: unknown): GatewayError;
  /** The client left before the service answered: that says nothing about the service. */
  clientLeft(): void;
  /** The service failed after its response headers: the response is cut and the cut recorded. */
  failedMidBody(error: unknown): void;
}

/**
 * The one owner of how exchanges with the services end. It admits a request through its service's
 * circuit breaker, turns a transport error into the envelope's error, and records each outcome
 * once: `ctx.state.upstream`, the breaker, `gateway_upstream_errors_total`, the warn line.
 */
export interface UpstreamOutcomes {
  /** Starts an exchange with `service`; throws 503 `CIRCUIT_OPEN` when its circuit refuses the request. */
  begin(ctx: GatewayContext, service: string): UpstreamExchange;
  /** Where the circuit of `service` stands. */
  circuitState(service: string): CircuitState;
}

/** Options of {@link createUpstreamOutcomes}; `now` is the breakers' clock. */
export interface UpstreamOutcomesOptions {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly services: readonly string[];
  readonly circuit: { readonly failureThreshold: number; readonly openMs: number };
  readonly now?: () => number;
}

/** Creates the outcome recorder of one gateway, with one closed circuit per service. */
export function createUpstreamOutcomes(options: UpstreamOutcomesOptions): UpstreamOutcomes {
  const { logger, metrics } = options;
  const circuits = new Map<string, Circuit>();
  for (const service of options.services) {
    const circuit = new Circuit({
      ...options.circuit,
      now: options.now,
      onChange(to, from) {
        metrics.circuitState(service, to);
        const details = { service, from, to };
        if (to === 'open') logger.warn({ ...details, openMs: options.circuit.openMs }, `circuit of ${service} opened`);
        else logger.info(details, to === 'closed' ? `circuit of ${service} closed` : `circuit of ${service} half-open: one request goes through`);
      },
    });
    circuits.set(service, circuit);
    metrics.circuitState(service, circuit.state);
  }

  function circuitOf(service: string): Circuit {
    const circuit = circuits.get(service);
    if (circuit === undefined) throw new Error(`no circuit for service ${service}`);
    return circuit;
  }

  return {
    circuitState: (service) => circuitOf(service).state,
    begin(ctx, service) {
      const upstream: UpstreamState = { service };
      ctx.state.upstream = upstream;
      const circuit = circuitOf(service);
      const admission = circuit.admit();
      if (!admission.admitted) {
        markCircuitOpen(ctx, service);
        throw circuitOpen(service, admission.retryAfterMs);
      }
      return createExchange(ctx, circuit, admission);
    },
  };

  function createExchange(ctx: GatewayContext, circuit: Circuit, admission: Admission): UpstreamExchange {
    const upstream = ctx.state.upstream!;
    return {
      responded(status) {
        upstream.status = status;
        circuit.succeeded(admission);
      },
      failed(raw) {
        const error = mapUpstreamError(raw, upstream.service);
        // An error raised on the gateway's side of the exchange (an over-long request body) is not the service's.
        if (error.status !== BAD_GATEWAY) {
          circuit.released(admission);
          return error;
        }
        const cause = causeOf(raw);
        upstream.error = cause;
        circuit.failed(admission);
        metrics.upstreamError(upstream.service, error.code);
        logger.warn({ correlationId: ctx.state.correlationId, code: error.code, path: ctx.path, service: upstream.service, cause }, error.message);
        return error;
      },
      clientLeft() {
        circuit.released(admission);
      },
      // The breaker judged this exchange when the response headers came: a cut after them does not
      // move it, so a long event stream never holds a half-open circuit and an idle cut is no outage.
      failedMidBody(raw) {
        if (isUpstreamFailure(raw)) {
          upstream.error = raw.code;
          upstream.cutStatus = BAD_GATEWAY;
          metrics.upstreamError(upstream.service, raw.code);
          logger.warn({ correlationId: ctx.state.correlationId, path: ctx.path, service: upstream.service, cause: raw.code }, 'upstream response failed mid-body; response cut');
        }
        ctx.res.destroy();
      },
    };
  }
}

/** 503 for a refused request; `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3). */
function circuitOpen(service: string, retryAfterMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GatewayError(503, 'CIRCUIT_OPEN', `Service ${service} is unavailable (circuit open)`, { headers: { 'Retry-After': String(seconds) } });
}

function causeOf(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : undefined;
}
