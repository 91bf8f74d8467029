import type { MappedAddress } from './port-mapping.js';

/** What a tracker membership says about how we are reached. */
export interface MembershipView {
  /** The tracker sees our datagrams come from another address than our socket's. */
  behindNat: boolean;
  /** What the tracker's dial-back of our listed address found (undefined: not said yet). */
  reachableByDial: boolean | undefined;
}

export type Reachability = 'direct' | 'upnp' | 'nat-pmp' | 'unreachable' | 'unknown';

/**
 * How peers on other networks reach us. A tracker's dial-back (PROTOCOL.md §20.7) is the
 * evidence that counts: one that got through means reachable, and when every one failed we are
 * not, whatever the router said about a mapping. Before any answer: a mapping, or a tracker
 * seeing us at our own address (no NAT in between), is taken as reachable.
 */
export function reachabilityOf(memberships: readonly MembershipView[], mapped: MappedAddress | undefined): Reachability {
  const dialled = memberships.flatMap((m) => (m.reachableByDial === undefined ? [] : [m.reachableByDial]));
  if (dialled.length > 0 && !dialled.includes(true)) return 'unreachable';
  if (mapped) return mapped.method === 'natpmp' ? 'nat-pmp' : 'upnp';
  if (dialled.includes(true)) return 'direct';
  if (memberships.length === 0) return 'unknown';
  return memberships.some((m) => !m.behindNat) ? 'direct' : 'unreachable';
}
