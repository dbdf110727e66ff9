/** What {@link withTimeout} resolves with when time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Resolves with what `promise` settles to, or with {@link TIMED_OUT} once `ms` have passed,
 * whichever comes first. The timer is cleared as soon as the race is decided, so a race that
 * ended early never holds the process open for the rest of `ms`.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
