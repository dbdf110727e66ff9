import { Ajv, type ErrorObject } from 'ajv';
import schema from '../../config/gateway.schema.json' with { type: 'json' };
import type { GatewayFile } from './gateway-types.js';

/**
 * The schema compiled once. `allErrors`: every problem is listed, not the first; `verbose`: an
 * error carries its schema node, whose `patternErrorMessage` (the keyword VS Code's YAML and JSON
 * editors show for a pattern) or `description` says in words what a pattern or `not` means.
 */
const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
ajv.addKeyword('patternErrorMessage');
const validate = ajv.compile<GatewayFile>(schema);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** JSON Schema's type names in an operator's words. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  integer: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** `/routes/2/prefix` (a JSON pointer, RFC 6901) → `routes[2].prefix`. */
function locationOf(pointer: string, child?: string): string {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) segments.push(child);
  let location = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) location += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) location += location === '' ? segment : `.${segment}`;
    else location += `[${JSON.stringify(segment)}]`;
  }
  return location === '' ? '(the document)' : location;
}

/** One Ajv error in words, with its location; undefined for errors that only repeat another. */
function describe(error: ErrorObject): string | undefined {
  const node = (error.parentSchema ?? {}) as {
    patternErrorMessage?: string;
    description?: string;
    properties?: object;
  };
  const params = error.params as Record<string, unknown>;
  // An error inside `propertyNames` repeats the propertyNames error itself.
  if (error.propertyName !== undefined) return undefined;
  switch (error.keyword) {
    case 'if':
      // The failing `then` branch reports its own error.
      return undefined;
    case 'required':
      return `${locationOf(error.instancePath, String(params.missingProperty))}: is required`;
    case 'additionalProperties': {
      const known = Object.keys(node.properties ?? {}).join(', ');
      return `${locationOf(error.instancePath, String(params.additionalProperty))}: is not a field here (fields: ${known})`;
    }
    case 'propertyNames':
      return `${locationOf(error.instancePath, String(params.propertyName))}: is not a method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS) or *`;
    case 'pattern':
      return `${locationOf(error.instancePath)}: ${node.patternErrorMessage ?? error.message} (got ${JSON.stringify(error.data)})`;
    case 'not':
      return `${locationOf(error.instancePath)}: is not allowed here${node.description !== undefined ? `: ${node.description}` : ''}`;
    case 'enum':
      return `${locationOf(error.instancePath)}: must be one of ${(params.allowedValues as unknown[]).join(', ')} (got ${JSON.stringify(error.data)})`;
    case 'const':
      return `${locationOf(error.instancePath)}: must be ${JSON.stringify(params.allowedValue)} or left out`;
    case 'type':
      return `${locationOf(error.instancePath)}: must be ${String(params.type)
        .split(',')
        .map((type) => TYPE_NAMES[type] ?? type)
        .join(' or ')} (got ${JSON.stringify(error.data)})`;
    default:
      return `${locationOf(error.instancePath)}: ${error.message ?? error.keyword}`;
  }
}

/**
 * Checks `data` against config/gateway.schema.json: the typed file, or every problem as
 * `<location>: <reason>` (`routes[2].prefix: must be a path …`).
 */
export function schemaProblems(
  data: unknown,
): { valid: true; file: GatewayFile } | { valid: false; problems: string[] } {
  if (validate(data)) return { valid: true, file: data };
  const problems = (validate.errors ?? []).map(describe).filter((problem) => problem !== undefined);
  // A propertyNames failure is also reported by the keyword it failed inside; keep one line per problem.
  return { valid: false, problems: [...new Set(problems)] };
}
