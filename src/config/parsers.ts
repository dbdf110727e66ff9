/** Reads one raw env value: returns the parsed value, or throws a message saying what is wrong. */
export interface EnvVariable<T> {
  /** Value of an unset variable. */
  readonly defaultValue: T;
  /** Value of a variable set to the empty string: the default, except where empty means "none". */
  readonly emptyValue: T;
  /** True when surrounding whitespace belongs to the value (a secret): it is then not trimmed. */
  readonly untrimmed?: boolean;
  /** Parses a non-empty raw value, trimmed unless {@link untrimmed}. */
  parse(raw: string): T;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** A whole number in [min, max]. */
export function integer(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER): EnvVariable<number> {
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse(raw) {
      const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new Error(`must be a whole number from ${min} to ${max}`);
      }
      return value;
    },
  };
}

/** `true`/`false` (also 1/0, yes/no, on/off); anything else is refused rather than guessed. */
export function boolean(defaultValue: boolean): EnvVariable<boolean> {
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse(raw) {
      const word = raw.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      throw new Error('must be true or false');
    },
  };
}

/** Free text. */
export function text(defaultValue: string): EnvVariable<string> {
  return { defaultValue, emptyValue: defaultValue, parse: (raw) => raw };
}

/** Text taken exactly as set, surrounding whitespace included: a secret's every character is key material. */
export function exactText(defaultValue: string): EnvVariable<string> {
  return { defaultValue, emptyValue: defaultValue, untrimmed: true, parse: (raw) => raw };
}

/** A secret that may be absent: taken exactly as set, like {@link exactText}; unset or empty means "none". */
export function optionalSecret(): EnvVariable<string | undefined> {
  return { defaultValue: undefined, emptyValue: undefined, untrimmed: true, parse: (raw) => raw };
}

/** Text where an empty value means "none", e.g. `JWT_ISSUER=` turns the issuer check off. */
export function optionalText(defaultValue: string | undefined): EnvVariable<string | undefined> {
  return { defaultValue, emptyValue: undefined, parse: (raw) => raw };
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(words: readonly T[], defaultValue: T): EnvVariable<T> {
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse(raw) {
      const word = words.find((candidate) => candidate === raw.toLowerCase());
      if (word === undefined) throw new Error(`must be one of ${words.join(', ')}`);
      return word;
    },
  };
}

/** A comma-separated list; blanks dropped. */
export function list(defaultValue: readonly string[]): EnvVariable<readonly string[]> {
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse: (raw) =>
      raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
  };
}

/** An HTTP field name: a token (RFC 9110 §5.1, §5.6.2). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A comma-separated list of header names; blanks dropped. */
export function headerNameList(): EnvVariable<readonly string[]> {
  const names = list([]);
  return {
    ...names,
    parse(raw) {
      const parsed = names.parse(raw);
      const bad = parsed.find((name) => !FIELD_NAME.test(name));
      if (bad !== undefined)
        throw new Error(`must be header names separated by commas (${JSON.stringify(bad)} is not one)`);
      return parsed;
    },
  };
}

/** An absolute URL with one of `protocols`, no query or fragment; returned without a trailing slash. */
export function url(defaultValue: string | undefined, protocols: readonly string[]): EnvVariable<string | undefined> {
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse(raw) {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        throw new Error(`must be an absolute ${protocols.join(' or ')} URL`);
      }
      if (!protocols.includes(parsed.protocol.slice(0, -1))) {
        throw new Error(`must be an absolute ${protocols.join(' or ')} URL`);
      }
      // `new URL('http://x/?').search` is '': look at the text for a bare `?` or `#` too.
      if (raw.includes('?') || raw.includes('#')) throw new Error('must not have a query or fragment');
      return raw.replace(/\/+$/, '');
    },
  };
}

/**
 * One URL or a comma-separated list of them (a service's instances): each as {@link url} reads it,
 * all with the same scheme and base path, since one request is rewritten once and sent to any.
 */
export function urlList(defaultValue: readonly string[], protocols: readonly string[]): EnvVariable<readonly string[]> {
  const single = url(undefined, protocols);
  return {
    defaultValue,
    emptyValue: defaultValue,
    parse(raw) {
      const urls = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
        .map((item) => single.parse(item)!);
      const shapes = new Set(
        urls.map((item) => {
          const parsed = new URL(item);
          return `${parsed.protocol}${parsed.pathname.replace(/\/$/, '')}`;
        }),
      );
      if (shapes.size > 1) throw new Error('must list URLs with one scheme and one base path');
      return urls;
    },
  };
}

/** A network address: a host name or IP, and a TCP port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` or `[ipv6]:port`; a bracketed IPv6 address is returned without its brackets. */
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/,]+)):(\d{1,5})$/;

/** A comma-separated list of `host:port` (at least one); `undefined` when unset or empty. */
export function hostPortList(): EnvVariable<readonly HostPort[] | undefined> {
  return {
    defaultValue: undefined,
    emptyValue: undefined,
    parse(raw) {
      const entries = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      return entries.map((entry): HostPort => {
        const match = HOST_PORT.exec(entry);
        const port = Number(match?.[3]);
        if (match === null || port < 1 || port > 65535) {
          throw new Error(
            `must be a comma-separated list of host:port with ports from 1 to 65535 (bad entry ${JSON.stringify(entry)})`,
          );
        }
        return { host: match[1] ?? match[2]!, port };
      });
    },
  };
}

/** A rejected value is echoed in the start-up error: `scheme://user:password@host` shows as `scheme://user:***@host`. */
export function hidePassword(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, '$1***@');
}

/**
 * Reads variables from one environment, collecting a line for each bad one instead of stopping
 * at the first; checks across variables add theirs to the same `problems`.
 */
export function createEnvReader(env: Readonly<Record<string, string | undefined>>): {
  readonly read: <T>(name: string, variable: EnvVariable<T>) => T;
  readonly problems: string[];
} {
  const problems: string[] = [];
  return {
    problems,
    read(name, variable) {
      const raw = variable.untrimmed === true ? env[name] : env[name]?.trim();
      if (raw === undefined) return variable.defaultValue;
      if (raw === '') return variable.emptyValue;
      try {
        return variable.parse(raw);
      } catch (error) {
        problems.push(`${name} ${(error as Error).message} (got ${JSON.stringify(hidePassword(raw))})`);
        return variable.defaultValue;
      }
    },
  };
}
