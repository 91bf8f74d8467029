import os from 'node:os';

/** Why an invite or a hosted tracker has no address to hand out; shown as is. */
export const NO_REACHABLE_ADDRESS =
  'This machine has no address others can reach, only loopback (127.0.0.1), which works on this machine alone: connect it to a network, or set P2P_ADVERTISE to the address others reach it at.';

const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$|\[?::ffff:127\.)/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * What others type to reach this machine, IPv4 first: P2P_ADVERTISE (comma
 * separated, for a public address behind port forwarding or a DNS name) when
 * set, else every non-loopback interface address. Loopback is never named.
 */
export function machineAddresses(env: NodeJS.ProcessEnv = process.env): string[] {
  const advertised = env.P2P_ADVERTISE?.split(',').map((a) => a.trim()).filter(Boolean);
  if (advertised?.length) return advertised.filter((a) => !isLoopback(a)).map((a) => (a.includes(':') && !a.startsWith('[') ? `[${a}]` : a));
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80')) v6.push(`[${a.address}]`);
    }
  }
  return [...v4, ...v6];
}
