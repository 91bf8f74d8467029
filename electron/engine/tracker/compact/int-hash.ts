/**
 * Hashes of the small integers the tracker's tables are keyed by. 32-bit and allocation-free:
 * they run once per announced file and per probe.
 */

/** 32-bit integer finalizer (from MurmurHash3 / "lowbias32"): spreads sequential ids over the table. */
export function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export function pairHash(a: number, b: number): number {
  return mix(mix(a) ^ Math.imul(b, 0x9e3779b1));
}

export function wordsHash(a: number, b: number, c: number, d: number): number {
  return mix(pairHash(a, b) ^ Math.imul(pairHash(c, d), 0x85ebca6b));
}

/** FNV-1a over UTF-16 code units, for the rare host that is not an IPv4 address. */
export function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
