import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config, RouteConfig } from './config/index.js';
import { OPENMETRICS_CONTENT_TYPE, renderOpenMetrics, wantsOpenMetrics } from './openmetrics.js';
import type { CircuitState } from './proxy/circuit.js';
import { isUnderPrefix } from './proxy/path.js';
import type { LimitKind } from './state.js';
import type { InstanceState } from './upstream/instance.js';
import type { DropReason } from './tracing/bounded-export.js';

/**
 * Label values are bounded: a method outside this set is counted as OTHER, a path outside every route as `unmatched`.
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The gauge's value for each circuit state (DESIGN.md, "Failing services"). */
const CIRCUIT_VALUES: Record<CircuitState, number> = { closed: 0, open: 1, 'half-open': 2 };
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Which key verified a token: `JWT_SECRET`, or `JWT_SECRET_PREVIOUS` during a rotation. */
export type JwtKeyName = 'current' | 'previous';

/** How a reload of the gateway file ended: swapped in, or refused (the running configuration stays). */
export type ReloadResult = 'applied' | 'rejected';

/** Which store the rate limiter counts in. */
export type LimiterStore = 'redis' | 'memory' | 'memory-fallback';

/** The gateway's Prometheus metrics: one registry per gateway, recorded by the layers that know. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /**
   * Counts a completed request under its route label (see {@link createRouteLabel}); `traceId` (a sampled, recorded
   * trace) becomes the duration's exemplar.
   */
  observeRequest(route: string, method: string, status: number, seconds: number, traceId?: string): void;
  upstreamError(service: string, code: string): void;
  circuitState(service: string, state: CircuitState): void;
  rateLimited(limit: LimitKind): void;
  limiterStore(store: LimiterStore): void;
  /** A WebSocket tunnel opened (+1) or closed (-1). */
  tunnels(change: 1 | -1): void;
  /** `gateway_upstream_instances{service,state}` is read from `read` at each scrape. */
  watchInstances(service: string, read: () => readonly InstanceState[]): void;
  /** One request (an attempt: a retry counts again) sent to `instance` of `service`. */
  instanceRequest(service: string, instance: string): void;
  /** `instance` left the service's resolved set: its series go, so labels stay bounded by the set. */
  forgetInstance(service: string, instance: string): void;
  /** A request's token was accepted, verified by `key`. */
  jwtVerified(key: JwtKeyName): void;
  /** The gateway file now in use: `gateway_config_info{hash}` is its load time, the only series. */
  configLoaded(sha256: string, loadedAtMs: number): void;
  /** A reload of the gateway file ended with `result`. */
  configReload(result: ReloadResult): void;
  /** `service` left the gateway file: its series go. */
  forgetService(service: string): void;
  /** Spans that never reached the collector. */
  spansDropped(reason: DropReason, count: number): void;
}

const INSTANCE_STATES: readonly InstanceState[] = ['up', 'ejected', 'unhealthy'];

/**
 * The `route` label of a path under `routes` and the gateway's endpoints: the longest prefix that
 * covers it (so `/health/ready` is not counted as `/health`), else `unmatched`.
 */
export function createRouteLabel(
  routes: readonly RouteConfig[],
  endpoints: Config['endpoints'],
): (path: string) => string {
  const prefixes = [...routes.map((route) => route.prefix), ...Object.values(endpoints)].sort(
    (a, b) => b.length - a.length,
  );
  return (path) => prefixes.find((prefix) => isUnderPrefix(path, prefix)) ?? 'unmatched';
}

