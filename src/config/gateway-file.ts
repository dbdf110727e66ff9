import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { checkGatewayFile } from './gateway-checks.js';
import { schemaProblems } from './gateway-schema.js';

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

/** The text of a gateway file and where it was read. */
export interface GatewayFileText {
  /** The absolute path, as problems and logs name it. */
  readonly path: string;
  readonly text: string;
}

/** A gateway file that cannot be used: each problem names the file, the location and the reason. */
export class GatewayFileError extends Error {
  override name = 'GatewayFileError';

  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** Reads the file `name` (relative to the working directory, or absolute): the one I/O of loading the configuration. */
export function readGatewayFile(name: string): GatewayFileText {
  const path = resolve(name);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new GatewayFileError([`GATEWAY_CONFIG: cannot read the gateway file ${path} (${code ?? message})`]);
  }
}

/** SHA-256 of the file's text, hex: says which file a running gateway loaded. */
export function hashGatewayFile(source: GatewayFileText): string {
  return createHash('sha256').update(source.text).digest('hex');
}

/**
 * Parses a gateway file (YAML, or JSON, which YAML 1.2 reads too) and checks it: against
 * config/gateway.schema.json, then across entries (see gateway-checks.ts). Pure: the same text
 * gives the same answer. Throws {@link GatewayFileError} listing every problem of the first stage
 * that fails (syntax, schema, then the cross-entry checks, which need a well-formed file).
 */
export function parseGatewayFile(source: GatewayFileText): GatewayFile {
  const at = (problem: string): string => `${source.path}: ${problem}`;
  const document = parseDocument(source.text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new GatewayFileError(document.errors.map((error) => {
      const position = error.linePos?.[0];
      const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return at(position === undefined ? reason : `line ${position.line}, column ${position.col}: ${reason}`);
    }));
  }
  const data: unknown = document.toJS();
  const shape = schemaProblems(data);
  if (shape.valid === false) throw new GatewayFileError(shape.problems.map(at));
  const problems = checkGatewayFile(shape.file);
  if (problems.length > 0) throw new GatewayFileError(problems.map(at));
  return shape.file;
}
