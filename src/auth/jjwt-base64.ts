/**
 * A port of jjwt 0.12.6's `Decoders.BASE64` (`io.jsonwebtoken.io.Base64#decodeFast`, wrapped by
 * `ExceptionPropagatingDecoder`), the decoder the shop's auth service reads `JWT_SECRET` with.
 * It is lenient in its own way, and the key bytes must match it exactly: characters outside the
 * alphabet are skipped at the start and end only, padding is optional, a final dangling character
 * is dropped, `=` inside reads as zero bits, and anything else outside the alphabet fails. Every
 * Java exception on the way (an index out of range, a negative array size) surfaces from jjwt as
 * a `DecodingException`; here each is a {@link Base64DecodingError}. Java's `char` is a UTF-16
 * code unit, as is `String.prototype.charCodeAt`. Checked against the real jjwt by
 * `../shared/interop/jjwt-key-vectors.tsv`.
 */

/** Thrown wherever jjwt's decoder throws (`DecodingException`): the auth service cannot use the secret. */
export class Base64DecodingError extends Error {
  override name = 'Base64DecodingError';
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const EQUALS = 0x3d;
const CR = 0x0d;
/** jjwt's `IALPHABET`: the value of each char code below 256, -1 outside the alphabet, `=` reads as 0. */
const VALUES = new Int8Array(256).fill(-1);
for (let index = 0; index < ALPHABET.length; index++) VALUES[ALPHABET.charCodeAt(index)] = index;
VALUES[EQUALS] = 0;

/** `String.charAt` in Java: out of range throws (StringIndexOutOfBoundsException). */
function codeAt(seq: string, index: number): number {
  if (index < 0 || index >= seq.length) throw new Base64DecodingError(`reads past the text at index ${index}`);
  return seq.charCodeAt(index);
}

/** `IALPHABET[c]` as the trimming loops index it: a char above U+00FF is out of the table's bounds there. */
function tableValue(seq: string, index: number): number {
  const code = codeAt(seq, index);
  if (code >= VALUES.length) throw new Base64DecodingError(`character above U+00FF at index ${index}`);
  return VALUES[code]!;
}

/** jjwt's `ctoi`: the 6-bit value of an alphabet character (or `=`), else "Illegal base64 character". */
function sextet(seq: string, index: number): number {
  const code = codeAt(seq, index);
  const value = code < VALUES.length ? VALUES[code]! : -1;
  if (value < 0) throw new Base64DecodingError(`illegal base64 character at index ${index}`);
  return value;
}

/**
 * The bytes jjwt 0.12.6's `Decoders.BASE64.decode(seq)` returns; throws {@link Base64DecodingError} where it throws.
 */
export function decodeJjwtBase64(seq: string): Buffer {
  const sLen = seq.length;
  if (sLen === 0) return Buffer.alloc(0);
  let sIx = 0;
  let eIx = sLen - 1;
  while (sIx < eIx && tableValue(seq, sIx) < 0) sIx++;
  while (eIx > 0 && tableValue(seq, eIx) < 0) eIx--;

  const pad = codeAt(seq, eIx) === EQUALS ? (codeAt(seq, eIx - 1) === EQUALS ? 2 : 1) : 0;
  const cCnt = eIx - sIx + 1;
  // MIME line breaks (CRLF after every 76 characters) are skipped only when the 77th character is CR.
  const sepCnt = sLen > 76 ? (codeAt(seq, 76) === CR ? Math.trunc(cCnt / 78) : 0) << 1 : 0;
  // Java int arithmetic: `>>` truncates to 32 bits in both languages.
  const len = (((cCnt - sepCnt) * 6) >> 3) - pad;
  if (len < 0) throw new Base64DecodingError('nothing left to decode (negative length)');
  const bytes = Buffer.alloc(len);

  let d = 0;
  for (let cc = 0, eLen = Math.trunc(len / 3) * 3; d < eLen;) {
    const i = (sextet(seq, sIx++) << 18) | (sextet(seq, sIx++) << 12) | (sextet(seq, sIx++) << 6) | sextet(seq, sIx++);
    bytes[d++] = (i >> 16) & 0xff;
    bytes[d++] = (i >> 8) & 0xff;
    bytes[d++] = i & 0xff;
    if (sepCnt > 0 && ++cc === 19) {
      sIx += 2;
      cc = 0;
    }
  }

  if (d < len) {
    // The last 1–2 bytes; like Java, a shift count is taken modulo 32.
    let i = 0;
    for (let j = 0; sIx <= eIx - pad; j++) i |= sextet(seq, sIx++) << (18 - j * 6);
    for (let r = 16; d < len; r -= 8) bytes[d++] = (i >> r) & 0xff;
  }
  return bytes;
}
