import type { Logger } from 'pino';
import type { SecretKeyReading } from './key.js';

/** How to make a secret every party can use: 64 random bytes, Base64 (the auth service signs HS512). */
const ADVICE = "use Base64 of 32 or more random bytes on one line, e.g. `openssl rand -base64 64 | tr -d '\\n'`";

/**
 * Logs at start-up how the secret of `name` (`JWT_SECRET`, `JWT_SECRET_PREVIOUS`) was read (one info line: reading, key
 * length, algorithms;
 * never the key) and one warn line for each reason tokens will not pass: a key too short for any
 * algorithm, a secret the auth service itself cannot sign with, or a forced reading that gives
 * other bytes than the auth service's.
 */
export function logSecretKey(logger: Logger, reading: SecretKeyReading, name = 'JWT_SECRET'): void {
  const { encoding, forced, length, algorithms, service } = reading;
  const readBy = forced ? 'JWT_SECRET_ENCODING' : 'auto';
  logger.info(
    { variable: name, secretEncoding: encoding, readBy, keyBytes: length, algorithms },
    `${name} read as ${encoding} (${readBy}): ${length}-byte key, accepting ${algorithms.length > 0 ? algorithms.join(', ') : 'no algorithm'}`,
  );
  if (algorithms.length === 0) {
    logger.warn(
      { keyBytes: length },
      `JWT key is ${length} bytes, under the 32 that HS256 needs: every token will be refused; ${ADVICE}`,
    );
  }
  if (service.result === 'cannot-decode') {
    logger.warn(
      { authService: 'DecodingException' },
      `the auth service cannot sign with this ${name}: its Base64 decoder (jjwt) refuses it and does not fall back to text; ${ADVICE}`,
    );
  } else if (service.result === 'weak-key') {
    logger.warn(
      { authService: 'WeakKeyException', authServiceKeyBytes: service.keyBytes },
      `the auth service cannot sign with this ${name}: it reads a ${service.keyBytes}-byte key, under the 32 jjwt requires; ${ADVICE}`,
    );
  } else if (!reading.sameKeyAsService) {
    logger.warn(
      { authService: service.algorithm, authServiceKeyBytes: service.keyBytes },
      `JWT_SECRET_ENCODING=${encoding} gives ${name} other key bytes than the auth service (base64, ${service.keyBytes} bytes, ${service.algorithm}): its tokens will be refused`,
    );
  }
}
