import { parse } from 'yaml';
import { GatewayFileError, type GatewayFileText } from '../../src/config/gateway-file.js';
import { readRepoFile } from './dockerfile.js';

/** One service of docker-compose.yml, the fields the tests read. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly volumes?: string[];
  readonly depends_on?: Record<string, { condition?: string }>;
  readonly healthcheck?: { test?: string[] };
  readonly stop_grace_period?: string;
  /** Compose profiles that start this service; none: it always starts. */
  readonly profiles?: string[];
}

/** docker-compose.yml parsed as Compose reads it: merge keys (`<<`) applied. */
export function readCompose(): { services: Record<string, ComposeService> } {
  return parse(readRepoFile('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
}

/**
 * `value` as Compose interpolates it with the variables in `set` (none by default): `${NAME:-default}` is the default,
 * `${NAME:?…}` an error.
 */
export function interpolate(value: string, set: Record<string, string> = {}): string {
  return value.replace(
    /\$\{(\w+)(?::?([-?])([^}]*))?\}/g,
    (_match, name: string, operator?: string, fallback?: string) => {
      const given = set[name];
      if (given !== undefined && given !== '') return given;
      if (operator === '?') throw new Error(`${name} must be set: ${fallback}`);
      return fallback ?? '';
    },
  );
}

/** The environment of a compose service with interpolation applied (variables assumed unset, unless given in `set`). */
export function environmentOf(service: ComposeService, set: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), set)]),
  );
}

/**
 * A reader of the files a compose service sees through its bind mounts (`./host:/container:ro`),
 * for `loadConfig`: a path no volume mounts is no file.
 */
export function mountedFileReader(service: ComposeService): (path: string) => GatewayFileText {
  return (path) => {
    for (const volume of service.volumes ?? []) {
      const [host, container] = volume.split(':') as [string, string];
      if (path === container || path.startsWith(`${container}/`))
        return { path, text: readRepoFile(host.replace(/^\.\//, '') + path.slice(container.length)) };
    }
    throw new GatewayFileError([`GATEWAY_CONFIG: ${path} is not a file any volume mounts`]);
  };
}

/** Compose durations such as `15s`, `1m30s` or `500ms`, in milliseconds. */
export function durationMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * units[unit!]!;
  return total;
}

/** `server` entries of the named `upstream` block of an nginx config. */
export function upstreamServers(config: string, name: string): string[] {
  const block = new RegExp(`upstream\\s+${name}\\s*\\{([^}]*)\\}`).exec(withoutComments(config))?.[1];
  if (block === undefined) return [];
  return [...block.matchAll(/^\s*server\s+([^\s;]+)[^;]*;/gm)].map((match) => match[1]!);
}

/** An nginx config without its `#` comments. */
export function withoutComments(config: string): string {
  return config.replace(/#.*$/gm, '');
}
