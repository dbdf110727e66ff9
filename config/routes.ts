import type { ServiceId } from './services.js';

/** Everything the gateway forwards lives under this prefix: rate limits and authentication apply here only. */
export const API_SCOPE = '/api';

/** The gateway's own endpoints: outside {@link API_SCOPE}, so never rate-limited and never authenticated. */
export const GATEWAY_ENDPOINTS = {
  health: '/health',
  ready: '/health/ready',
  services: '/health/services',
  info: '/info',
} as const;

/** One external prefix forwarded to one service: data only, read by src/config at boot. */
export interface RouteDefinition {
  /** External prefix, matched per path segment (`/api/v1/products` matches `/api/v1/products/1`, not `/api/v1/productsX`). */
  readonly prefix: string;
  readonly service: ServiceId;
  /** Replaces the prefix on the way downstream: `/api/v1/products/1` → `/products/1`. */
  readonly upstreamPath: string;
}

/** The route table. Adding a route is one entry here. */
export const ROUTES = [
  { prefix: '/api/v1/auth', service: 'auth', upstreamPath: '/auth' },
  { prefix: '/api/v1/users', service: 'users', upstreamPath: '/users' },
  { prefix: '/api/v1/products', service: 'products', upstreamPath: '/products' },
  { prefix: '/api/v1/inventory', service: 'inventory', upstreamPath: '/inventory' },
] as const satisfies readonly RouteDefinition[];

/** Paths that need no token even when `REQUIRE_AUTH=true`, matched per segment. */
export const PUBLIC_PATHS = [
  '/api/v1/auth/register',
  '/api/v1/auth/login',
  '/api/v1/auth/refresh-token',
] as const;

/** A stricter limit on one path (matched per segment), counted per client IP. */
export interface RouteLimitDefinition {
  readonly path: string;
  /** Requests per `RATE_LIMIT_WINDOW_MS`: a number, or `auth` for `RATE_LIMIT_AUTH_MAX` (default 20). */
  readonly max: number | 'auth';
}

/** Per-route limits: the public auth paths are kept strict against credential stuffing. */
export const ROUTE_LIMITS = [
  { path: '/api/v1/auth/login', max: 'auth' },
  { path: '/api/v1/auth/register', max: 'auth' },
  { path: '/api/v1/auth/refresh-token', max: 'auth' },
] as const satisfies readonly RouteLimitDefinition[];
