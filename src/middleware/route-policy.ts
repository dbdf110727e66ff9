import type { Logger } from 'pino';
import { authorityOf } from '../auth/roles.js';
import type { PathPolicy, RouteConfig } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { methodNotAllowed } from '../proxy/methods.js';
import { isUnderPrefix } from '../proxy/path.js';
import type { GatewayMiddleware } from '../state.js';

/** A {@link PathPolicy} made ready for lookups: sets, the `Allow` header, Spring authorities. */
interface CompiledPolicy {
  readonly path: string;
  readonly exact: boolean;
  readonly allowed: ReadonlySet<string> | undefined;
  readonly allow: string;
  /** Authorities by method, `*` for the others; the roles as written, for the log. */
  readonly roles: ReadonlyMap<string, { readonly authorities: ReadonlySet<string>; readonly names: readonly string[] }>;
}

function compile(policy: PathPolicy): CompiledPolicy {
  // A HEAD is a GET without the body (RFC 9110 §9.3.2): allowed, and guarded, as the GET is.
  const methods =
    policy.methods?.includes('GET') && !policy.methods.includes('HEAD') ? [...policy.methods, 'HEAD'] : policy.methods;
  const roles = new Map(
    Object.entries(policy.roles).map(([method, names]) => [
      method,
      { authorities: new Set(names.map(authorityOf)), names },
    ]),
  );
  if (roles.has('GET') && !roles.has('HEAD')) roles.set('HEAD', roles.get('GET')!);
  return {
    path: policy.path,
    exact: policy.exact,
    allowed: methods && new Set(methods),
    allow: (methods ?? []).join(', '),
    roles,
  };
}

/**
 * The route policies of the gateway file, after authentication and before the router: a method
 * the route does not allow gets 405 `METHOD_NOT_ALLOWED` with `Allow`; a verified user without
 * one of the roles the method requires gets 403 `FORBIDDEN` (`Insufficient role`), logged with
 * the user id and the roles required, and is never forwarded. Roles compare as the shop's Spring
 * services compare them (see auth/roles.ts). A request without a token reaches this layer only
 * where no token is needed (a public path, or `REQUIRE_AUTH=false`): it has no role to check.
 * Every table is built here, at start-up; a request costs a prefix scan and two lookups.
 */
export function createRoutePolicy(options: { routes: readonly RouteConfig[]; logger: Logger }): GatewayMiddleware {
  const { logger } = options;
  const routes = options.routes.map((route) => ({ prefix: route.prefix, policies: route.policies.map(compile) }));

  return async function routePolicy(ctx, next) {
    const route = routes.find((candidate) => isUnderPrefix(ctx.path, candidate.prefix));
    // The first policy that covers the path decides; the route's own, last, covers every path under it.
    const policy = route?.policies.find((candidate) =>
      candidate.exact ? ctx.path === candidate.path : isUnderPrefix(ctx.path, candidate.path),
    );
    if (policy === undefined) {
      await next();
      return;
    }
    const { method } = ctx;
    if (policy.allowed !== undefined && !policy.allowed.has(method)) throw methodNotAllowed(method, policy.allow);
    const required = policy.roles.get(method) ?? policy.roles.get('*');
    const user = ctx.state.user;
    if (required !== undefined && required.names.length > 0 && user !== undefined) {
      if (user.role === undefined || !required.authorities.has(authorityOf(user.role))) {
        logger.info(
          {
            correlationId: ctx.state.correlationId,
            userId: user.id,
            role: user.role,
            requiredRoles: required.names,
            method,
            path: ctx.path,
          },
          'role refused',
        );
        throw new GatewayError(403, 'FORBIDDEN', 'Insufficient role');
      }
    }
    await next();
  };
}
