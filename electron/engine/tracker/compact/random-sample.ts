import { MAX_LOOKUP_PEERS } from '../../../../shared/protocol/limits.js';

/** Up to this many positions are shuffled in a scratch array; more, in a Map of the swapped ones. */
const SMALL_SAMPLE_MAX = 1024;

/** Output of samplePositions (reused: lookups are synchronous). */
export const PICKS = new Int32Array(MAX_LOOKUP_PEERS);
const SMALL_SAMPLE = new Int32Array(SMALL_SAMPLE_MAX);

/**
 * Fills PICKS[0 … k) with k distinct positions out of 0 … n-1 (k ≤ MAX_LOOKUP_PEERS): a
 * uniformly random subset in random order, by a partial Fisher–Yates shuffle (of a scratch
 * array when n is small, else of a virtual one whose few swapped places live in a Map).
 */
export function samplePositions(n: number, k: number): void {
  if (n <= SMALL_SAMPLE.length) {
    for (let i = 0; i < n; i++) SMALL_SAMPLE[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(Math.random() * (n - i));
      const picked = SMALL_SAMPLE[j]!;
      SMALL_SAMPLE[j] = SMALL_SAMPLE[i]!;
      PICKS[i] = picked;
    }
    return;
  }
  const swapped = new Map<number, number>();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    PICKS[i] = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
  }
}
