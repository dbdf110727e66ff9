import { API_SCOPE } from '../../config/endpoints.js';
import { isUnderPrefix } from '../proxy/path.js';
import type { GatewayFile, RouteEntry, ServiceEntry } from './gateway-types.js';
import { url, urlList } from './parsers.js';
import { decidingNode, isPublicNode, policyNodes } from './route-tree.js';

const PROTOCOLS = ['http', 'https'];

/** Each value of `field` that repeats an earlier entry's: `<location>: … is already … of <first>`. */
function duplicates<T>(entries: readonly T[], field: keyof T & string, list: string, what: string): string[] {
  const first = new Map<unknown, number>();
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const value = entry[field];
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else problems.push(`${list}[${index}].${field}: ${String(value)} is already the ${what} of ${list}[${earlier}]`);
  });
  return problems;
}

function checkServices(services: readonly ServiceEntry[]): string[] {
  const problems = [
    ...duplicates(services, 'name', 'services', 'name'),
    ...duplicates(services, 'env', 'services', 'env prefix'),
  ];
  services.forEach((service, index) => {
    const single = url(undefined, PROTOCOLS);
    let valid = true;
    service.urls.forEach((raw, position) => {
      try {
        single.parse(raw);
      } catch (error) {
        valid = false;
        problems.push(`services[${index}].urls[${position}]: ${(error as Error).message} (got ${JSON.stringify(raw)})`);
      }
    });
    if (!valid) return;
    try {
      urlList([], PROTOCOLS).parse(service.urls.join(','));
    } catch (error) {
      problems.push(`services[${index}].urls: ${(error as Error).message}`);
    }
  });
  return problems;
}

/** Prefixes: under the API scope (where auth and rate limits run), each once, none inside another. */
function checkPrefixes(routes: readonly RouteEntry[]): string[] {
  const problems = duplicates(routes, 'prefix', 'routes', 'prefix');
  routes.forEach((route, index) => {
    if (!isUnderPrefix(route.prefix, API_SCOPE)) {
      problems.push(
        `routes[${index}].prefix: ${route.prefix} is outside ${API_SCOPE}, where authentication and rate limits apply`,
      );
    }
    routes.forEach((other, otherIndex) => {
      if (other.prefix !== route.prefix && isUnderPrefix(route.prefix, other.prefix)) {
        problems.push(
          `routes[${index}].prefix: ${route.prefix} lies under routes[${otherIndex}].prefix ${other.prefix}: one route would shadow the other`,
        );
      }
    });
  });
  return problems;
}

/** A route's paths: under its prefix, each once; no roles where no token is needed. */
function checkPaths(route: RouteEntry, index: number): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  (route.paths ?? []).forEach((entry, position) => {
    const location = `routes[${index}].paths[${position}].path`;
    if (!isUnderPrefix(entry.path, route.prefix)) {
      problems.push(`${location}: ${entry.path} is outside its route's prefix ${route.prefix}`);
    }
    const key = `${entry.exact === true ? 'exact' : 'prefix'} ${entry.path}`;
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, position);
    else problems.push(`${location}: ${entry.path} is already listed at routes[${index}].paths[${earlier}]`);
  });
  const nodes = policyNodes(route, index);
  for (const node of nodes) {
    if (!isPublicNode(nodes, node)) continue;
    const deciding = decidingNode(nodes, node, 'roles');
    const roles = Object.values(deciding?.entry.roles ?? {}).flat();
    if (deciding === undefined || roles.length === 0) continue;
    const from = deciding === node ? '' : ` (from ${deciding.location}.roles)`;
    problems.push(
      `${node.location}${deciding === node ? '.roles' : ''}: ${node.path} needs no token, so it cannot require roles${from}`,
    );
  }
  return problems;
}

/**
 * Checks across entries that a schema cannot express: unique service names and env prefixes,
 * valid service URLs, unique and non-overlapping prefixes under the API scope, routes to known
 * services, paths under their route, no roles on public paths. Each problem is
 * `<location>: <reason>`; none when the file is sound.
 */
export function checkGatewayFile(file: GatewayFile): string[] {
  const names = new Set(file.services.map((service) => service.name));
  const problems = [...checkServices(file.services), ...checkPrefixes(file.routes)];
  file.routes.forEach((route, index) => {
    if (!names.has(route.service)) {
      problems.push(
        `routes[${index}].service: no service is named ${route.service} (services: ${[...names].join(', ')})`,
      );
    }
    problems.push(...checkPaths(route, index));
  });
  return problems;
}
