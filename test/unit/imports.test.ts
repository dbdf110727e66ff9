import { expect } from 'chai';
import { importCycles } from '../helpers/imports.js';

describe('src imports', () => {
  it('regression: state.ts → auth/claims.ts → proxy/headers.ts → state.ts was a cycle; when src is read, then no file reaches itself through its imports', () => {
    expect(importCycles('src')).to.deep.equal([]);
  });
});
