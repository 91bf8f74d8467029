import { machineAddresses } from '../host/machine-addresses.js';

/** Hosts that mean "every interface". */
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The addresses a tracker listening on `listenHost` can be reached at, best
 * first, for the "members join with" hint: only ones it really listens on. A
 * tracker bound to one address is reached there only; on every interface, at
 * this machine's network addresses (IPv4 only when bound to 0.0.0.0). When
 * only this machine can reach it, `note` says so.
 */
export function joinAddresses(listenHost: string | undefined, addresses: string[] = machineAddresses()): { hosts: string[]; note?: string } {
  const host = listenHost?.trim() ?? '';
  if (!WILDCARDS.has(host)) {
    const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return isLoopback(host)
      ? { hosts: [shown], note: `it listens on ${host} only, so only this machine can reach it; -host ADDR (or no -host) lets others in` }
      : { hosts: [shown] };
  }
  const reachable = host === '0.0.0.0' ? addresses.filter((a) => !a.startsWith('[')) : addresses;
  if (reachable.length === 0) return { hosts: ['127.0.0.1'], note: 'this machine has no network address, so only it can reach the tracker' };
  return { hosts: reachable };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}
