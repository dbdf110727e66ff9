import { expect } from 'chai';
import {
  isSafeTarget,
  isUnderPrefix,
  prefixPattern,
  readQueryParameter,
  rewritePath,
  withoutQueryParameter,
} from '../../../src/proxy/path.js';

describe('proxy path', () => {
  describe('isSafeTarget', () => {
    const unsafe: Array<[target: string, why: string]> = [
      ['/api/v1/products/../users', 'a dot-dot segment'],
      ['/api/v1/products/..', 'a trailing dot-dot segment'],
      ['/api/v1/products/./1', 'a dot segment'],
      ['/api/v1/products/.', 'a trailing dot segment'],
      ['/..', 'a dot-dot segment at the root'],
      ['/api/v1/products/%2e%2e/users', 'an encoded dot-dot segment'],
      ['/api/v1/products/%2E%2e/users', 'a mixed-case encoded dot-dot segment'],
      ['/api/v1/products/.%2e/users', 'a half-encoded dot-dot segment'],
      ['/api/v1/products/%2e/1', 'an encoded dot segment'],
      ['/api/v1/products/..;jsessionid=1/users', 'a dot-dot segment with a Tomcat parameter'],
      ['/api/v1/products/..;/users', 'a dot-dot segment with an empty parameter'],
      ['/api/v1/products/..%2fusers', 'an encoded slash'],
      ['/api/v1/products/1%2F..%2Fusers', 'an upper-case encoded slash'],
      ['/api/v1/products\\..\\users', 'a raw backslash'],
      ['/api/v1/products/%5c..%5cusers', 'an encoded backslash'],
      ['/api/v1/products/%5C1', 'an upper-case encoded backslash'],
      ['/api/v1/products/1%00', 'an encoded NUL'],
      ['/api/v1/products/1#fragment', 'a fragment'],
      ['/api/v1/products/1?x=1#fragment', 'a fragment after the query'],
      ['http://h/x', 'the absolute form'],
      ['*', 'the asterisk form'],
      ['', 'an empty target'],
    ];

    for (const [target, why] of unsafe) {
      it(`when the target has ${why} (${JSON.stringify(target)}), then it is unsafe`, () => {
        expect(isSafeTarget(target)).to.equal(false);
      });
    }

    const safe: Array<[target: string, why: string]> = [
      ['/api/v1/products', 'a plain prefix'],
      ['/api/v1/products/', 'a trailing slash'],
      ['/api/v1/products/1?x=1', 'a query'],
      ['/a/v1.2/x', 'a dot inside a segment'],
      ['/a/..b', 'a segment starting with two dots'],
      ['/a/b..', 'a segment ending with two dots'],
      ['/a/.well-known', 'a segment starting with one dot'],
      ['/a/...', 'a segment of three dots'],
      ['/a/%2ex', 'an encoded dot inside a segment'],
      ['/a?next=%2e%2e/%2f%5c', 'encoded dots and slashes in the query'],
      ['/a?next=../b', 'dot segments in the query'],
    ];

    for (const [target, why] of safe) {
      it(`when the target has ${why} (${JSON.stringify(target)}), then it is safe`, () => {
        expect(isSafeTarget(target)).to.equal(true);
      });
    }
  });

  describe('isUnderPrefix', () => {
    const cases: Array<[path: string, expected: boolean]> = [
      ['/api/v1/products', true],
      ['/api/v1/products/', true],
      ['/api/v1/products/1', true],
      ['/api/v1/productsX', false],
      ['/api/v1/products-admin/1', false],
      ['/api/v1/product', false],
      ['/api/v1', false],
      ['/API/v1/products', false],
    ];

    for (const [path, expected] of cases) {
      it(`when the path is ${path}, then it is ${expected ? '' : 'not '}under /api/v1/products`, () => {
        expect(isUnderPrefix(path, '/api/v1/products')).to.equal(expected);
      });
    }
  });

  describe('prefixPattern', () => {
    const pattern = prefixPattern('/api/v1/products');

    for (const path of ['/api/v1/products', '/api/v1/products/', '/api/v1/products/1', '/api/v1/products/1/reviews']) {
      it(`when the path is ${path}, then the pattern matches`, () => {
        expect(pattern.test(path)).to.equal(true);
      });
    }

    for (const path of [
      '/api/v1/productsX',
      '/api/v1/productsX/1',
      '/API/v1/products',
      '/x/api/v1/products',
      '/api/v1/product',
    ]) {
      it(`when the path is ${path}, then the pattern does not match`, () => {
        expect(pattern.test(path)).to.equal(false);
      });
    }

    it('when the prefix has regex characters, then they match only themselves', () => {
      const dotted = prefixPattern('/api/v1.0');
      expect(dotted.test('/api/v1.0/x')).to.equal(true);
      expect(dotted.test('/api/v1x0/x')).to.equal(false);
    });
  });

  describe('rewritePath', () => {
    const cases: Array<[url: string, upstreamPath: string, expected: string]> = [
      ['/api/v1/products/123?x=1', '/products', '/products/123?x=1'],
      ['/api/v1/products', '/products', '/products'],
      ['/api/v1/products/', '/products', '/products/'],
      ['/api/v1/products?', '/products', '/products?'],
      ['/api/v1/products?q="a"&x=%zz&&', '/products', '/products?q="a"&x=%zz&&'],
      ["/api/v1/products/a%20b?t=<x>&u='y'", '/products', "/products/a%20b?t=<x>&u='y'"],
      ['/api/v1/products/1', '/base/products', '/base/products/1'],
    ];

    for (const [url, upstreamPath, expected] of cases) {
      it(`when ${url} goes to ${upstreamPath}, then the upstream target is ${expected}`, () => {
        expect(rewritePath(url, '/api/v1/products', upstreamPath)).to.equal(expected);
      });
    }
  });

  describe('withoutQueryParameter (access_token)', () => {
    const cases: Array<[url: string, expected: string]> = [
      ['/live?access_token=abc', '/live'],
      ['/live?x=1&access_token=abc&y=a%20b', '/live?x=1&y=a%20b'],
      ['/live?access_token=abc&q="a"&x=%zz&&', '/live?q="a"&x=%zz&&'],
      ['/live?access%5Ftoken=abc&x=1', '/live?x=1'],
      ['/live?access_token=a&access_token=b&x=1', '/live?x=1'],
      ['/live?access_token&x=1', '/live?x=1'],
      ['/live?x=1&my_access_token=abc', '/live?x=1&my_access_token=abc'],
      ['/live?x=access_token', '/live?x=access_token'],
      ['/live', '/live'],
      ['/live?', '/live?'],
    ];
    for (const [url, expected] of cases) {
      it(`when ${url} is forwarded, then the target is ${expected}`, () => {
        expect(withoutQueryParameter(url, 'access_token')).to.equal(expected);
      });
    }

    it('when a name is read, then it is the one that is removed (same decoding both ways)', () => {
      for (const url of [
        '/live?access%5Ftoken=t1',
        '/live?access_token=t1&access_token=t2',
        '/live?x=1&access_token=t1',
      ]) {
        expect(readQueryParameter(url, 'access_token')).to.equal('t1');
        expect(withoutQueryParameter(url, 'access_token')).not.to.include('t1');
      }
    });

    it('when the value is escaped, then it is read decoded; when absent, then undefined', () => {
      expect(readQueryParameter('/live?access_token=a%2Eb+c', 'access_token')).to.equal('a.b c');
      expect(readQueryParameter('/live?x=1', 'access_token')).to.equal(undefined);
      expect(readQueryParameter('/live', 'access_token')).to.equal(undefined);
    });
  });
});
