/* The shape of the gateway file's data: a leaf module, so the modules that read and check it import no cycle. */

/** A method a route may allow or require roles for (TRACE and CONNECT are never forwarded). */
export type RouteMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Roles by method; `*` applies to every method not listed. */
export type RolesByMethod = Readonly<Partial<Record<RouteMethod | '*', readonly string[]>>>;

/** A per-IP limit as the file writes it: a number, or `auth` for `RATE_LIMIT_AUTH_MAX`. */
export type LimitEntry = number | 'auth';

/** One entry of `services` (config/gateway.schema.json describes each field). */
export interface ServiceEntry {
  readonly name: string;
  readonly env: string;
  readonly urls: readonly string[];
  readonly healthPath: string;
  readonly timeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  readonly ejectFailures?: number;
  readonly ejectMs?: number;
}

/** The policy fields a route and each of its paths may carry. */
export interface PolicyEntry {
  readonly public?: boolean;
  readonly limit?: LimitEntry;
  readonly methods?: readonly RouteMethod[];
  readonly roles?: RolesByMethod;
}

/** One entry of a route's `paths`: a whole external path under the route's prefix. */
export interface PathEntry extends PolicyEntry {
  readonly path: string;
  readonly exact?: boolean;
}

/** One entry of `routes`. */
export interface RouteEntry extends PolicyEntry {
  readonly prefix: string;
  readonly service: string;
  readonly upstreamPath: string;
  readonly paths?: readonly PathEntry[];
}

/** The gateway file's data, once it has passed every check. */
export interface GatewayFile {
  readonly services: readonly ServiceEntry[];
  readonly routes: readonly RouteEntry[];
}
