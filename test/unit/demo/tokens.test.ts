import { createSecretKey } from 'node:crypto';
import { expect } from 'chai';
import { USERS } from '../../../src/demo/records.js';
import { issueTokens, signHs256, verifyHs256 } from '../../../src/demo/tokens.js';
import { signHs256 as referenceSign } from '../../helpers/tokens.js';

const KEY = createSecretKey(Buffer.from('a-key-for-the-stub-token-tests-0123456789'));
const now = (): number => Math.floor(Date.now() / 1000);

describe('demo tokens', () => {
  it('when claims are signed, then the token equals the reference HS256 signer\'s', () => {
    const claims = { sub: 'ada@example.com', exp: now() + 60 };
    expect(signHs256(claims, KEY)).to.equal(referenceSign(claims, Buffer.from('a-key-for-the-stub-token-tests-0123456789')));
  });

  it('when a signed token is verified, then its claims come back; tampered, wrongly keyed or expired, then nothing', () => {
    const token = signHs256({ sub: 'ada', exp: now() + 60 }, KEY);
    expect(verifyHs256(token, KEY)).to.include({ sub: 'ada' });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'eve', exp: now() + 60 })).toString('base64url')}.${signature}`;
    expect(verifyHs256(forged, KEY)).to.equal(undefined);
    expect(verifyHs256(token, createSecretKey(Buffer.from('another key')))).to.equal(undefined);
    expect(verifyHs256(signHs256({ sub: 'ada', exp: now() - 1 }, KEY), KEY)).to.equal(undefined);
    expect(verifyHs256(`${token}.extra`, KEY)).to.equal(undefined);
  });

  it('when tokens are issued, then access and refresh differ only in tokenType and exp, and iss is left out without an issuer', () => {
    const pair = issueTokens(USERS[0]!, KEY, undefined);
    const access = verifyHs256(pair.accessToken, KEY)!;
    const refresh = verifyHs256(pair.refreshToken, KEY)!;
    expect(access).to.include({ sub: USERS[0]!.email, userId: USERS[0]!.id, role: USERS[0]!.role, tokenType: 'access' });
    expect(access).not.to.have.property('iss');
    expect(refresh.tokenType).to.equal('refresh');
    expect(refresh.exp as number).to.be.greaterThan(access.exp as number);
  });
});
