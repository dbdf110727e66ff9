import type { GatewayFile, LimitEntry, RolesByMethod, RouteEntry, RouteMethod, ServiceEntry } from './gateway-types.js';
import { integer, url, urlList, type EnvVariable } from './parsers.js';
import { decidingNode, policyNodes } from './route-tree.js';

const PROTOCOLS = ['http', 'https'];

/** The variables each service of the gateway file adds, as `<ENV>_<suffix>`: they win over its entry. */
export const SERVICE_VARIABLES = [
  'SERVICE_URL',
  'SERVICE_TIMEOUT_MS',
  'SERVICE_IDLE_TIMEOUT_MS',
  'SERVICE_HEALTH_INTERVAL_MS',
] as const;

/** A downstream service: its gateway-file entry with env overrides and defaults applied. */
export interface ServiceConfig {
  readonly name: string;
  /** Env prefix of its variables (`PRODUCT` → `PRODUCT_SERVICE_URL`). */
  readonly env: string;
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

/** A stricter per-IP limit on one path and everything below it (per segment). */
export interface RouteLimit {
  readonly path: string;
  /** Requests per `RATE_LIMIT_WINDOW_MS`. */
  readonly max: number;
}

/** The methods and roles that hold on one path (and below it, unless exact). */
export interface PathPolicy {
  readonly path: string;
  /** True: this path only; false: the path and everything below it. */
  readonly exact: boolean;
  /** Methods allowed; undefined: every method the gateway forwards. */
  readonly methods: readonly RouteMethod[] | undefined;
  /** Roles by method (`*`: any other method); a token with one of them passes. Empty: no role needed. */
  readonly roles: RolesByMethod;
}

/** One row of the route table, bound to its service, with everything that applies under it. */
export interface RouteConfig {
  readonly prefix: string;
  readonly upstreamPath: string;
  readonly service: ServiceConfig;
  /** Paths needing no token, each with everything below it: the prefix itself when the whole route is public. */
  readonly publicPaths: readonly string[];
  /** Per-IP limits on the route or paths under it: each counts on its path and below. */
  readonly limits: readonly RouteLimit[];
  /** Most specific first; the first that covers a request's path decides. The last is the route's own. */
  readonly policies: readonly PathPolicy[];
}

/** What the file's entries fall back to: the gateway-wide variables. */
export interface RoutingDefaults {
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly ejectFailures: number;
  readonly ejectMs: number;
  /** What a limit of `auth` means: `RATE_LIMIT_AUTH_MAX`. */
  readonly authLimit: number;
}

/** Reads one variable of the environment (see parsers.ts `createEnvReader`). */
export type ReadVariable = <T>(name: string, variable: EnvVariable<T>) => T;

/** The services and routes of one gateway file: the part of the configuration that comes from it. */
export interface Routing {
  readonly services: readonly ServiceConfig[];
  readonly routes: readonly RouteConfig[];
}

/**
 * `<ENV>_SERVICE_TIMEOUT_MS` wins over the entry's `timeoutMs`, which wins over `GATEWAY_PROXY_TIMEOUT_MS`; likewise
 * for the others.
 */
function buildService(entry: ServiceEntry, defaults: RoutingDefaults, read: ReadVariable): ServiceConfig {
  const variable = (suffix: (typeof SERVICE_VARIABLES)[number]): string => `${entry.env}_${suffix}`;
  // Already checked (gateway-checks.ts); parsed again for the trailing slash the env's URLs lose too.
  const urls = entry.urls.map((raw) => url(undefined, PROTOCOLS).parse(raw)!);
  return {
    name: entry.name,
    env: entry.env,
    urls: read(variable('SERVICE_URL'), urlList(urls, PROTOCOLS)),
    healthPath: entry.healthPath,
    timeoutMs: read(variable('SERVICE_TIMEOUT_MS'), integer(entry.timeoutMs ?? defaults.timeoutMs, 1)),
    idleTimeoutMs: read(variable('SERVICE_IDLE_TIMEOUT_MS'), integer(entry.idleTimeoutMs ?? defaults.idleTimeoutMs, 1)),
    healthIntervalMs:
      read(variable('SERVICE_HEALTH_INTERVAL_MS'), integer(entry.healthIntervalMs ?? 0, 0)) || undefined,
    ejectFailures: entry.ejectFailures ?? defaults.ejectFailures,
    ejectMs: entry.ejectMs ?? defaults.ejectMs,
  };
}

function buildRoute(entry: RouteEntry, index: number, service: ServiceConfig, authLimit: number): RouteConfig {
  const nodes = policyNodes(entry, index);
  const maxOf = (limit: LimitEntry): number => (limit === 'auth' ? authLimit : limit);
  return {
    prefix: entry.prefix,
    upstreamPath: entry.upstreamPath,
    service,
    publicPaths: nodes.filter((node) => node.entry.public === true).map((node) => node.path),
    limits: nodes.flatMap((node) =>
      node.entry.limit === undefined ? [] : [{ path: node.path, max: maxOf(node.entry.limit) }],
    ),
    policies: nodes.map((node): PathPolicy => ({
      path: node.path,
      exact: node.exact,
      methods: decidingNode(nodes, node, 'methods')?.entry.methods,
      roles: decidingNode(nodes, node, 'roles')?.entry.roles ?? {},
    })),
  };
}

/**
 * The services and routes of a checked gateway file, with the env variables that name a service
 * applied over its entry (bad values are reported through `read`). Pure: a reload can build a
 * new {@link Routing} aside and swap it in.
 */
export function buildRouting(file: GatewayFile, defaults: RoutingDefaults, read: ReadVariable): Routing {
  const services = file.services.map((entry) => buildService(entry, defaults, read));
  const routes = file.routes.map((entry, index) =>
    buildRoute(
      entry,
      index,
      services.find((service) => service.name === entry.service)!,
      defaults.authLimit,
    ),
  );
  return { services, routes };
}
