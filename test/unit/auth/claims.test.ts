import { expect } from 'chai';
import { readUser } from '../../../src/auth/claims.js';

const exp = Math.floor(Date.now() / 1000) + 60;

describe('readUser', () => {
  it('when the claims are the auth service access token, then id is userId, email is sub, role is role', () => {
    expect(readUser({ sub: 'ada@example.com', userId: 42, role: 'USER', tokenType: 'access', exp })).to.deep.equal({
      id: '42',
      email: 'ada@example.com',
      role: 'USER',
    });
  });

  it('when there is no userId but an email claim, then id is sub and email is the email claim', () => {
    expect(readUser({ sub: 'u-7', email: 'grace@example.com', exp })).to.deep.equal({
      id: 'u-7',
      email: 'grace@example.com',
      role: undefined,
    });
  });

  for (const [what, claims, reason] of [
    ['no exp', { sub: 'a' }, 'token has no exp claim'],
    ['a non-numeric exp', { sub: 'a', exp: '99' }, 'token has no exp claim'],
    ['a refresh token', { sub: 'a', exp, tokenType: 'refresh' }, 'token type refresh is not access'],
    ['no user', { exp, role: 'USER' }, 'token names no user (userId or sub)'],
    ['an object as user id', { exp, userId: { id: 1 } }, 'token names no user (userId or sub)'],
    [
      'a newline in a claim',
      { exp, sub: 'a', role: 'USER\r\nx-user-role: ADMIN' },
      'token claims cannot be sent as headers',
    ],
  ] as const) {
    it(`when the claims have ${what}, then they are refused: ${reason}`, () => {
      expect(readUser(claims)).to.equal(reason);
    });
  }
});
