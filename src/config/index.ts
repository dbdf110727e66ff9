import { API_SCOPE, GATEWAY_ENDPOINTS, PUBLIC_PATHS, ROUTE_LIMITS, ROUTES } from '../../config/routes.js';
import { SERVICES, type ServiceId } from '../../config/services.js';
import { readSecretKey, SecretKeyError, type SecretEncoding, type SecretKeyReading } from '../auth/key.js';
import { boolean, createEnvReader, exactText, hostPortList, integer, list, oneOf, optionalText, text, url, urlList, type EnvVariable, type HostPort } from './parsers.js';
import { readRedisTarget, type RedisTarget } from './redis.js';
import { readTracing, TRACING_ENV, type TracingConfig } from './tracing.js';

export type { RedisTarget } from './redis.js';
export type { TracingConfig } from './tracing.js';

const PLACEHOLDER_SECRET = 'CHANGE_ME_TO_A_STRONG_SECRET';
const MIN_PRODUCTION_SECRET_LENGTH = 32;
/** jjwt refuses HMAC-SHA256 keys under 256 bits; so does the gateway in production. */
const MIN_PRODUCTION_KEY_BYTES = 32;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every variable the gateway reads, with its default: the single source of the env contract. */
export const ENV_SCHEMA = {
  PORT: integer(4000, 0, 65535),
  HOST: text('0.0.0.0'),
  TRUST_PROXY: boolean(false),
  CORS_ORIGINS: list(['http://localhost:3000', 'http://localhost:5173']),
  CORS_CREDENTIALS: boolean(true),
  REQUIRE_AUTH: boolean(true),
  GATEWAY_PROXY_TIMEOUT_MS: integer(5000, 1),
  GATEWAY_PROXY_IDLE_TIMEOUT_MS: integer(60_000, 1),
  CIRCUIT_FAILURE_THRESHOLD: integer(5, 1),
  CIRCUIT_OPEN_MS: integer(10_000, 1),
  SERVICE_DNS_REFRESH_MS: integer(5000, 1),
  SERVICE_DNS_SERVERS: hostPortList(),
  UPSTREAM_EJECT_FAILURES: integer(5, 1),
  UPSTREAM_EJECT_MS: integer(10_000, 1),
  // Not trimmed: the auth service reads the variable as it is, and so must the key derivation.
  JWT_SECRET: exactText(PLACEHOLDER_SECRET),
  JWT_SECRET_ENCODING: oneOf(['auto', 'base64', 'utf8'], 'auto'),
  JWT_ISSUER: optionalText('http://localhost:4001'),
  JWT_AUDIENCE: optionalText(undefined),
  RATE_LIMIT_WINDOW_MS: integer(60_000, 1),
  RATE_LIMIT_MAX: integer(1000, 1),
  RATE_LIMIT_AUTH_MAX: integer(20, 1),
  REDIS_URL: url(undefined, ['redis', 'rediss']),
  REDIS_SENTINELS: hostPortList(),
  REDIS_SENTINEL_MASTER: optionalText(undefined),
  REDIS_PASSWORD: optionalText(undefined),
  REDIS_SENTINEL_PASSWORD: optionalText(undefined),
  RATE_LIMIT_REDIS_PREFIX: text('gateway:ratelimit'),
  RATE_LIMIT_REDIS_TIMEOUT_MS: integer(250, 1),
  MAX_BODY_BYTES: integer(10 * 1024 * 1024, 0),
  SHUTDOWN_GRACE_MS: integer(10_000, 0),
  WEBSOCKET_IDLE_TIMEOUT_MS: integer(300_000, 1),
  SERVER_HEADERS_TIMEOUT_MS: integer(10_000, 1),
  SERVER_REQUEST_TIMEOUT_MS: integer(300_000, 0),
  SERVER_KEEP_ALIVE_TIMEOUT_MS: integer(5000, 0),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  METRICS_PORT: integer(9464, 0, 65535),
  NODE_ENV: text('development'),
  ...TRACING_ENV,
} satisfies Record<string, EnvVariable<unknown>>;

/** A downstream service with its env overrides applied. */
export interface ServiceConfig {
  readonly id: ServiceId;
  readonly name: string;
  /**
   * Base URLs without a trailing slash, one or more, with one scheme and base path; the upstream
   * path is appended as a string. Every address a URL's host name resolves to is an instance.
   */
  readonly urls: readonly string[];
  readonly healthPath: string;
  /** Bounds connecting and the wait for the response headers (502 `SERVICE_TIMEOUT`). */
  readonly timeoutMs: number;
  /** Bounds any silence of the service's connection once the exchange is under way: a stalled response is cut. */
  readonly idleTimeoutMs: number;
  /** Each instance's health path is probed on this interval; undefined: no active checks. */
  readonly healthIntervalMs: number | undefined;
  /** Consecutive gateway-side failures that eject an instance. */
  readonly ejectFailures: number;
  /** First ejection time; it doubles with each repeated ejection, up to 10 times this. */
  readonly ejectMs: number;
}

