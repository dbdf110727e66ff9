import { expect } from 'chai';
import { VerifiedTokenCache } from '../../../src/auth/token-cache.js';

const user = { id: '42', email: 'ada@example.com', role: 'USER' };

describe('VerifiedTokenCache', () => {
  it('when a token is cached, then it is found until its exp second and not from then on', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t1', { exp: 1000 }, user, 'current');
    expect(cache.get('t1', 999)?.user).to.deep.equal(user);
    expect(cache.get('t1', 1000)).to.equal(undefined);
    expect(cache.get('t1', 999)).to.equal(undefined); // dropped once expired
  });

  it('when a cached token has nbf in the future, then it is not found before nbf', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t1', { exp: 2000, nbf: 1500 }, user, 'current');
    expect(cache.get('t1', 1499)).to.equal(undefined);
    expect(cache.get('t1', 1500)?.user).to.deep.equal(user);
  });

  it('when only a different token text is asked (same claims, other signature), then nothing is found', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('header.claims.signature', { exp: 2000 }, user, 'current');
    expect(cache.get('header.claims.forged', 1000)).to.equal(undefined);
  });

  it('when claims have no numeric exp, then the token is not cached', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t1', { exp: '2000' }, user, 'current');
    expect(cache.get('t1', 1000)).to.equal(undefined);
  });

  it('when the cache is full, then the oldest token makes room', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', { exp: 2000 }, user, 'current');
    cache.set('b', { exp: 2000 }, user, 'current');
    cache.set('c', { exp: 2000 }, user, 'current');
    expect([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)].map((entry) => entry !== undefined)).to.deep.equal(
      [false, true, true],
    );
  });
});
