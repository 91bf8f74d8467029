import { Buffer } from 'node:buffer';
import { wordsHash } from './int-hash.js';

/** Slots stay below this, so (content id, slot) packs into one safe integer. */
export const MAX_PEER_SLOTS = 1 << 22;
const SLOT_PAGE_SHIFT = 10;
const SLOT_PAGE = 1 << SLOT_PAGE_SHIFT;
const SLOT_PAGE_MASK = SLOT_PAGE - 1;
/** Bytes of a peer id (32 hex digits). */
const PEER_ID_BYTES = 16;

// Integer fields of a peer slot.
export const FILE_COUNT = 0;
export const FILE_BLOCK = 1;
/** Block class of the peer's file set, or EMPTY when it has none. */
export const FILE_CLASS = 2;
/** The IPv4 address as an int32 bit pattern (0 when the host is kept as text). */
export const IPV4 = 3;
export const PORT = 4;
const PEER_INTS = 5;

/**
 * Buffer's own hexSlice skips toString's argument and encoding handling, which cost as much as
 * the conversion itself on the lookup path (50 peer ids per answer). Undocumented, so checked.
 */
type HexSliceBuffer = Buffer & { hexSlice(start: number, end: number): string };
const HAS_HEX_SLICE = typeof (Buffer.prototype as Partial<HexSliceBuffer>).hexSlice === 'function';

/**
 * The fields of every peer slot, in pages of 1024 slots: growing adds a page, so nothing is
 * copied and no outgrown array is left to the allocator (a tracker filling up otherwise leaves
 * as much garbage as it keeps). The peer id is kept as its 16 bytes.
 */
export class PeerTable {
  private readonly ints: Int32Array[] = [];
  private readonly sessions: Float64Array[] = [];
  private readonly ids: Buffer[] = [];
  private readonly idWords: Uint32Array[] = [];
  /** Scratch for comparing a peer id with stored ones. */
  private readonly probe = Buffer.alloc(PEER_ID_BYTES);
  private readonly probeWords = new Uint32Array(this.probe.buffer, this.probe.byteOffset, 4);

  ensure(slot: number): void {
    while (this.ints.length <= slot >>> SLOT_PAGE_SHIFT) {
      this.ints.push(new Int32Array(SLOT_PAGE * PEER_INTS));
      this.sessions.push(new Float64Array(SLOT_PAGE));
      const ids = Buffer.alloc(SLOT_PAGE * PEER_ID_BYTES);
      this.ids.push(ids);
      this.idWords.push(new Uint32Array(ids.buffer, ids.byteOffset, SLOT_PAGE * 4));
    }
  }

  get(slot: number, field: number): number {
    return this.ints[slot >>> SLOT_PAGE_SHIFT]![(slot & SLOT_PAGE_MASK) * PEER_INTS + field]!;
  }

  set(slot: number, field: number, value: number): void {
    this.ints[slot >>> SLOT_PAGE_SHIFT]![(slot & SLOT_PAGE_MASK) * PEER_INTS + field] = value;
  }

  session(slot: number): number {
    return this.sessions[slot >>> SLOT_PAGE_SHIFT]![slot & SLOT_PAGE_MASK]!;
  }

  setSession(slot: number, session: number): void {
    this.sessions[slot >>> SLOT_PAGE_SHIFT]![slot & SLOT_PAGE_MASK] = session;
  }

  setId(slot: number, hex: string): void {
    this.ids[slot >>> SLOT_PAGE_SHIFT]!.write(hex, (slot & SLOT_PAGE_MASK) * PEER_ID_BYTES, PEER_ID_BYTES, 'hex');
  }

  idHex(slot: number): string {
    const at = (slot & SLOT_PAGE_MASK) * PEER_ID_BYTES;
    const page = this.ids[slot >>> SLOT_PAGE_SHIFT]!;
    return HAS_HEX_SLICE ? (page as HexSliceBuffer).hexSlice(at, at + PEER_ID_BYTES) : page.toString('hex', at, at + PEER_ID_BYTES);
  }

  idHash(slot: number): number {
    const w = this.idWords[slot >>> SLOT_PAGE_SHIFT]!;
    const at = (slot & SLOT_PAGE_MASK) * 4;
    return wordsHash(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!);
  }

  /** Loads `hex` as the id to compare with (matchesProbe) and returns its hash. */
  probeHash(hex: string): number {
    this.probe.write(hex, 0, PEER_ID_BYTES, 'hex');
    const p = this.probeWords;
    return wordsHash(p[0]!, p[1]!, p[2]!, p[3]!);
  }

  matchesProbe(slot: number): boolean {
    const w = this.idWords[slot >>> SLOT_PAGE_SHIFT]!;
    const at = (slot & SLOT_PAGE_MASK) * 4;
    const p = this.probeWords;
    return w[at] === p[0] && w[at + 1] === p[1] && w[at + 2] === p[2] && w[at + 3] === p[3];
  }
}
