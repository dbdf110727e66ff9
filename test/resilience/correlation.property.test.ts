import { expect } from 'chai';
import fc from 'fast-check';
import { isSaneCorrelationId } from '../../src/middleware/correlation.js';

/** The contract's rule, written out by hand: 1 to 128 characters, each visible ASCII (0x21–0x7e). */
function isVisibleAsciiOfSaneLength(id: string): boolean {
  if (id.length < 1 || id.length > 128) return false;
  for (let i = 0; i < id.length; i += 1) {
    const code = id.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

const visibleAscii = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
/** A length drawn evenly from 0 to 140, so the 128 boundary is hit as often as any other. */
const length = fc.integer({ min: 0, max: 140 });
/** Mostly visible ASCII with the odd space, control, DEL, Latin-1 or astral character. */
const nearlySane = length.chain((size) =>
  fc.string({
    unit: fc.oneof(
      { weight: 60, arbitrary: visibleAscii },
      { weight: 1, arbitrary: fc.constantFrom(' ', '\t', '\n', '\r', '\0', '\x7f', 'é', '\u00a0', '\u2028', '🙂') },
    ),
    minLength: size,
    maxLength: size,
  }),
);

describe('correlation id check properties (fast-check)', () => {
  it('when any string is checked, then it is accepted exactly when it is 1 to 128 visible ASCII characters', () => {
    fc.assert(
      fc.property(fc.oneof(nearlySane, fc.string({ unit: 'binary', maxLength: 200 })), (id) => {
        expect(isSaneCorrelationId(id)).to.equal(isVisibleAsciiOfSaneLength(id));
      }),
      { numRuns: 5000 },
    );
  });

  it('when a visible ASCII id is 1 to 128 long, then it is accepted; 129 or more, refused', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 160 })
          .chain((size) => fc.string({ unit: visibleAscii, minLength: size, maxLength: size })),
        (id) => {
          expect(isSaneCorrelationId(id)).to.equal(id.length <= 128);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
