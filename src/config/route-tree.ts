import { isUnderPrefix } from '../proxy/path.js';
import type { PathEntry, PolicyEntry, RouteEntry } from './gateway-types.js';

/** The route itself or one of its paths: where a policy field may be written. */
export interface PolicyNode {
  readonly path: string;
  readonly exact: boolean;
  readonly entry: PolicyEntry;
  /** `routes[1]` or `routes[1].paths[0]`. */
  readonly location: string;
}

/** True when `path` is `node`'s path (exact) or lies under it (per segment). */
export function covers(node: Pick<PolicyNode, 'path' | 'exact'>, path: string): boolean {
  return node.exact ? path === node.path : isUnderPrefix(path, node.path);
}

/**
 * The route and its paths as policy nodes, most specific first: longer paths, then exact before prefix; the route last.
 */
export function policyNodes(route: RouteEntry, index: number): PolicyNode[] {
  const paths = (route.paths ?? []).map((entry: PathEntry, position): PolicyNode => ({
    path: entry.path,
    exact: entry.exact === true,
    entry,
    location: `routes[${index}].paths[${position}]`,
  }));
  paths.sort((a, b) => b.path.length - a.path.length || Number(b.exact) - Number(a.exact));
  return [...paths, { path: route.prefix, exact: false, entry: route, location: `routes[${index}]` }];
}

/**
 * The node that decides `field` for `node`: itself when it writes the field, else the nearest
 * node that covers it and writes it (the route last); undefined when none does.
 */
export function decidingNode(
  nodes: readonly PolicyNode[],
  node: PolicyNode,
  field: 'methods' | 'roles',
): PolicyNode | undefined {
  if (node.entry[field] !== undefined) return node;
  return nodes.find(
    (candidate) =>
      candidate !== node && !candidate.exact && covers(candidate, node.path) && candidate.entry[field] !== undefined,
  );
}

/** True when no token is needed on `node`'s path: the route is public, or a public path covers it. */
export function isPublicNode(nodes: readonly PolicyNode[], node: PolicyNode): boolean {
  return nodes.some(
    (candidate) =>
      candidate.entry.public === true && (candidate === node || (!candidate.exact && covers(candidate, node.path))),
  );
}
