/** One key's count in its current window. */
export interface WindowHit {
  /** Hits counted in the window, this one included. */
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  readonly resetMs: number;
}

/**
 * Fixed-window counters: a key's window opens with its first hit and lasts the store's window;
 * every hit counts, allowed or not. Memory per key is one integer and one expiry, whatever the limit.
 */
export interface CounterStore {
  /** Counts one hit on each of `keys`, atomically for all of them, in order. */
  hit(keys: readonly string[]): Promise<readonly WindowHit[]>;
}
