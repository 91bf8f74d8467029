import { SEQ_WINDOW_WORDS } from '../control/replay-window.js';

/** u32 words per slot: token (2), replay window (3), last heard (1), UDP source port (1), last JOIN nonce (2), flags (1). */
export const CONTROL_WORDS = 10;
export const TOKEN = 0;
export const SEQ = 2;
export const LAST_HEARD = SEQ + SEQ_WINDOW_WORDS;
export const SOURCE_PORT = LAST_HEARD + 1;
export const JOIN_NONCE = SOURCE_PORT + 1;
export const FLAGS = JOIN_NONCE + 2;
/** FLAGS bit: the slot holds a control-plane (v2) member. */
export const JOINED = 1;
/** Slots the first allocation holds; it doubles as the highest slot in use grows. */
const INITIAL_SLOTS = 1024;

/**
 * What the control plane keeps per peer slot beside the tracker's peer table: 40 bytes
 * in one growable Uint32Array, no object per peer, so a million members cost 40 MB here.
 * The slot numbers are the peer directory's.
 */
export class ControlSlots {
  words = new Uint32Array(INITIAL_SLOTS * CONTROL_WORDS);
  /** One past the highest slot ever written: the expiry sweep scans below it. */
  high = 0;

  /** Word offset of `slot`, growing the array when needed. */
  at(slot: number): number {
    const needed = (slot + 1) * CONTROL_WORDS;
    if (needed > this.words.length) {
      let size = this.words.length;
      while (size < needed) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(this.words);
      this.words = grown;
    }
    if (slot >= this.high) this.high = slot + 1;
    return slot * CONTROL_WORDS;
  }

  /** Word offset of `slot` if it holds a joined member, else -1 (never grows). */
  joinedAt(slot: number): number {
    if (slot >= this.high) return -1;
    const at = slot * CONTROL_WORDS;
    return this.words[at + FLAGS]! & JOINED ? at : -1;
  }

  clear(slot: number): void {
    if (slot >= this.high) return;
    this.words.fill(0, slot * CONTROL_WORDS, (slot + 1) * CONTROL_WORDS);
  }
}
