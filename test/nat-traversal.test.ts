import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB, buildNatLab, labAvailability, removeStaleLabs, type NetLab } from './netlab/lab.mjs';
import { CLI, assertBuilt } from './support/processes.mjs';

/**
 * Real p2ptracker and p2pclient processes across the NAT lab (test/netlab/lab.mjs), with default
 * options. This grows into the matrix of the NAT work; today: a holder behind a mapping router
 * (UPnP IGD, or NAT-PMP only) is downloaded from by a peer behind another NAT, and without the
 * mapping it can't be.
 */
const availability = labAvailability({ upnp: true });
const FILE_BYTES = 16 * 1024 * 1024;
const TRACKER_PORT = 6969;
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;

/** A lab with a tracker on the WAN, and the CLI run in its namespaces. */
function scenario(options: { natPmpOnly?: boolean }) {
  let lab: NetLab;
  let tmp = '';
  // One network key for every process; inside the lab's namespaces port mapping may run (the harness turns it off elsewhere).
  const env = { P2P_KEY: randomBytes(32).toString('base64url'), P2P_NO_UPNP: undefined, NODE_OPTIONS: undefined };
  const tracker = `${LAB.tracker}:${TRACKER_PORT}`;

  beforeAll(async () => {
    assertBuilt();
    await removeStaleLabs();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'p2p-nat-'));
    lab = await buildNatLab({ upnp: true, natPmpOnly: options.natPmpOnly ?? false });
    const t = lab.node('tracker', CLI.tracker, ['-port', String(TRACKER_PORT), '-host', LAB.tracker], { env: { ...env, P2P_DATA_DIR: path.join(tmp, 'tracker-data') } });
    await t.waitFor(/listening on/, 20_000, 'output');
  }, 60_000);

  afterAll(async () => {
    await lab?.teardown();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const client = (ns: string, name: string, args: string[]) => lab.node(ns, CLI.client, args, { env: { ...env, P2P_DATA_DIR: path.join(tmp, `${name}-data`) }, label: `${ns} ${name}` });

  return {
    /** Any command inside namespace `ns`. */
    run: (ns: string, command: string, args: string[]) => lab.spawn(ns, command, args),
    /** Shares `bytes` as NAME.bin from namespace `ns` (each test its own bytes: one content may have several holders). */
    async share(ns: string, name: string, bytes: Buffer, extra: string[] = []) {
      const folder = path.join(tmp, `${name}-share`);
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, `${name}.bin`), bytes);
      const proc = client(ns, name, ['-folder', folder, '-port', '0', '-tracker', tracker, ...extra]);
      await proc.waitFor(/connected to tracker/, 20_000, 'stderr');
      return proc;
    },
    async get(ns: string, name: string, file: string, timeoutS: number) {
      const into = path.join(tmp, `${name}-into`);
      await mkdir(into, { recursive: true });
      const proc = client(ns, name, ['-folder', into, '-port', '0', '-tracker', tracker, '-get', file, '-timeout', String(timeoutS)]);
      const exit = await proc.waitForExit((timeoutS + 30) * 1000);
      return { exit, proc, path: path.join(into, file) };
    },
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!availability.ok)(`peers across NATs: a UPnP router${skipReason}`, () => {
  const lab = scenario({});

  it('a holder behind a UPnP router maps its port; a peer behind another NAT downloads from it directly', async () => {
    const content = randomBytes(FILE_BYTES);
    const holder = await lab.share('hostU1', 'mapped', content);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(UPnP port mapping\)/, 20_000, 'stderr');
    expect(mapped[1]).toBe(LAB.routerU);
    // The tracker lists it at the router's public address (its datagrams' source) and the mapped port.
    await holder.waitFor(new RegExp(`tracker ${LAB.tracker}:${TRACKER_PORT} lists this peer at ${LAB.routerU.replaceAll('.', '\\.')}:${mapped[2]}$`, 'm'), 20_000, 'stderr');
    const r = await lab.get('hostN', 'getter-mapped', 'mapped.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(r.proc.stdout).toMatch(/done: .*mapped\.bin verified/);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);

  it('when the router gave our port to another host, the holder maps another, and trackers beyond the router list that one', async () => {
    const port = 47_000;
    // hostU2 holds the router's external port 47000 first.
    const upnpc = lab.run('hostU2', 'upnpc', ['-i', '-a', LAB.hostU2, String(port), String(port), 'TCP']);
    expect((await upnpc.waitForExit(20_000)).code, upnpc.describe()).toBe(0);
    const content = randomBytes(256 * 1024);
    const holder = await lab.share('hostU1', 'moved', content, ['-port', String(port)]);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(UPnP port mapping\)/, 20_000, 'stderr');
    expect(Number(mapped[2])).not.toBe(port);
    // It joined again with the router's port, so the tracker on the WAN lists what the router forwards.
    await holder.waitFor(new RegExp(`lists this peer at ${LAB.routerU.replaceAll('.', '\\.')}:${mapped[2]}$`, 'm'), 20_000, 'stderr');
    const r = await lab.get('hostN', 'getter-moved', 'moved.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);

  it('with -no-upnp the same kind of holder is listed but unreachable from behind another NAT', async () => {
    await lab.share('hostU2', 'unmapped', randomBytes(64 * 1024), ['-no-upnp']);
    const r = await lab.get('hostN', 'getter-unmapped', 'unmapped.bin', 6);
    expect(r.exit.code, r.proc.describe()).toBe(1);
    // Listed (it was found, from one peer), but nobody can dial it: not a listing or key problem.
    expect(r.proc.stdout).toMatch(/downloading unmapped\.bin \(64\.0 KiB, [0-9a-f]{12}\) from 1 peer/);
    expect(r.proc.stderr).toContain('no reachable peer has unmapped.bin');
  }, 120_000);
});

describe.skipIf(!availability.ok)(`peers across NATs: a NAT-PMP-only router${skipReason}`, () => {
  const lab = scenario({ natPmpOnly: true });

  it('a holder behind a router speaking only NAT-PMP maps its port, and a peer behind another NAT downloads from it', async () => {
    const content = randomBytes(FILE_BYTES);
    const holder = await lab.share('hostU1', 'pmp', content);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(NAT-PMP port mapping\)/, 30_000, 'stderr');
    expect(mapped[1]).toBe(LAB.routerU);
    const r = await lab.get('hostN', 'getter-pmp', 'pmp.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);
});
