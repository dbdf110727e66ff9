import type { HostPort } from './parsers.js';

/**
 * Where the shared rate limiter finds Redis: one server by URL (`redis://`, or `rediss://` for
 * TLS), or the current master of a Redis Sentinel group.
 */
export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
      readonly master: string;
      /** Password of the master and its replicas (`requirepass`). */
      readonly password: string | undefined;
      /** Password of the sentinels themselves (their own `requirepass`). */
      readonly sentinelPassword: string | undefined;
    };

/** The Redis variables, already parsed one by one. */
export interface RedisVariables {
  readonly REDIS_URL: string | undefined;
  readonly REDIS_SENTINELS: readonly HostPort[] | undefined;
  readonly REDIS_SENTINEL_MASTER: string | undefined;
  readonly REDIS_PASSWORD: string | undefined;
  readonly REDIS_SENTINEL_PASSWORD: string | undefined;
}

/**
 * Combines the Redis variables into one {@link RedisTarget} (`undefined`: limits in memory only),
 * adding a line to `problems` for each combination that cannot mean what the operator wants.
 */
export function readRedisTarget(values: RedisVariables, problems: string[]): RedisTarget | undefined {
  const { REDIS_URL: url, REDIS_SENTINELS: sentinels, REDIS_SENTINEL_MASTER: master } = values;
  const { REDIS_PASSWORD: password, REDIS_SENTINEL_PASSWORD: sentinelPassword } = values;
  const before = problems.length;

  if (url !== undefined && sentinels !== undefined) {
    problems.push(
      'REDIS_URL and REDIS_SENTINELS must not both be set: use REDIS_URL for one Redis server, REDIS_SENTINELS for a Sentinel group',
    );
  }
  if (sentinels !== undefined && master === undefined) {
    problems.push('REDIS_SENTINEL_MASTER must name the master group the sentinels in REDIS_SENTINELS monitor');
  }
  if (master !== undefined && sentinels === undefined) {
    problems.push('REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS: list the sentinels as host:port,host:port');
  }
  // With one server the password belongs in the URL (redis://:password@host); two places would disagree.
  for (const [name, value] of [
    ['REDIS_PASSWORD', password],
    ['REDIS_SENTINEL_PASSWORD', sentinelPassword],
  ] as const) {
    if (value !== undefined && sentinels === undefined) {
      problems.push(`${name} applies only with REDIS_SENTINELS (with REDIS_URL, put the password in the URL)`);
    }
  }
  if (problems.length > before) return undefined;

  if (sentinels !== undefined && master !== undefined)
    return { kind: 'sentinel', sentinels, master, password, sentinelPassword };
  if (url !== undefined) return { kind: 'url', url };
  return undefined;
}
