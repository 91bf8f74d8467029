import { describe, expect, it } from 'vitest';
import { acceptSeq, highestSeq, resetSeqWindow, SEQ_WINDOW_SIZE, SEQ_WINDOW_WORDS } from '../electron/engine/control/replay-window.js';
import { prng } from './support/prng.js';

describe('replay window', () => {
  it('accepts new seqs and refuses repeats', () => {
    const words = new Uint32Array(SEQ_WINDOW_WORDS);
    for (let seq = 1; seq <= 200; seq++) {
      expect(acceptSeq(words, 0, seq)).toBe(true);
      expect(acceptSeq(words, 0, seq)).toBe(false);
    }
    expect(highestSeq(words, 0)).toBe(200);
  });

  it('accepts reordering within 64 once each, and refuses seqs 64 or more below the highest', () => {
    const words = new Uint32Array(SEQ_WINDOW_WORDS);
    expect(acceptSeq(words, 0, 100)).toBe(true);
    for (let seq = 99; seq > 100 - SEQ_WINDOW_SIZE; seq--) expect(acceptSeq(words, 0, seq), `seq ${seq}`).toBe(true);
    for (let seq = 99; seq > 100 - SEQ_WINDOW_SIZE; seq--) expect(acceptSeq(words, 0, seq), `again ${seq}`).toBe(false);
    expect(acceptSeq(words, 0, 100 - SEQ_WINDOW_SIZE)).toBe(false); // too old
    expect(acceptSeq(words, 0, 1)).toBe(false);
    // A jump further than the window forgets it.
    expect(acceptSeq(words, 0, 1000)).toBe(true);
    expect(acceptSeq(words, 0, 999)).toBe(true);
    expect(acceptSeq(words, 0, 100)).toBe(false);
  });

  it('refuses 0 and non-u32 values, and handles the top of the range', () => {
    const words = new Uint32Array(SEQ_WINDOW_WORDS);
    for (const bad of [0, -1, 1.5, NaN, 2 ** 32]) expect(acceptSeq(words, 0, bad)).toBe(false);
    expect(acceptSeq(words, 0, 0xffffffff)).toBe(true);
    expect(acceptSeq(words, 0, 0xffffffff - 63)).toBe(true);
    expect(acceptSeq(words, 0, 0xffffffff - 64)).toBe(false);
    resetSeqWindow(words, 0);
    expect(acceptSeq(words, 0, 1)).toBe(true);
  });

  it('agrees with a reference model under random reordering, jumps and repeats', () => {
    const random = prng(1313);
    const words = new Uint32Array(SEQ_WINDOW_WORDS * 4); // a window in the middle of other records
    const at = SEQ_WINDOW_WORDS * 2;
    const seen = new Set<number>();
    let highest = 0;
    let next = 1;
    for (let i = 0; i < 50_000; i++) {
      const r = random();
      const seq = r < 0.5 ? next++ : r < 0.9 ? Math.max(1, next - 1 - Math.floor(random() * 80)) : (next += Math.floor(random() * 100));
      const expected = seq > highest || (highest - seq < SEQ_WINDOW_SIZE && !seen.has(seq));
      if (acceptSeq(words, at, seq) !== expected) expect.fail(`step ${i}, seq ${seq}, highest ${highest}: expected ${expected}`);
      if (expected) {
        seen.add(seq);
        highest = Math.max(highest, seq);
      }
    }
    expect([...words.subarray(0, at), ...words.subarray(at + SEQ_WINDOW_WORDS)].every((w) => w === 0)).toBe(true);
  });

  it('a million windows fit in one 12 MB Uint32Array', () => {
    const records = 1_000_000;
    const words = new Uint32Array(records * SEQ_WINDOW_WORDS);
    expect(words.byteLength).toBe(12_000_000);
    for (let r = 0; r < records; r++) acceptSeq(words, r * SEQ_WINDOW_WORDS, 1);
    expect(acceptSeq(words, 999_999 * SEQ_WINDOW_WORDS, 1)).toBe(false);
  });
});
