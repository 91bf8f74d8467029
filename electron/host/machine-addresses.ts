import os from 'node:os';

/** Every non-loopback address of this machine, IPv4 first: what others type to reach us. */
export function machineAddresses(): string[] {
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
