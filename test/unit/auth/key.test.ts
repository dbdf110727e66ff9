import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { Base64DecodingError, decodeJjwtBase64 } from '../../../src/auth/jjwt-base64.js';
import { readSecretKey, SecretKeyError } from '../../../src/auth/key.js';
import { readKeyVectors, SHARED_KEY_VECTORS_PATH } from '../../helpers/jjwt-vectors.js';

describe('readSecretKey', () => {
  // A plain clone has no ../shared: the fixture is what the suite runs on; where shared/ is there, the copy must match
  // it.
  if (existsSync(SHARED_KEY_VECTORS_PATH)) {
    it('when ../shared/interop sits beside the clone, then test/fixtures holds the same jjwt vectors, row for row', () => {
      const rows = (vectors: ReturnType<typeof readKeyVectors>) => vectors.map(({ line: _line, ...row }) => row);
      expect(rows(readKeyVectors())).to.deep.equal(rows(readKeyVectors(SHARED_KEY_VECTORS_PATH)));
    });
  }

  describe('every row of test/fixtures/jjwt-key-vectors.tsv (the real jjwt 0.12.6)', () => {
    for (const vector of readKeyVectors()) {
      const name = `line ${vector.line} ${JSON.stringify(vector.secret)}`;

      if (vector.reading.startsWith('service-fails:')) {
        it(`when the secret is ${name}, then the auth service cannot decode it (${vector.reading}) and the gateway falls back to its UTF-8 bytes`, () => {
          expect(vector.reading).to.equal('service-fails:DecodingException');
          const reading = readSecretKey(vector.secret, 'auto');
          expect(reading.service.result).to.equal('cannot-decode');
          expect(reading.encoding).to.equal('utf8');
          expect(reading.length).to.equal(Buffer.byteLength(vector.secret, 'utf8'));
          expect(reading.key.export().toString('hex')).to.equal(Buffer.from(vector.secret, 'utf8').toString('hex'));
          expect(reading.sameKeyAsService).to.equal(false);
        });
        continue;
      }

      it(`when the secret is ${name}, then it is read as ${vector.reading}, ${vector.keyBytes} bytes, signed ${vector.algorithm} by the auth service, with the same key bytes`, () => {
        const reading = readSecretKey(vector.secret, 'auto');
        expect(reading.encoding).to.equal(vector.reading);
        expect(reading.forced).to.equal(false);
        expect(reading.length).to.equal(vector.keyBytes);
        expect(reading.key.export().toString('hex')).to.equal(vector.hex);
        const service = reading.service;
        if (vector.algorithm === 'weak-key') {
          expect(service).to.deep.equal({ result: 'weak-key', keyBytes: vector.keyBytes });
          expect(reading.algorithms).to.deep.equal([]);
        } else {
          expect(service).to.deep.equal({ result: 'signs', algorithm: vector.algorithm, keyBytes: vector.keyBytes });
          expect(reading.algorithms).to.include(vector.algorithm);
        }
        expect(reading.sameKeyAsService).to.equal(vector.reading === 'base64');
      });
    }
  });

  for (const [bytes, algorithms] of [
    [31, []],
    [32, ['HS256']],
    [47, ['HS256']],
    [48, ['HS256', 'HS384']],
    [63, ['HS256', 'HS384']],
    [64, ['HS256', 'HS384', 'HS512']],
    [96, ['HS256', 'HS384', 'HS512']],
  ] as const) {
    it(`when the key has ${bytes} bytes, then it accepts exactly ${algorithms.join(', ') || 'no algorithm'} (each needs a key as long as its hash)`, () => {
      expect(readSecretKey(randomBytes(bytes).toString('base64'), 'auto').algorithms).to.deep.equal(algorithms);
    });
  }

  it("when JWT_SECRET_ENCODING=utf8, then a Base64 secret is read as text and differs from the auth service's key", () => {
    const secret = randomBytes(48).toString('base64');
    const reading = readSecretKey(secret, 'utf8');
    expect([reading.encoding, reading.forced, reading.length]).to.deep.equal(['utf8', true, 64]);
    expect(reading.key.export().toString('hex')).to.equal(Buffer.from(secret, 'utf8').toString('hex'));
    expect(reading.service).to.deep.equal({ result: 'signs', algorithm: 'HS384', keyBytes: 48 });
    expect(reading.sameKeyAsService).to.equal(false);
  });

  it('when JWT_SECRET_ENCODING=base64, then the secret is decoded as jjwt decodes it (padding optional, outer junk skipped)', () => {
    const bytes = randomBytes(40);
    const secret = ` ${bytes.toString('base64').replace(/=+$/, '')}\n`;
    const reading = readSecretKey(secret, 'base64');
    expect([reading.encoding, reading.forced, reading.sameKeyAsService]).to.deep.equal(['base64', true, true]);
    expect(reading.key.export().toString('hex')).to.equal(bytes.toString('hex'));
  });

  it('when JWT_SECRET_ENCODING=base64 and jjwt cannot decode the secret, then it throws naming both variables and not the secret', () => {
    const secret = 'shop-gateway-signing-key-2026-0123456789abcdef';
    expect(() => readSecretKey(secret, 'base64')).to.throw(SecretKeyError, /JWT_SECRET_ENCODING=base64.*JWT_SECRET/);
    try {
      readSecretKey(secret, 'base64');
    } catch (error) {
      expect((error as Error).message).not.to.include('signing-key');
    }
  });

  it('when the key is made, then it is a secret KeyObject of the key length', () => {
    const key = readSecretKey(randomBytes(64).toString('base64'), 'auto').key;
    expect([key.type, key.symmetricKeySize]).to.deep.equal(['secret', 64]);
  });
});

describe("decodeJjwtBase64 (behaviours read from jjwt's Base64.decodeFast beyond the vectors)", () => {
  it('when the text is empty, then it decodes to no bytes', () => {
    expect(decodeJjwtBase64('')).to.have.length(0);
  });

  it('when the text is one or two spaces, then it decodes to no bytes; three make the trimmed range negative and fail', () => {
    expect(decodeJjwtBase64(' ')).to.have.length(0);
    expect(decodeJjwtBase64('  ')).to.have.length(0);
    expect(() => decodeJjwtBase64('   ')).to.throw(Base64DecodingError);
  });

  it('when the text is a lone "=", then it fails (jjwt reads before the start)', () => {
    expect(() => decodeJjwtBase64('=')).to.throw(Base64DecodingError);
  });

  it('when a character above U+00FF opens the text, then it fails (jjwt indexes its 256-entry table with it)', () => {
    expect(() => decodeJjwtBase64(`\u20ac${randomBytes(33).toString('base64')}`)).to.throw(Base64DecodingError);
  });

  it('when a Latin-1 letter opens the text, then it is skipped like any character outside the alphabet', () => {
    const bytes = randomBytes(33);
    expect(decodeJjwtBase64(`\u00e9${bytes.toString('base64')}`).equals(bytes)).to.equal(true);
  });

  it('when the text is MIME Base64 (CRLF after every 76 characters), then the line breaks are skipped', () => {
    const bytes = randomBytes(120);
    const mime = bytes.toString('base64').replace(/(.{76})(?=.)/g, '$1\r\n');
    expect(decodeJjwtBase64(mime).equals(bytes)).to.equal(true);
  });

  it('when a line break sits elsewhere inside, then it fails', () => {
    const text = randomBytes(48).toString('base64');
    expect(() => decodeJjwtBase64(`${text.slice(0, 10)}\n${text.slice(10)}`)).to.throw(Base64DecodingError);
  });
});