/** Creates the metrics of one gateway, with Node's default process metrics. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['route', 'method', 'status'] as const;
  const requests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'Requests answered, by route prefix, method and status',
    labelNames,
    registers: [registry],
  });
  // `trace_id` is no label, only the exemplar's: prom-client types exemplar labels with the label names.
  const duration = new Histogram<(typeof labelNames)[number] | 'trace_id'>({
    name: 'gateway_http_request_duration_seconds',
    help: 'Time from request to response complete, by route prefix, method and status',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [],
    enableExemplars: true,
  });
  // prom-client refuses an exemplar metric in a Prometheus-format registry when it is constructed
  // (lib/metric.js); registered afterwards it is served without exemplars in that format and with
  // them in OpenMetrics (openmetrics.ts), which is the point.
  registry.registerMetric(duration);
  const upstreamErrors = new Counter({
    name: 'gateway_upstream_errors_total',
    help: 'Failed exchanges with a service, by service and error code',
    labelNames: ['service', 'code'],
    registers: [registry],
  });
  const circuits = new Gauge({
    name: 'gateway_circuit_state',
    help: 'Circuit of each service: 0 closed, 1 open, 2 half-open',
    labelNames: ['service'],
    registers: [registry],
  });
  const limited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused with 429, by the limit that refused them (ip, route, user)',
    labelNames: ['limit'],
    registers: [registry],
  });
  for (const limit of ['ip', 'route', 'user'] satisfies LimitKind[]) limited.inc({ limit }, 0);
  const store = new Gauge({
    name: 'gateway_rate_limiter_store',
    help: '1 for the store the rate limiter counts in now',
    labelNames: ['store'],
    registers: [registry],
  });
  const tunnels = new Gauge({
    name: 'gateway_websocket_tunnels_open',
    help: 'WebSocket tunnels open now',
    registers: [registry],
  });
  // Per request, not per distinct token: when `previous` stays at its count, no client uses the old key any more.
  const jwt = new Counter({
    name: 'gateway_jwt_verified_total',
    help: 'Requests whose token was accepted, by the key that verified it (current, previous)',
    labelNames: ['key'],
    registers: [registry],
  });
  const jwtKeys = {
    current: jwt.labels({ key: 'current' }),
    previous: jwt.labels({ key: 'previous' }),
  } satisfies Record<JwtKeyName, unknown>;
  for (const series of Object.values(jwtKeys)) series.inc(0);
  const dropped = new Counter({
    name: 'gateway_trace_spans_dropped_total',
    help: 'Spans that never reached the trace collector, by reason (queue_full, export_failed)',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['queue_full', 'export_failed'] satisfies DropReason[]) dropped.inc({ reason }, 0);
  const stores: LimiterStore[] = ['redis', 'memory', 'memory-fallback'];
  const instanceReaders = new Map<string, () => readonly InstanceState[]>();
  const instancesGauge = new Gauge({
    name: 'gateway_upstream_instances',
    help: 'Instances of each service, by state (up, ejected, unhealthy)',
    labelNames: ['service', 'state'],
    registers: [registry],
    collect() {
      for (const [service, read] of instanceReaders) {
        const states = read();
        for (const state of INSTANCE_STATES)
          this.set({ service, state }, states.filter((candidate) => candidate === state).length);
      }
    },
  });
  const instanceRequests = new Counter({
    name: 'gateway_upstream_requests_total',
    help: 'Requests sent to each instance of a service (a retry counts again)',
    labelNames: ['service', 'instance'],
    registers: [registry],
  });
  const instanceSeries = new Map<string, Map<string, () => void>>();
  // A gauge of value "load time" rather than 1 with a time label: one series per loaded file, and `time() -
  // gateway_config_info` is its age.
  const configInfo = new Gauge({
    name: 'gateway_config_info',
    help: 'The gateway file in use, by its SHA-256: the Unix time it was loaded',
    labelNames: ['hash'],
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'gateway_config_reloads_total',
    help: 'Reloads of the gateway file, by result (applied, rejected)',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['applied', 'rejected'] satisfies ReloadResult[]) reloads.inc({ result }, 0);
  // prom-client hashes a label object on every call; the label sets are few, so bind each once.
  const bound = new Map<
    string,
    { count: () => void; observe: (seconds: number) => void; labels: Record<'route' | 'method' | 'status', string> }
  >();

  return {
    registry,
    observeRequest(route, method, status, seconds, traceId) {
      const verb = METHODS.has(method) ? method : 'OTHER';
      const key = `${route} ${verb} ${status}`;
      let series = bound.get(key);
      if (series === undefined) {
        const labels = { route, method: verb, status: String(status) };
        const counter = requests.labels(labels);
        const histogram = duration.labels(labels);
        series = { count: () => counter.inc(), observe: (value) => histogram.observe(value), labels };
        bound.set(key, series);
      }
      series.count();
      // The bound series observes without an exemplar; only a request with a recorded trace takes the slower path.
      if (traceId === undefined) series.observe(seconds);
      else duration.observe({ labels: series.labels, value: seconds, exemplarLabels: { trace_id: traceId } });
    },
    upstreamError(service, code) {
      upstreamErrors.inc({ service, code });
    },
    circuitState(service, state) {
      circuits.set({ service }, CIRCUIT_VALUES[state]);
    },
    rateLimited(limit) {
      limited.inc({ limit });
    },
    limiterStore(current) {
      for (const name of stores) store.set({ store: name }, name === current ? 1 : 0);
    },
    tunnels(change) {
      tunnels.inc(change);
    },
    watchInstances(service, read) {
      instanceReaders.set(service, read);
    },
    instanceRequest(service, instance) {
      let series = instanceSeries.get(service);
      if (series === undefined) instanceSeries.set(service, (series = new Map<string, () => void>()));
      let count = series.get(instance);
      if (count === undefined) {
        const child = instanceRequests.labels({ service, instance });
        series.set(instance, (count = () => child.inc()));
      }
      count();
    },
    forgetInstance(service, instance) {
      instanceSeries.get(service)?.delete(instance);
      instanceRequests.remove({ service, instance });
    },
    jwtVerified(key) {
      jwtKeys[key].inc();
    },
    configLoaded(sha256, loadedAtMs) {
      configInfo.reset();
      configInfo.set({ hash: sha256 }, loadedAtMs / 1000);
    },
    configReload(result) {
      reloads.inc({ result });
    },
    forgetService(service) {
      instanceReaders.delete(service);
      for (const instance of instanceSeries.get(service)?.keys() ?? []) instanceRequests.remove({ service, instance });
      instanceSeries.delete(service);
      circuits.remove({ service });
      for (const state of INSTANCE_STATES) instancesGauge.remove({ service, state });
    },
    spansDropped(reason, count) {
      dropped.inc({ reason }, count);
    },
  };
}

/**
 * The metrics listener: `GET /metrics` only, on its own port, never on the public one. A scrape
 * that accepts OpenMetrics (Prometheus asks for it first) gets it, exemplars included; any other
 * gets the Prometheus text format.
 */
export function createMetricsServer(registry: Registry): http.Server {
  return http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    const open = wantsOpenMetrics(request.headers.accept);
    (open ? renderOpenMetrics(registry) : registry.metrics()).then(
      (text) =>
        response
          .writeHead(200, { 'content-type': open ? OPENMETRICS_CONTENT_TYPE : registry.contentType, vary: 'Accept' })
          .end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
}
