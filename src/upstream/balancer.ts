import type { Instance } from './instance.js';

/**
 * Least outstanding requests over two instances picked at random ("power of two choices",
 * Mitzenmacher 2001; Envoy's LEAST_REQUEST): nearly as good as asking every instance, with no
 * herd on the one that was least loaded a moment ago. `random` returns [0, 1).
 */
export function pickLeastLoaded(candidates: readonly Instance[], random: () => number): Instance | undefined {
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const first = Math.floor(random() * count);
  // A second index different from the first, uniformly among the others.
  const second = (first + 1 + Math.floor(random() * (count - 1))) % count;
  const a = candidates[first]!;
  const b = candidates[second]!;
  return b.outstanding < a.outstanding ? b : a;
}
