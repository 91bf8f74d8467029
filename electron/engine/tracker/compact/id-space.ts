/** "No id": ids are indexes, so never negative. Marks an empty cell, a missing row, no block. */
export const EMPTY = -1;
/** Smallest capacity of an array indexed by ids. */
const MIN_CAPACITY = 64;

/**
 * Record ids 0, 1, 2, … (indexes into parallel arrays), each handed out again once
 * released, so the arrays never grow past the most records alive at once.
 */
export class IdSpace {
  private readonly free: number[] = [];
  /** One past the largest id ever handed out. */
  high = 0;

  /** A released id, else the next new one; undefined when that would reach `limit`. */
  take(limit = Infinity): number | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    return this.high < limit ? this.high++ : undefined;
  }

  release(id: number): void {
    this.free.push(id);
  }
}

type TypedArray = Int32Array | Float64Array;

/** The capacity an id-indexed array of `length` grows to so that it can hold id `length`. */
export function grownCapacity(length: number): number {
  return Math.max(MIN_CAPACITY, length * 2);
}

/** A copy of `array` at `length` (longer), for the parallel arrays indexed by ids. */
export function grow<T extends TypedArray>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array as never);
  return out;
}
