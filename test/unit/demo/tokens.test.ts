import { createSecretKey } from 'node:crypto';
import { expect } from 'chai';
import { USERS } from '../../../demo/records.js';
import { issueTokens, signHmac, verifyHmac, type SigningKey } from '../../../demo/tokens.js';

const KEY = createSecretKey(Buffer.from('a-key-for-the-stub-token-tests-0123456789'));
const HS256: SigningKey = { key: KEY, algorithm: 'HS256' };
const HS512: SigningKey = { key: createSecretKey(Buffer.alloc(64, 7)), algorithm: 'HS512' };
const now = (): number => Math.floor(Date.now() / 1000);

/** The example tokens of the jwt.io debugger, signed with its placeholder secrets: independent references. */
const JWT_IO_EXAMPLES = [
  [
    'HS256',
    'your-256-bit-secret',
    { sub: '1234567890', name: 'John Doe', iat: 1516239022 },
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  ],
  [
    'HS384',
    'your-384-bit-secret',
    { sub: '1234567890', name: 'John Doe', admin: true, iat: 1516239022 },
    'eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.bQTnz6AuMJvmXXQsVPrxeQNvzDkimo7VNXxHeSBfClLufmCVZRUuyTwJF311JHuh',
  ],
  [
    'HS512',
    'your-512-bit-secret',
    { sub: '1234567890', name: 'John Doe', admin: true, iat: 1516239022 },
    'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.VFb0qJ1LRg_4ujbZoRMXnVkUgiuKq5KxWqNdbKq_G9Vvz-S1zZa9LPxtHWKa64zDl2ofkT8F6jBt_K4riU-fPg',
  ],
] as const;

describe('demo tokens', () => {
  for (const [algorithm, secret, claims, expected] of JWT_IO_EXAMPLES) {
    it(`when jwt.io's ${algorithm} example is signed, then the token is byte for byte jwt.io's, with the secret as text, bytes or a key`, () => {
      expect(signHmac(claims, secret, algorithm)).to.equal(expected);
      expect(signHmac(claims, Buffer.from(secret, 'utf8'), algorithm)).to.equal(expected);
      expect(signHmac(claims, createSecretKey(Buffer.from(secret, 'utf8')), algorithm)).to.equal(expected);
    });
  }

  it('when no algorithm is named, then HS256; a header given is sent as it is, signed with the algorithm named', () => {
    const claims = { sub: 'ada@example.com' };
    expect(signHmac(claims, KEY)).to.equal(signHmac(claims, KEY, 'HS256'));
    const lying = signHmac(claims, KEY, 'HS256', { alg: 'HS512' });
    expect(JSON.parse(Buffer.from(lying.split('.')[0]!, 'base64url').toString('utf8'))).to.deep.equal({ alg: 'HS512' });
    expect(Buffer.from(lying.split('.')[2]!, 'base64url')).to.have.length(32);
  });

  it('when a signed token is verified, then its claims come back; tampered, wrongly keyed or expired, then nothing', () => {
    const token = signHmac({ sub: 'ada', exp: now() + 60 }, KEY);
    expect(verifyHmac(token, HS256)).to.include({ sub: 'ada' });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'eve', exp: now() + 60 })).toString('base64url')}.${signature}`;
    expect(verifyHmac(forged, HS256)).to.equal(undefined);
    expect(verifyHmac(token, { key: createSecretKey(Buffer.from('another key')), algorithm: 'HS256' })).to.equal(
      undefined,
    );
    expect(verifyHmac(signHmac({ sub: 'ada', exp: now() - 1 }, KEY), HS256)).to.equal(undefined);
    expect(verifyHmac(`${token}.extra`, HS256)).to.equal(undefined);
  });

  it('when the stub signs with HS512, then its own HS512 tokens verify, and a token of another algorithm with the same key does not', () => {
    const claims = { sub: 'ada', exp: now() + 60 };
    expect(verifyHmac(signHmac(claims, HS512.key, 'HS512'), HS512)).to.include({ sub: 'ada' });
    expect(verifyHmac(signHmac(claims, HS512.key, 'HS256'), HS512)).to.equal(undefined);
    expect(verifyHmac(signHmac(claims, HS512.key, 'HS384'), HS512)).to.equal(undefined);
    // A header that names HS512 over an HS256 signature is refused too: the signature is checked with the stub's
    // algorithm.
    expect(verifyHmac(signHmac(claims, HS512.key, 'HS256', { alg: 'HS512', typ: 'JWT' }), HS512)).to.equal(undefined);
  });

  it('when tokens are issued, then access and refresh differ only in tokenType and exp, and iss is left out without an issuer', () => {
    const pair = issueTokens(USERS[0]!, HS256, undefined);
    const access = verifyHmac(pair.accessToken, HS256)!;
    const refresh = verifyHmac(pair.refreshToken, HS256)!;
    expect(access).to.include({
      sub: USERS[0]!.email,
      userId: USERS[0]!.id,
      role: USERS[0]!.role,
      tokenType: 'access',
    });
    expect(access).not.to.have.property('iss');
    expect(refresh.tokenType).to.equal('refresh');
    expect(refresh.exp).to.be.greaterThan(access.exp as number);
  });

  it('when tokens are issued with an HS512 key, then both are signed HS512', () => {
    const pair = issueTokens(USERS[0]!, HS512, 'http://localhost:4001');
    for (const token of [pair.accessToken, pair.refreshToken]) {
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'))).to.deep.equal({
        alg: 'HS512',
        typ: 'JWT',
      });
      expect(Buffer.from(token.split('.')[2]!, 'base64url')).to.have.length(64);
      expect(verifyHmac(token, HS512)).to.include({ iss: 'http://localhost:4001' });
    }
  });
});
