import { readSecretKey, SecretKeyError, type SecretEncoding, type SecretKeyReading } from '../auth/key.js';

/** The documented placeholder of `JWT_SECRET`: refused in production. */
export const PLACEHOLDER_SECRET = 'CHANGE_ME_TO_A_STRONG_SECRET';
const MIN_PRODUCTION_SECRET_LENGTH = 32;
/** jjwt refuses HMAC-SHA256 keys under 256 bits; so does the gateway in production. */
const MIN_PRODUCTION_KEY_BYTES = 32;

/** The JWT variables, already parsed one by one. */
export interface JwtVariables {
  readonly JWT_SECRET: string;
  readonly JWT_SECRET_PREVIOUS: string | undefined;
  readonly JWT_SECRET_ENCODING: SecretEncoding;
  readonly NODE_ENV: string;
}

/** The verification keys, each derived once from its secret. */
export interface JwtKeys {
  readonly key: SecretKeyReading | undefined;
  readonly previousKey: SecretKeyReading | undefined;
}

/** One secret read as the auth service reads it, with the production checks; `undefined` when it cannot be read. */
function readKey(name: string, secret: string, values: JwtVariables, problems: string[]): SecretKeyReading | undefined {
  let key: SecretKeyReading;
  try {
    key = readSecretKey(secret, values.JWT_SECRET_ENCODING, name);
  } catch (error) {
    if (!(error instanceof SecretKeyError)) throw error;
    problems.push(error.message);
    return undefined;
  }
  if (values.NODE_ENV === 'production') {
    if (secret === PLACEHOLDER_SECRET || secret.length < MIN_PRODUCTION_SECRET_LENGTH) {
      problems.push(
        `${name} must be set to a secret of at least ${MIN_PRODUCTION_SECRET_LENGTH} characters when NODE_ENV=production`,
      );
    } else if (key.length < MIN_PRODUCTION_KEY_BYTES) {
      // A 32-character Base64 secret decodes to 24 bytes: the auth service (jjwt) would refuse it.
      problems.push(
        `${name} must give a key of at least ${MIN_PRODUCTION_KEY_BYTES} bytes when NODE_ENV=production (it gives ${key.length})`,
      );
    }
  }
  return key;
}

/**
 * Derives the key of `JWT_SECRET` and, during a rotation, of `JWT_SECRET_PREVIOUS`, both the jjwt
 * way and under the same production rules, adding a line to `problems` for each that cannot serve.
 */
export function readJwtKeys(values: JwtVariables, problems: string[]): JwtKeys {
  return {
    key: readKey('JWT_SECRET', values.JWT_SECRET, values, problems),
    previousKey:
      values.JWT_SECRET_PREVIOUS === undefined
        ? undefined
        : readKey('JWT_SECRET_PREVIOUS', values.JWT_SECRET_PREVIOUS, values, problems),
  };
}
