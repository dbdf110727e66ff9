import type { CounterStore, WindowHit } from './store.js';

/** Fixed-window counters in this process's memory: exact for one replica, shared by none. */
export function createMemoryStore(windowMs: number, clock: () => number = Date.now): CounterStore {
  const windows = new Map<string, { count: number; endsAt: number }>();
  let nextSweep = clock() + windowMs;

  /** Drops ended windows once per window length, so memory follows the clients of the last window. */
  function sweep(now: number): void {
    if (now < nextSweep) return;
    nextSweep = now + windowMs;
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key);
  }

  function hitOne(key: string, now: number): WindowHit {
    let window = windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      windows.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.endsAt - now };
  }

  return {
    hit(keys) {
      const now = clock();
      sweep(now);
      return Promise.resolve(keys.map((key) => hitOne(key, now)));
    },
  };
}