/** One row of the route table, bound to its service. */
export interface RouteConfig {
  readonly prefix: string;
  readonly upstreamPath: string;
  readonly service: ServiceConfig;
}

/** The whole gateway configuration: parsed once at boot, frozen, passed to everything that needs it. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly trustProxy: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Port of the Prometheus listener (on `host`); 0 turns it off. Never the public port. */
  readonly metricsPort: number;
  readonly cors: { readonly origins: readonly string[]; readonly credentials: boolean };
  readonly auth: {
    readonly required: boolean;
    readonly secret: string;
    readonly secretEncoding: SecretEncoding;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
    readonly publicPaths: readonly string[];
  };
  readonly rateLimit: {
    readonly windowMs: number;
    /** Per client IP, before authentication. */
    readonly max: number;
    /** Per verified user, after authentication. */
    readonly userMax: number;
    /** Per client IP on single paths (config/routes.ts). */
    readonly routes: ReadonlyArray<{ readonly path: string; readonly max: number }>;
    /** The shared store; `undefined`: each replica counts in memory. */
    readonly redis: RedisTarget | undefined;
    readonly redisPrefix: string;
    /** A Redis command slower than this counts as a Redis failure: the request uses the memory limit. */
    readonly redisTimeoutMs: number;
  };
  readonly maxBodyBytes: number;
  readonly shutdownGraceMs: number;
  /** A WebSocket tunnel with no byte either way for this long is closed. */
  readonly websocketIdleTimeoutMs: number;
  /** Limits on slow clients (node:http server options). */
  readonly server: {
    /** Time to receive the request headers: a slowloris client is cut off after this. */
    readonly headersTimeoutMs: number;
    /** Time to receive the whole request, body included; 0 disables. */
    readonly requestTimeoutMs: number;
    /** How long an idle kept-alive client connection stays open. */
    readonly keepAliveTimeoutMs: number;
  };
  /** The circuit breaker of each service (DESIGN.md, "Failing services"). */
  readonly circuit: {
    /** Consecutive exchanges failed at the gateway that open a service's circuit. */
    readonly failureThreshold: number;
    /** How long an open circuit answers 503 before it lets one request through. */
    readonly openMs: number;
  };
  /** How service host names become instances (DESIGN.md, "Upstreams"). */
  readonly discovery: {
    /** Host names are resolved again on this interval; a failed lookup keeps the last good set. */
    readonly refreshMs: number;
    /** DNS servers to ask instead of the system's resolver. */
    readonly servers: readonly HostPort[] | undefined;
  };
  readonly services: readonly ServiceConfig[];
  readonly routes: readonly RouteConfig[];
  /** Prefix of everything forwarded; rate limits and authentication apply under it only. */
  readonly apiScope: string;
  /** Paths of the gateway's own endpoints. */
  readonly endpoints: { readonly health: string; readonly ready: string; readonly services: string; readonly info: string };
  /** OpenTelemetry traces: sampling, export, resource (DESIGN.md, "Tracing"). */
  readonly tracing: TracingConfig;
}

