/** One line per address per this long; the lines left out are counted in the next one. */
export const REFUSAL_LOG_WINDOW_MS = 60_000;
/** Addresses remembered at once; past this the oldest are forgotten (and may log again). */
const MAX_TRACKED_ADDRESSES = 4096;

interface Seen {
  loggedAt: number;
  suppressed: number;
}

/**
 * Throttles the "refused ADDRESS: reason" lines of handshake failures: a
 * member retrying with a wrong key, or a scanner, would otherwise write a
 * line every few seconds for ever. The first refusal of an address is logged
 * at once; the next ones within the window are only counted, and the count
 * goes out with the first line after it. Needs no timer.
 */
export function throttledRefusals(log: (line: string) => void, windowMs = REFUSAL_LOG_WINDOW_MS, now: () => number = Date.now): (remote: string, reason: string) => void {
  const seen = new Map<string, Seen>();
  return (remote, reason) => {
    const at = now();
    const entry = seen.get(remote);
    if (entry && at - entry.loggedAt < windowMs) {
      entry.suppressed++;
      return;
    }
    const more = entry && entry.suppressed > 0 ? ` (and ${entry.suppressed} more refusal${entry.suppressed === 1 ? '' : 's'} from it since the last line)` : '';
    seen.delete(remote); // re-insert: the Map's order is then the order of the last line
    seen.set(remote, { loggedAt: at, suppressed: 0 });
    if (seen.size > MAX_TRACKED_ADDRESSES) seen.delete(seen.keys().next().value!);
    log(`refused ${remote}: ${reason}${more}`);
  };
}
