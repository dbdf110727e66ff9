import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config, ServiceConfig } from '../config/index.js';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { Circuit, type Admission, type CircuitState } from '../proxy/circuit.js';
import { isUpstreamFailure, mapUpstreamError } from '../proxy/upstream-errors.js';
import type { GatewayContext, UpstreamState } from '../state.js';
import { markCircuitOpen } from '../tracing/events.js';
import type { AddressLookup } from './discovery.js';
import { sendHandshake, type Handshake } from './handshake.js';
import { AttemptError, ClientGoneError, createServiceClient, sendAttempt, type HttpAnswer } from './http-attempt.js';
import type { Instance, InstanceState } from './instance.js';
import { InstanceSet } from './instance-set.js';
import { probeInstance, type ProbeResult } from './probe.js';
import { ReplayableBody } from './replayable-body.js';

/** Status the request log shows for a response cut short because the service failed mid-body. */
const BAD_GATEWAY = 502;
/** A probe from `/health/services` waits at most this long, or the service's own timeout when shorter. */
const PROBE_TIMEOUT_MS = 2000;
/** Methods whose request may be sent twice with the effect of once (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE']);

/** What an {@link Upstream} needs besides its service. */
export interface UpstreamOptions {
  readonly service: ServiceConfig;
  readonly lookup: AddressLookup;
  readonly refreshMs: number;
  readonly circuit: Config['circuit'];
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** The clock of the breaker and the ejections. */
  readonly now?: () => number;
  readonly random?: () => number;
}

/** One instance as `/health/services` shows it. */
export interface InstanceReport extends ProbeResult {
  readonly instance: string;
  readonly state: InstanceState;
  readonly outstanding: number;
}

/**
 * The one owner of talking to a service (STYLE rule 13): its instances, the balancer, their
 * health, the got client and the node:http path for WebSocket handshakes, the circuit breaker,
 * and the recording of each exchange's outcome (`ctx.state.upstream`, log line, metric). Errors
 * it throws are already recorded and logged.
 */
export class Upstream {
  readonly name: string;
  /** The path of the service's URLs (`/base`, or empty), put in front of every route's upstream path. */
  readonly basePath: string;
  readonly #service: ServiceConfig;
  readonly #logger: Logger;
  readonly #metrics: GatewayMetrics;
  readonly #circuit: Circuit;
  readonly #instances: InstanceSet;
  readonly #client;
  /** got is given the service's own URL (its logs and errors name it); the request goes to the instance. */
  readonly #origin: string;

