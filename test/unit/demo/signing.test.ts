import { createSecretKey } from 'node:crypto';
import { expect } from 'chai';
import { DEMO_JWT_SECRET } from '../../../demo/settings.js';
import { readAuthServiceSigning } from '../../../demo/signing.js';

describe('demo auth service signing', () => {
  it("when the secret is the demo's, then the key is its 64 Base64-decoded bytes and the stub signs HS512, as jjwt would", () => {
    const reading = readAuthServiceSigning(DEMO_JWT_SECRET);
    if (reading.result !== 'signs') expect.fail(reading.problem);
    expect(reading.signing.algorithm).to.equal('HS512');
    expect(reading.signing.key.equals(createSecretKey(Buffer.from(DEMO_JWT_SECRET, 'base64')))).to.equal(true);
    expect(reading.signing.key.symmetricKeySize).to.equal(64);
  });

  for (const [bytes, algorithm] of [
    [32, 'HS256'],
    [47, 'HS256'],
    [48, 'HS384'],
    [63, 'HS384'],
    [64, 'HS512'],
    [96, 'HS512'],
  ] as const) {
    it(`when the secret is Base64 of ${bytes} bytes, then the stub signs ${algorithm}, the strongest the key allows`, () => {
      const reading = readAuthServiceSigning(Buffer.alloc(bytes, 9).toString('base64'));
      expect(reading.result === 'signs' && reading.signing.algorithm).to.equal(algorithm);
    });
  }

  it('when the secret is text jjwt cannot decode, then the stub does not fall back to its UTF-8 bytes as the gateway can: it fails', () => {
    const reading = readAuthServiceSigning('a-passphrase-with-dashes-long-enough-for-hs256');
    expect(reading.result === 'fails' && reading.problem).to.match(
      /^JWT_SECRET cannot be used by the auth service: jjwt's Base64 decoder refuses it \(illegal base64 character at index \d+\)/,
    );
  });

  it('when 64 bytes are Base64 as openssl prints them, in lines of 64 characters, then the newline inside fails; with it removed, HS512', () => {
    const base64 = Buffer.alloc(64, 3).toString('base64');
    const wrapped = `${base64.slice(0, 64)}\n${base64.slice(64)}`;
    expect(readAuthServiceSigning(wrapped).result).to.equal('fails');
    const reading = readAuthServiceSigning(wrapped.replace('\n', ''));
    expect(reading.result === 'signs' && reading.signing.algorithm).to.equal('HS512');
  });
});