/** Start-up stops with this: its message is one line naming every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses and validates `env` into a frozen {@link Config}; throws {@link ConfigError} naming every bad variable. */
export function loadConfig(env: Env): Config {
  const { read, problems } = createEnvReader(env);

  const values = Object.fromEntries(
    Object.entries(ENV_SCHEMA).map(([name, variable]) => [name, read(name, variable as EnvVariable<unknown>)]),
  ) as { [K in keyof typeof ENV_SCHEMA]: (typeof ENV_SCHEMA)[K]['defaultValue'] };

  // Defaults to the per-IP limit, so it is read once that one is known (as per-service timeouts are).
  const userMax = read('RATE_LIMIT_USER_MAX', integer(values.RATE_LIMIT_MAX, 1));

  const services = (Object.keys(SERVICES) as ServiceId[]).map((id): ServiceConfig => {
    const definition = SERVICES[id];
    return {
      id,
      name: definition.name,
      urls: read(`${definition.env}_SERVICE_URL`, urlList([definition.defaultUrl], ['http', 'https'])),
      healthPath: definition.healthPath,
      timeoutMs: read(`${definition.env}_SERVICE_TIMEOUT_MS`, integer(values.GATEWAY_PROXY_TIMEOUT_MS, 1)),
      idleTimeoutMs: read(`${definition.env}_SERVICE_IDLE_TIMEOUT_MS`, integer(values.GATEWAY_PROXY_IDLE_TIMEOUT_MS, 1)),
      healthIntervalMs: read(`${definition.env}_SERVICE_HEALTH_INTERVAL_MS`, integer(0, 0)) || undefined,
      ejectFailures: values.UPSTREAM_EJECT_FAILURES,
      ejectMs: values.UPSTREAM_EJECT_MS,
    };
  });

  let key: SecretKeyReading | undefined;
  try {
    key = readSecretKey(values.JWT_SECRET, values.JWT_SECRET_ENCODING);
  } catch (error) {
    if (!(error instanceof SecretKeyError)) throw error;
    problems.push(error.message);
  }

  if (values.NODE_ENV === 'production' && key !== undefined) {
    const secret = values.JWT_SECRET;
    if (secret === PLACEHOLDER_SECRET || secret.length < MIN_PRODUCTION_SECRET_LENGTH) {
      problems.push(`JWT_SECRET must be set to a secret of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters when NODE_ENV=production`);
    } else if (key.length < MIN_PRODUCTION_KEY_BYTES) {
      // A 32-character Base64 secret decodes to 24 bytes: the auth service (jjwt) would refuse it.
      problems.push(`JWT_SECRET must give a key of at least ${MIN_PRODUCTION_KEY_BYTES} bytes when NODE_ENV=production (it gives ${key.length})`);
    }
  }

  const requestTimeout = values.SERVER_REQUEST_TIMEOUT_MS;
  if (requestTimeout !== 0 && values.SERVER_HEADERS_TIMEOUT_MS > requestTimeout) {
    problems.push('SERVER_HEADERS_TIMEOUT_MS must not be larger than SERVER_REQUEST_TIMEOUT_MS');
  }

  if (values.METRICS_PORT !== 0 && values.METRICS_PORT === values.PORT) {
    problems.push('METRICS_PORT must differ from PORT: metrics are never served on the public port');
  }

  const redis = readRedisTarget(values, problems);
  const tracing = readTracing(values, problems);

  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);

  return deepFreeze({
    port: values.PORT,
    host: values.HOST,
    trustProxy: values.TRUST_PROXY,
    logLevel: values.LOG_LEVEL,
    metricsPort: values.METRICS_PORT,
    cors: { origins: values.CORS_ORIGINS, credentials: values.CORS_CREDENTIALS },
    auth: {
      required: values.REQUIRE_AUTH,
      secret: values.JWT_SECRET,
      secretEncoding: values.JWT_SECRET_ENCODING,
      issuer: values.JWT_ISSUER,
      audience: values.JWT_AUDIENCE,
      publicPaths: PUBLIC_PATHS,
    },
    rateLimit: {
      windowMs: values.RATE_LIMIT_WINDOW_MS,
      max: values.RATE_LIMIT_MAX,
      userMax,
      routes: ROUTE_LIMITS.map((limit) => ({ path: limit.path, max: limit.max === 'auth' ? values.RATE_LIMIT_AUTH_MAX : limit.max })),
      redis,
      redisPrefix: values.RATE_LIMIT_REDIS_PREFIX,
      redisTimeoutMs: values.RATE_LIMIT_REDIS_TIMEOUT_MS,
    },
    maxBodyBytes: values.MAX_BODY_BYTES,
    shutdownGraceMs: values.SHUTDOWN_GRACE_MS,
    websocketIdleTimeoutMs: values.WEBSOCKET_IDLE_TIMEOUT_MS,
    server: {
      headersTimeoutMs: values.SERVER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: values.SERVER_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: values.SERVER_KEEP_ALIVE_TIMEOUT_MS,
    },
    circuit: { failureThreshold: values.CIRCUIT_FAILURE_THRESHOLD, openMs: values.CIRCUIT_OPEN_MS },
    discovery: { refreshMs: values.SERVICE_DNS_REFRESH_MS, servers: values.SERVICE_DNS_SERVERS },
    services,
    apiScope: API_SCOPE,
    endpoints: GATEWAY_ENDPOINTS,
    tracing,
    routes: ROUTES.map((route) => ({
      prefix: route.prefix,
      upstreamPath: route.upstreamPath,
      service: services.find((service) => service.id === route.service)!,
    })),
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
