import { expect } from 'chai';
import { createMemoryStore } from '../../../src/rate-limit/memory-store.js';

describe('memory counter store', () => {
  let now = 1_000_000;
  const clock = (): number => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('when a key is hit three times in its window, then the counts are 1, 2, 3 and the reset counts down from the window', async () => {
    const store = createMemoryStore(60_000, clock);
    const first = await store.hit(['a']);
    now += 10_000;
    const second = await store.hit(['a']);
    const third = await store.hit(['a']);
    expect([first[0], second[0], third[0]]).to.deep.equal([
      { count: 1, resetMs: 60_000 },
      { count: 2, resetMs: 50_000 },
      { count: 3, resetMs: 50_000 },
    ]);
  });

  it('when the window has ended, then the next hit opens a new one at 1', async () => {
    const store = createMemoryStore(1000, clock);
    await store.hit(['a']);
    await store.hit(['a']);
    now += 1000;
    expect(await store.hit(['a'])).to.deep.equal([{ count: 1, resetMs: 1000 }]);
  });

  it('when several keys are hit at once, then each is counted on its own, in order', async () => {
    const store = createMemoryStore(1000, clock);
    await store.hit(['a']);
    expect((await store.hit(['a', 'b'])).map((hit) => hit.count)).to.deep.equal([2, 1]);
  });
});