  constructor(options: UpstreamOptions) {
    const { service, logger, metrics } = options;
    this.name = service.name;
    this.#service = service;
    this.#logger = logger;
    this.#metrics = metrics;
    const first = new URL(service.urls[0]!);
    this.basePath = first.pathname.replace(/\/$/, '');
    this.#origin = first.origin;
    this.#client = createServiceClient(service);
    this.#instances = new InstanceSet({
      service,
      lookup: options.lookup,
      refreshMs: options.refreshMs,
      logger,
      metrics,
      now: options.now,
      random: options.random,
    });
    this.#circuit = new Circuit({
      ...options.circuit,
      now: options.now,
      onChange: (to, from) => {
        metrics.circuitState(service.name, to);
        const details = { service: service.name, from, to };
        if (to === 'open')
          logger.warn({ ...details, openMs: options.circuit.openMs }, `circuit of ${service.name} opened`);
        else
          logger.info(
            details,
            to === 'closed'
              ? `circuit of ${service.name} closed`
              : `circuit of ${service.name} half-open: one request goes through`,
          );
      },
    });
    metrics.circuitState(service.name, this.#circuit.state);
  }

  /** Resolves once the service's host names have been looked up for the first time. */
  ready(): Promise<void> {
    return this.#instances.ready();
  }

  /** Where the service's circuit stands. */
  get circuitState(): CircuitState {
    return this.#circuit.state;
  }

  /**
   * Sends the request in `ctx` to an instance and resolves with the response headers and the body
   * stream. A connection refused goes once to another instance, whatever the method (nothing was
   * sent); a reset on a kept-alive socket, once more for an idempotent request without a body.
   * `readBody` runs after the circuit admitted the request: a refused one reads nothing.
   */
  async request(
    ctx: GatewayContext,
    path: string,
    headers: OutgoingHttpHeaders,
    readBody: () => Readable | undefined,
  ): Promise<HttpAnswer> {
    const { state, admission } = this.#begin(ctx);
    let body: ReplayableBody | undefined;
    try {
      const source = readBody();
      body = source === undefined ? undefined : new ReplayableBody(source);
      await this.#instances.ready();
      const send = (instance: Instance) =>
        this.#attempt(ctx, state, instance, () =>
          sendAttempt(this.#client, {
            ctx,
            service: this.name,
            instance,
            method: ctx.method,
            url: this.#origin + path,
            path,
            headers,
            body,
          }),
        );
      const first = this.#pick();
      let answer: HttpAnswer;
      try {
        answer = await send(first);
      } catch (error) {
        const again = retryOf(error, ctx.method, body);
        const next = again === undefined ? undefined : this.#instances.pick(again === 'refused' ? first : undefined);
        if (next === undefined) throw error;
        answer = await send(next);
      }
      state.status = answer.response.statusCode;
      this.#circuit.succeeded(admission);
      this.#watchBody(ctx, state, answer);
      return answer;
    } catch (error) {
      // What the client still sends is read and dropped, so its connection can carry the answer.
      body?.destroy();
      throw this.#failed(ctx, state, admission, error);
    }
  }

  /**
   * Sends a WebSocket handshake to an instance (a refused connection goes once to another); throws the envelope's error
   * when it fails.
   */
  async handshake(
    ctx: GatewayContext,
    path: string,
    headers: OutgoingHttpHeaders,
  ): Promise<Exclude<Handshake, { failure: unknown }>> {
    const { state, admission } = this.#begin(ctx);
    try {
      await this.#instances.ready();
      const send = (instance: Instance) =>
        this.#attempt(ctx, state, instance, async () => {
          const answer = await sendHandshake(ctx, this.name, instance, path, headers, this.#service.timeoutMs);
          if ('failure' in answer) throw new AttemptError(answer.failure, false);
          return answer;
        });
      const first = this.#pick();
      let answer: Exclude<Handshake, { failure: unknown }>;
      try {
        answer = await send(first);
      } catch (error) {
        const next = retryOf(error, 'POST', undefined) === 'refused' ? this.#instances.pick(first) : undefined;
        if (next === undefined) throw error;
        answer = await send(next);
      }
      if ('clientLeft' in answer) this.#circuit.released(admission);
      else {
        state.status = answer.response.statusCode;
        this.#circuit.succeeded(admission);
      }
      return answer;
    } catch (error) {
      throw this.#failed(ctx, state, admission, error);
    }
  }

  /** Every instance with its state, probed on its health path now (`/health/services`). */
  async probe(): Promise<InstanceReport[]> {
    const timeoutMs = Math.min(PROBE_TIMEOUT_MS, this.#service.timeoutMs);
    const now = Date.now();
    return Promise.all(
      this.#instances.list().map(async (instance) => ({
        instance: instance.key,
        state: instance.state(now),
        outstanding: instance.outstanding,
        ...(await probeInstance(instance, this.#service.healthPath, timeoutMs)),
      })),
    );
  }

  /** Stops discovery and health checks and closes every pool. */
  close(): void {
    this.#instances.close();
  }

  /**
   * The gentle close, once a reload has swapped this upstream out: stops discovery and health
   * checks; the requests and WebSocket tunnels in flight finish, and each pool closes after its last.
   */
  retire(): void {
    this.#instances.retire();
  }

  #begin(ctx: GatewayContext): { state: UpstreamState; admission: Admission } {
    const state: UpstreamState = { service: this.name };
    ctx.state.upstream = state;
    const admission = this.#circuit.admit();
    if (!admission.admitted) {
      markCircuitOpen(ctx, this.name);
      throw circuitOpen(this.name, admission.retryAfterMs);
    }
    return { state, admission };
  }

  #pick(): Instance {
    const instance = this.#instances.pick();
    // No address has ever resolved: as unreachable as a name that does not resolve.
    if (instance === undefined)
      throw new AttemptError(Object.assign(new Error(`no instance of ${this.name}`), { code: 'ENOTFOUND' }), false);
    return instance;
  }

  /** One attempt on `instance`: counted, named in the request log, and its failures told to the instance set. */
  async #attempt<T>(ctx: GatewayContext, state: UpstreamState, instance: Instance, send: () => Promise<T>): Promise<T> {
    state.instance = instance.key;
    instance.outstanding += 1;
    this.#metrics.instanceRequest(this.name, instance.key);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      instance.outstanding -= 1;
      instance.closeIfIdle();
    };
    try {
      const answer = await send();
      instance.succeeded();
      // The request is outstanding until its response to the client is done (or the tunnel closed).
      if (ctx.res.closed) release();
      else ctx.res.once('close', release);
      return answer;
    } catch (error) {
      release();
      if (error instanceof AttemptError && mapUpstreamError(error.failure, this.name).status === BAD_GATEWAY)
        this.#instances.failed(instance);
      throw error;
    }
  }

  /** Records a failed exchange once and returns the error the client is answered with. */
  #failed(ctx: GatewayContext, state: UpstreamState, admission: Admission, raw: unknown): unknown {
    if (raw instanceof ClientGoneError) {
      this.#circuit.released(admission);
      return raw;
    }
    const failure = raw instanceof AttemptError ? raw.failure : raw;
    const error = mapUpstreamError(failure, this.name);
    // An error raised on the gateway's side of the exchange (an over-long request body) is not the service's.
    if (error.status !== BAD_GATEWAY) {
      this.#circuit.released(admission);
      return error;
    }
    const cause = causeOf(failure);
    state.error = cause;
    this.#circuit.failed(admission);
    this.#metrics.upstreamError(this.name, error.code);
    this.#logger.warn(
      {
        correlationId: ctx.state.correlationId,
        code: error.code,
        path: ctx.path,
        service: this.name,
        instance: state.instance,
        cause,
      },
      error.message,
    );
    return error;
  }

  /**
   * Once the response has begun, a failure of the service cuts it and is recorded here, once; the
   * breaker judged the exchange when its headers came, so a long event stream never holds a
   * half-open circuit. A client that leaves cancels the upstream request; an error that follows is
   * the client's doing, not the service's.
   */
  #watchBody(ctx: GatewayContext, state: UpstreamState, answer: HttpAnswer): void {
    let clientGone = false;
    ctx.res.once('close', () => {
      if (ctx.res.writableFinished) return;
      clientGone = true;
      answer.body.destroy();
    });
    answer.body.once('error', (raw) => {
      if (clientGone) return;
      if (isUpstreamFailure(raw)) {
        state.error = raw.code;
        state.cutStatus = BAD_GATEWAY;
        this.#metrics.upstreamError(this.name, raw.code);
        this.#logger.warn(
          {
            correlationId: ctx.state.correlationId,
            path: ctx.path,
            service: this.name,
            instance: state.instance,
            cause: raw.code,
          },
          'upstream response failed mid-body; response cut',
        );
      }
      ctx.res.destroy();
    });
  }
}

/**
 * Whether a failed attempt may go again: `refused` (nothing reached the service; any method, to
 * another instance), `reset` (a kept-alive socket the service had closed; an idempotent request
 * without a body, Node's `request.reusedSocket` idiom), or undefined.
 */
function retryOf(error: unknown, method: string, body: ReplayableBody | undefined): 'refused' | 'reset' | undefined {
  if (!(error instanceof AttemptError)) return undefined;
  const code = (error.failure as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  const reset = typeof code === 'string' && CONNECTION_LOST.has(code);
  return reset && error.reusedSocket && body === undefined && IDEMPOTENT_METHODS.has(method) ? 'reset' : undefined;
}

/** 503 for a refused request; `Retry-After` in whole seconds, at least 1 (RFC 9110 §10.2.3). */
function circuitOpen(service: string, retryAfterMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GatewayError(503, 'CIRCUIT_OPEN', `Service ${service} is unavailable (circuit open)`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

function causeOf(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : undefined;
}
