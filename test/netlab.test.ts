import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB, buildNatLab, labAvailability, labExists, removeStaleLabs, type NetLab } from './netlab/lab.mjs';
import { ROOT } from './support/processes.mjs';

/**
 * The NAT lab itself (test/netlab/lab.mjs), checked before anything is built on it: hosts behind
 * each router reach the WAN as their router's address, the port-preserving NATs map one socket
 * to one public port whatever the destination, the symmetric one does not, nothing from the WAN
 * gets into a LAN unasked, hosts on one LAN see each other directly, and the UPnP router's
 * miniupnpd maps a port that the WAN then reaches.
 */
const availability = labAvailability({ upnp: true });
const OBSERVER = path.join(ROOT, 'test/netlab/observer.mjs');
const PROBE = path.join(ROOT, 'test/netlab/probe.mjs');
const PORT = 7000;

type Seen = { seen?: string | string[]; error?: string };

describe.skipIf(!availability.ok)(`the NAT lab${availability.ok ? '' : ` (skipped: ${availability.reason})`}`, () => {
  let lab: NetLab;

  async function probe(ns: string, mode: 'tcp' | 'udp', ...targets: string[]): Promise<Seen> {
    const proc = lab.node(ns, PROBE, [mode, ...targets]);
    const exit = await proc.waitForExit(10_000);
    expect(exit.code, proc.describe()).toBe(0);
    return JSON.parse(proc.stdout.trim()) as Seen;
  }

  async function observe(ns: string, host: string): Promise<void> {
    await lab.node(ns, OBSERVER, [host, String(PORT)]).waitFor(/^ready$/m, 10_000, 'stdout');
  }

  beforeAll(async () => {
    await removeStaleLabs();
    lab = await buildNatLab({ upnp: true });
    await observe('tracker', LAB.tracker);
    await observe('public', LAB.public);
    await observe('hostU2', LAB.hostU2);
    await observe('hostN', LAB.hostN);
  }, 60_000);

  afterAll(async () => {
    const names = lab ? [...lab.namespaces] : [];
    await lab?.teardown();
    for (const ns of names) expect(labExists(ns), `${ns} removed`).toBe(false);
  });

  it('a host behind each router reaches the WAN as its router', async () => {
    for (const [host, router] of [['hostU1', LAB.routerU], ['hostN', LAB.routerN], ['hostS', LAB.routerS]] as const) {
      const r = await probe(host, 'tcp', `${LAB.tracker}:${PORT}`);
      expect(r.error, host).toBeUndefined();
      expect(String(r.seen).split(':')[0], host).toBe(router);
    }
    const direct = await probe('public', 'tcp', `${LAB.tracker}:${PORT}`);
    expect(String(direct.seen).split(':')[0]).toBe(LAB.public);
  });

  it('the plain NATs keep one public port per socket; the symmetric NAT picks one per destination', async () => {
    const targets = [`${LAB.tracker}:${PORT}`, `${LAB.public}:${PORT}`];
    for (const host of ['hostU1', 'hostN']) {
      const r = await probe(host, 'udp', ...targets);
      expect(r.error, host).toBeUndefined();
      const [a, b] = r.seen as string[];
      expect(a, host).toBe(b); // endpoint-independent mapping: what hole punching relies on
    }
    // A random port per mapping: two destinations see the same socket at different ports (a 1-in-64,000 chance of a false failure).
    const r = await probe('hostS', 'udp', ...targets);
    expect(r.error).toBeUndefined();
    const [a, b] = r.seen as string[];
    expect(a!.split(':')[0]).toBe(LAB.routerS);
    expect(b!.split(':')[0]).toBe(LAB.routerS);
    expect(a).not.toBe(b);
  });

  it('nothing from the WAN gets into a LAN unasked', async () => {
    // hostN listens on PORT; from the WAN its private address has no route, and its router's address forwards nothing.
    const privateAddress = await probe('public', 'tcp', `${LAB.hostN}:${PORT}`);
    expect(privateAddress.seen).toBeUndefined();
    expect(privateAddress.error).toBeDefined();
    const routerAddress = await probe('public', 'tcp', `${LAB.routerN}:${PORT}`);
    expect(routerAddress.seen).toBeUndefined();
    expect(routerAddress.error).toBeDefined();
  });

  it('hosts on one LAN reach each other directly, untranslated', async () => {
    const r = await probe('hostU1', 'tcp', `${LAB.hostU2}:${PORT}`);
    expect(r.error).toBeUndefined();
    expect(String(r.seen).split(':')[0]).toBe(LAB.hostU1);
  });

  it('a host behind the UPnP router maps a port, and the WAN reaches it through the mapping', async () => {
    const port = PORT + 1;
    await lab.node('hostU1', OBSERVER, [LAB.hostU1, String(port)]).waitFor(/^ready$/m, 10_000, 'stdout');
    const before = await probe('public', 'tcp', `${LAB.routerU}:${port}`);
    expect(before.seen).toBeUndefined(); // unmapped: the router forwards nothing
    // -i: miniupnpd's IGD says "not connected" on a TEST-NET WAN address; upnpc carries on anyway.
    const upnpc = lab.spawn('hostU1', 'upnpc', ['-i', '-a', LAB.hostU1, String(port), String(port), 'TCP']);
    expect((await upnpc.waitForExit(20_000)).code, upnpc.describe()).toBe(0);
    expect(upnpc.stdout).toContain(`external ${LAB.routerU}:${port} TCP is redirected to internal ${LAB.hostU1}:${port}`);
    const after = await probe('public', 'tcp', `${LAB.routerU}:${port}`);
    expect(after.error).toBeUndefined();
    expect(String(after.seen).split(':')[0]).toBe(LAB.public);
  }, 40_000);
});
