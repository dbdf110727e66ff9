import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { checkGatewayFile } from './gateway-checks.js';
import { schemaProblems } from './gateway-schema.js';
import type { GatewayFile } from './gateway-types.js';

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
    throw new GatewayFileError(
      document.errors.map((error) => {
        const position = error.linePos?.[0];
        const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return at(position === undefined ? reason : `line ${position.line}, column ${position.col}: ${reason}`);
      }),
    );
  }
  const data: unknown = document.toJS();
  const shape = schemaProblems(data);
  if (shape.valid === false) throw new GatewayFileError(shape.problems.map(at));
  const problems = checkGatewayFile(shape.file);
  if (problems.length > 0) throw new GatewayFileError(problems.map(at));
  return shape.file;
}
