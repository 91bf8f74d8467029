/**
 * Anti-replay for the u32 sequence numbers of a peer's datagrams: the highest seq seen and a
 * 64-bit window of the seqs below it (bit i set: highest − i was seen), as in IPsec (RFC 4303
 * §3.4.3). A seq above the highest moves the window; one inside it is accepted once; one at or
 * below highest − 64 is too old. Stored as three u32 words in a caller's Uint32Array so a
 * tracker can keep a million of them in one typed array next to its other peer fields.
 */

/** Words per window: highest seq, mask bits 0–31, mask bits 32–63. */
export const SEQ_WINDOW_WORDS = 3;
/** Seqs older than the highest by this much or more are refused. */
export const SEQ_WINDOW_SIZE = 64;

const HIGHEST = 0;
const MASK_LOW = 1;
const MASK_HIGH = 2;

/** Forgets every seq: the state of a fresh JOIN, where the client's seq starts again at 1. */
export function resetSeqWindow(words: Uint32Array, at: number): void {
  words[at + HIGHEST] = 0;
  words[at + MASK_LOW] = 0;
  words[at + MASK_HIGH] = 0;
}

export function highestSeq(words: Uint32Array, at: number): number {
  return words[at + HIGHEST]!;
}

/**
 * Records `seq` and returns true if it was not seen before and is not too old; returns false
 * (and changes nothing) for a repeat, a too-old seq, 0, or anything not a u32.
 */
export function acceptSeq(words: Uint32Array, at: number, seq: number): boolean {
  if (!(seq >= 1 && seq <= 0xffffffff && seq === Math.floor(seq))) return false;
  const highest = words[at + HIGHEST]!;
  let low = words[at + MASK_LOW]!;
  let high = words[at + MASK_HIGH]!;
  if (seq > highest) {
    const shift = seq - highest;
    if (shift >= SEQ_WINDOW_SIZE) {
      low = 0;
      high = 0;
    } else if (shift >= 32) {
      high = shift === 32 ? low : low << (shift - 32);
      low = 0;
    } else {
      high = (high << shift) | (low >>> (32 - shift));
      low <<= shift;
    }
    words[at + HIGHEST] = seq;
    words[at + MASK_LOW] = low | 1;
    words[at + MASK_HIGH] = high;
    return true;
  }
  const age = highest - seq;
  if (age >= SEQ_WINDOW_SIZE) return false;
  if (age < 32) {
    const bit = 1 << age;
    if (low & bit) return false;
    words[at + MASK_LOW] = low | bit;
  } else {
    const bit = 1 << (age - 32);
    if (high & bit) return false;
    words[at + MASK_HIGH] = high | bit;
  }
  return true;
}
