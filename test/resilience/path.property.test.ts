import { expect } from 'chai';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/index.js';
import { isSafeTarget, isUnderPrefix, rewritePath } from '../../src/proxy/path.js';

/**
 * Pieces a hostile path is made of: dot segments plain and percent-encoded in any case, Tomcat's
 * `;` parameters, encoded and raw slashes and backslashes, stray `%`, NUL, encoded UTF-8, a query
 * and a fragment. Only visible ASCII: the HTTP parser refuses any other byte in a request target
 * before the path guard runs (pinned in hostile-input.test.ts).
 */
const PIECES = [
  '.',
  '..',
  '...',
  '%2e',
  '%2E',
  '.%2e',
  '%2e.',
  '%2E%2e',
  '%2',
  'e',
  'E',
  '%',
  '%25',
  '%252e',
  '/',
  '//',
  '%2f',
  '%2F',
  '\\',
  '%5c',
  '%5C',
  ';',
  ';x=1',
  '..;',
  '%3b',
  '%00',
  '%c3%a9',
  'a',
  'b',
  '1',
  '-',
  '_',
  '~',
  '@',
  ':',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  '*',
  '+',
  ',',
  '=',
  '?',
  '#',
  '"',
  '<',
  '>',
  '{',
  '}',
  '|',
  '^',
  '`',
];

const segment = fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }).map((pieces) => pieces.join(''));
const route = fc.constantFrom(...loadConfig({}).routes);
/** A request target under a route's prefix: the prefix, then `/segment…` and maybe a query. */
const targetUnderRoute = fc
  .tuple(
    route,
    fc.array(segment, { maxLength: 6 }),
    fc.option(fc.constantFrom('?', '?a=1', '?next=../x', '?%2e%2e'), { nil: '' }),
  )
  .map(([{ prefix, upstreamPath }, segments, query]) => ({
    prefix,
    upstreamPath,
    target: prefix + segments.map((part) => `/${part}`).join('') + query,
  }));

/** The path as a WHATWG URL parser (browsers, Node's `new URL`, many frameworks) would resolve it. */
function whatwgPath(target: string): string {
  return new URL(target, 'http://gateway.test').pathname;
}

/** Decodes `%XX` escapes and leaves malformed ones as they are, as lenient servers do. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const DOT_SEGMENTS = new Set(['.', '..']);

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

describe('path guard properties (fast-check)', () => {
  it('when a target under a prefix is accepted, then WHATWG normalisation keeps it under that prefix, and its rewrite under the upstream path', () => {
    fc.assert(
      fc.property(targetUnderRoute, ({ prefix, upstreamPath, target }) => {
        fc.pre(isSafeTarget(target));
        expect(isUnderPrefix(whatwgPath(target), prefix), whatwgPath(target)).to.equal(true);
        const upstreamTarget = rewritePath(target, prefix, upstreamPath);
        expect(isUnderPrefix(whatwgPath(upstreamTarget), upstreamPath), whatwgPath(upstreamTarget)).to.equal(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('when a target is accepted, then no segment is a dot segment once `%2e` is decoded, with or without its `;parameters`', () => {
    fc.assert(
      fc.property(targetUnderRoute, ({ target }) => {
        fc.pre(isSafeTarget(target));
        const dotSegments = pathOf(target)
          .split('/')
          .map((raw) => raw.replace(/%2e/gi, '.'))
          // Tomcat and Spring drop a segment's `;parameters` (as sent, before decoding) when resolving dots.
          .filter((dots) => DOT_SEGMENTS.has(dots) || DOT_SEGMENTS.has(dots.split(';')[0]!));
        expect(dotSegments).to.deep.equal([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('when a target is accepted, then no segment hides a slash, backslash or NUL once percent-decoded', () => {
    fc.assert(
      fc.property(targetUnderRoute, ({ target }) => {
        fc.pre(isSafeTarget(target));
        const hiding = pathOf(target)
          .split('/')
          .filter((raw) => /[/\\\0]/.test(percentDecode(raw)));
        expect(hiding).to.deep.equal([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('when any target is accepted, then it is origin-form with no fragment', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.constantFrom('', '/', '//', 'http://h', '*'),
          fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 12 }),
        ),
        ([start, rest]) => {
          const target = start + rest;
          fc.pre(isSafeTarget(target));
          expect(target.startsWith('/')).to.equal(true);
          expect(target).not.to.include('#');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('when the generated targets are classified, then both verdicts occur (the properties above are not vacuous)', () => {
    const verdicts = fc.sample(targetUnderRoute, { numRuns: 2000, seed: 6 }).map(({ target }) => isSafeTarget(target));
    expect(verdicts.filter(Boolean).length).to.be.above(200);
    expect(verdicts.filter((safe) => !safe).length).to.be.above(200);
  });

  it('when a target is rewritten, then everything after the prefix is kept byte for byte', () => {
    const suffix = fc.oneof(
      fc.constant(''),
      fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 10 }).map((rest) => `/${rest}`),
      fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 10 }).map((rest) => `?${rest}`),
    );
    fc.assert(
      fc.property(route, suffix, ({ prefix, upstreamPath }, rest) => {
        const rewritten = rewritePath(prefix + rest, prefix, upstreamPath);
        expect(rewritten).to.equal(upstreamPath + rest);
        expect(
          Buffer.from(rewritten.slice(upstreamPath.length), 'latin1').equals(Buffer.from(rest, 'latin1')),
        ).to.equal(true);
      }),
      { numRuns: 2000 },
    );
  });
});
