import { expect } from 'chai';
import { createCorsPolicy, exposeHeadersValue } from '../../src/cors-policy.js';

const BUILT_IN = 'x-correlation-id,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After,WWW-Authenticate';

describe('cors-policy', () => {
  describe('exposeHeadersValue', () => {
    it('when no list is added, then it is the built-in list', () => {
      expect(exposeHeadersValue()).to.equal(BUILT_IN);
    });

    it('when a gateway list and a route list are added, then each name comes once, in order, whatever its case', () => {
      expect(exposeHeadersValue(['Location', 'retry-after'], ['ETag', 'location', 'Link'])).to.equal(
        `${BUILT_IN},Location,ETag,Link`,
      );
    });
  });

  describe('judge', () => {
    const options = { origins: ['https://shop.example'], credentials: false, maxAgeSeconds: 60, exposeHeaders: [] };
    const direct = createCorsPolicy({ ...options, trustProxy: false });
    const proxied = createCorsPolicy({ ...options, trustProxy: true });
    const forwarded = {
      host: 'gateway:4000',
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'api.shop.example, gateway',
    };

    const cases: Array<[what: string, verdict: string, actual: () => string]> = [
      ['a listed origin', 'allowed', () => direct.judge('https://shop.example', { host: 'gateway.test' }, false)],
      [
        'the addressed scheme and host',
        'same-origin',
        () => direct.judge('http://gateway.test', { host: 'gateway.test' }, false),
      ],
      [
        'the addressed host on a TLS socket',
        'same-origin',
        () => direct.judge('https://gateway.test', { host: 'gateway.test' }, true),
      ],
      [
        'the addressed host with its default port spelt out',
        'same-origin',
        () => direct.judge('https://gateway.test', { host: 'gateway.test:443' }, true),
      ],
      [
        'the first forwarded scheme and host, proxy trusted',
        'same-origin',
        () => proxied.judge('https://api.shop.example', forwarded, false),
      ],
      [
        'the first forwarded scheme and host, proxy not trusted',
        'refused',
        () => direct.judge('https://api.shop.example', forwarded, false),
      ],
      ['a request without Host', 'refused', () => direct.judge('http://gateway.test', {}, false)],
      ['another origin', 'refused', () => direct.judge('https://evil.example', { host: 'gateway.test' }, false)],
    ];
    for (const [what, verdict, actual] of cases) {
      it(`when the Origin is ${what}, then the verdict is ${verdict}`, () => {
        expect(actual()).to.equal(verdict);
      });
    }

    it('when credentials are off, then no answer says Access-Control-Allow-Credentials', () => {
      const names = [
        ...direct.answerHeaders('https://shop.example'),
        ...direct.preflightHeaders('https://shop.example', 'authorization'),
      ].map(([name]) => name);
      expect(names).not.to.include('Access-Control-Allow-Credentials');
      expect(names).to.include('Access-Control-Max-Age');
    });
  });
});
