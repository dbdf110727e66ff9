import { API_SCOPE, GATEWAY_ENDPOINTS } from '../../config/endpoints.js';
import type { SecretKeyReading } from '../auth/key.js';
import {
  GatewayFileError,
  hashGatewayFile,
  parseGatewayFile,
  readGatewayFile,
  type GatewayFileText,
} from './gateway-file.js';
import { PLACEHOLDER_SECRET, readJwtKeys } from './jwt.js';
import {
  boolean,
  createEnvReader,
  exactText,
  headerNameList,
  hostPortList,
  integer,
  list,
  oneOf,
  optionalSecret,
  optionalText,
  text,
  url,
  type EnvVariable,
  type HostPort,
} from './parsers.js';
import { readRedisTarget, type RedisTarget } from './redis.js';
import { buildRouting, SERVICE_VARIABLES, type RouteConfig, type Routing, type ServiceConfig } from './routing.js';
import { readTracing, TRACING_ENV, type TracingConfig } from './tracing.js';

export type { RedisTarget } from './redis.js';
export type { PathPolicy, RouteConfig, RouteLimit, ServiceConfig } from './routing.js';
export type { TracingConfig } from './tracing.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** The values of `Cross-Origin-Resource-Policy` (Fetch, "Cross-Origin-Resource-Policy header"). */
const CROSS_ORIGIN_RESOURCE_POLICIES = ['same-origin', 'same-site', 'cross-origin'] as const;

/** Every variable the gateway reads, with its default: the single source of the env contract. */
export const ENV_SCHEMA = {
  PORT: integer(4000, 0, 65535),
  HOST: text('0.0.0.0'),
  TRUST_PROXY: boolean(false),
  CORS_ORIGINS: list(['http://localhost:3000', 'http://localhost:5173']),
  CORS_CREDENTIALS: boolean(true),
  // Chromium caps a preflight's cache at 7200 s, Firefox at 86400: a larger value is allowed and capped by each
  // browser.
  CORS_MAX_AGE_S: integer(600, 0),
  CORS_EXPOSE_HEADERS: headerNameList(),
  CROSS_ORIGIN_RESOURCE_POLICY: oneOf(CROSS_ORIGIN_RESOURCE_POLICIES, 'same-origin'),
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
  // During a rotation, the secret the auth service signed with before: accepted for verification only.
  JWT_SECRET_PREVIOUS: optionalSecret(),
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
  // Relative to the working directory, or absolute.
  GATEWAY_CONFIG: text('config/gateway.yaml'),
  ...TRACING_ENV,
} satisfies Record<string, EnvVariable<unknown>>;

/**
 * Variables read besides {@link ENV_SCHEMA} whose default follows something else: another variable
 * (`RATE_LIMIT_USER_MAX` follows `RATE_LIMIT_MAX`), or each service's entry in the gateway file
 * (`<ENV>_SERVICE_URL` …). `.env.example` shows them as comments, so a copy of it keeps them following.
 */
export const DERIVED_VARIABLES = [
  'RATE_LIMIT_USER_MAX',
  ...SERVICE_VARIABLES.map((suffix) => `<ENV>_${suffix}`),
] as const;

