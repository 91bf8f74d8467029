import { DROP_REASONS, type DropReason } from '../../../shared/protocol/datagram.js';

/** How many datagrams were dropped, by reason: the tracker's stats and the tests' evidence. */
export class DropCounters {
  private readonly counts = new Float64Array(DROP_REASONS.length);
  private static readonly indexOf = new Map<DropReason, number>(DROP_REASONS.map((reason, i) => [reason, i]));

  count(reason: DropReason): void {
    this.counts[DropCounters.indexOf.get(reason)!]!++;
  }

  get(reason: DropReason): number {
    return this.counts[DropCounters.indexOf.get(reason)!]!;
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts) sum += n;
    return sum;
  }

  /** Every reason with its count (zeros included, so a report has a stable shape). */
  snapshot(): Record<DropReason, number> {
    return Object.fromEntries(DROP_REASONS.map((reason, i) => [reason, this.counts[i]!])) as Record<DropReason, number>;
  }

  reset(): void {
    this.counts.fill(0);
  }
}
