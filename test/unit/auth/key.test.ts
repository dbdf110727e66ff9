import { expect } from 'chai';
import { deriveSecretKey } from '../../../src/auth/key.js';

const bytesOf = (secret: string, encoding: 'auto' | 'base64' | 'utf8' = 'auto'): string =>
  deriveSecretKey(secret, encoding).export().toString('hex');

describe('deriveSecretKey', () => {
  for (const secret of ['c2VjcmV0', 'c2VjcmV0MQ==', 'c2VjcmV0MTI=', 'QUJD+/8=']) {
    it(`when the secret is valid standard Base64 (${secret}), then its decoded bytes are the key`, () => {
      expect(bytesOf(secret)).to.equal(Buffer.from(secret, 'base64').toString('hex'));
    });
  }

  for (const secret of ['CHANGE_ME_TO_A_STRONG_SECRET', 'c2VjcmV0M', 'c2VjcmV0MQ', 'c2Vj-mV0', 'c2Vj_mV0', 'c2VjcmV0=A==', 'has space']) {
    it(`when the secret is not valid standard Base64 (${secret}), then its UTF-8 bytes are the key`, () => {
      expect(bytesOf(secret)).to.equal(Buffer.from(secret, 'utf8').toString('hex'));
    });
  }

  it('when JWT_SECRET_ENCODING=utf8, then a Base64-looking secret is read as text', () => {
    expect(bytesOf('c2VjcmV0', 'utf8')).to.equal(Buffer.from('c2VjcmV0', 'utf8').toString('hex'));
  });

  it('when JWT_SECRET_ENCODING=base64, then the secret is decoded', () => {
    expect(bytesOf('c2VjcmV0', 'base64')).to.equal(Buffer.from('secret').toString('hex'));
  });

  it('when the key is made, then it is a secret KeyObject', () => {
    expect(deriveSecretKey('x', 'auto').type).to.equal('secret');
  });
});