/** The whole gateway configuration: parsed once at boot, frozen, passed to everything that needs it. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly trustProxy: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Port of the Prometheus listener (on `host`); 0 turns it off. Never the public port. */
  readonly metricsPort: number;
  /** Browser access (DESIGN.md, "CORS and headers"). */
  readonly cors: {
    readonly origins: readonly string[];
    readonly credentials: boolean;
    /** `Access-Control-Max-Age` of a preflight's answer: how long a browser may reuse it. */
    readonly maxAgeSeconds: number;
    /** Response headers scripts may read besides the built-in ones (cors-policy.ts). */
    readonly exposeHeaders: readonly string[];
    /** `Cross-Origin-Resource-Policy` of every response whose service sets none. */
    readonly resourcePolicy: (typeof CROSS_ORIGIN_RESOURCE_POLICIES)[number];
  };
  readonly auth: {
    readonly required: boolean;
    /** The key of `JWT_SECRET`, derived once as the auth service derives it. */
    readonly key: SecretKeyReading;
    /** The key of `JWT_SECRET_PREVIOUS` during a rotation: verifies tokens signed before the switch. */
    readonly previousKey: SecretKeyReading | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly rateLimit: {
    readonly windowMs: number;
    /** Per client IP, before authentication. */
    readonly max: number;
    /** Per verified user, after authentication. */
    readonly userMax: number;
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
  /** From the gateway file, with env overrides applied. */
  readonly services: readonly ServiceConfig[];
  /** From the gateway file: prefixes, upstream paths, public paths, limits, methods and roles. */
  readonly routes: readonly RouteConfig[];
  /** The gateway file the services and routes came from. */
  readonly gatewayFile: { readonly path: string; readonly sha256: string };
  /** Prefix of everything forwarded; rate limits and authentication apply under it only. */
  readonly apiScope: string;
  /** Paths of the gateway's own endpoints. */
  readonly endpoints: {
    readonly health: string;
    readonly ready: string;
    readonly services: string;
    readonly info: string;
  };
  /** OpenTelemetry traces: sampling, export, resource (DESIGN.md, "Tracing"). */
  readonly tracing: TracingConfig;
}

/** Start-up stops with this: its message is one line naming every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';

  /** Each problem on its own, as the message lists them. */
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses and validates `env` and the gateway file it names (`GATEWAY_CONFIG`) into a frozen
 * {@link Config}; throws {@link ConfigError} naming every bad variable and every problem of the
 * file. `readFile` is its one I/O (by default the file system): everything else is pure.
 */
export function loadConfig(env: Env, readFile: (name: string) => GatewayFileText = readGatewayFile): Config {
  const { read, problems } = createEnvReader(env);

  const values = Object.fromEntries(
    Object.entries(ENV_SCHEMA).map(([name, variable]) => [name, read(name, variable as EnvVariable<unknown>)]),
  ) as { [K in keyof typeof ENV_SCHEMA]: (typeof ENV_SCHEMA)[K]['defaultValue'] };

  // Defaults to the per-IP limit, so it is read once that one is known (as per-service timeouts are).
  const userMax = read('RATE_LIMIT_USER_MAX', integer(values.RATE_LIMIT_MAX, 1));

  let routing: Routing | undefined;
  let gatewayFile: Config['gatewayFile'] | undefined;
  try {
    const source = readFile(values.GATEWAY_CONFIG);
    routing = buildRouting(
      parseGatewayFile(source),
      {
        timeoutMs: values.GATEWAY_PROXY_TIMEOUT_MS,
        idleTimeoutMs: values.GATEWAY_PROXY_IDLE_TIMEOUT_MS,
        ejectFailures: values.UPSTREAM_EJECT_FAILURES,
        ejectMs: values.UPSTREAM_EJECT_MS,
        authLimit: values.RATE_LIMIT_AUTH_MAX,
      },
      read,
    );
    gatewayFile = { path: source.path, sha256: hashGatewayFile(source) };
  } catch (error) {
    if (!(error instanceof GatewayFileError)) throw error;
    problems.push(...error.problems);
  }

  const { key, previousKey } = readJwtKeys(values, problems);

  const requestTimeout = values.SERVER_REQUEST_TIMEOUT_MS;
  if (requestTimeout !== 0 && values.SERVER_HEADERS_TIMEOUT_MS > requestTimeout) {
    problems.push('SERVER_HEADERS_TIMEOUT_MS must not be larger than SERVER_REQUEST_TIMEOUT_MS');
  }

  if (values.METRICS_PORT !== 0 && values.METRICS_PORT === values.PORT) {
    problems.push('METRICS_PORT must differ from PORT: metrics are never served on the public port');
  }

  const redis = readRedisTarget(values, problems);
  const tracing = readTracing(values, problems);

  if (problems.length > 0 || routing === undefined || gatewayFile === undefined || key === undefined) {
    throw new ConfigError(problems);
  }

  return deepFreeze({
    port: values.PORT,
    host: values.HOST,
    trustProxy: values.TRUST_PROXY,
    logLevel: values.LOG_LEVEL,
    metricsPort: values.METRICS_PORT,
    cors: {
      origins: values.CORS_ORIGINS,
      credentials: values.CORS_CREDENTIALS,
      maxAgeSeconds: values.CORS_MAX_AGE_S,
      exposeHeaders: values.CORS_EXPOSE_HEADERS,
      resourcePolicy: values.CROSS_ORIGIN_RESOURCE_POLICY,
    },
    auth: {
      required: values.REQUIRE_AUTH,
      key,
      previousKey,
      issuer: values.JWT_ISSUER,
      audience: values.JWT_AUDIENCE,
    },
    rateLimit: {
      windowMs: values.RATE_LIMIT_WINDOW_MS,
      max: values.RATE_LIMIT_MAX,
      userMax,
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
    services: routing.services,
    routes: routing.routes,
    gatewayFile,
    apiScope: API_SCOPE,
    endpoints: GATEWAY_ENDPOINTS,
    tracing,
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
