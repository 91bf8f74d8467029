import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LAB, buildNatLab, removeStaleLabs, type NetLab } from '../netlab/lab.mjs';
import { CLI, assertBuilt } from './processes.mjs';

export const TRACKER_PORT = 6969;

/**
 * A NAT lab (test/netlab/lab.mjs) with p2ptracker on the WAN, for a describe block: real
 * p2pclient processes in its namespaces share and fetch, with default options unless a test
 * adds some. Built before the block's tests, torn down after.
 */
export function natScenario(options: { natPmpOnly?: boolean; matrix?: boolean; trackerArgs?: string[] } = {}) {
  let lab: NetLab;
  let tmp = '';
  // One network key for every process; inside the lab's namespaces port mapping may run (the harness turns it off elsewhere).
  const env = { P2P_KEY: randomBytes(32).toString('base64url'), P2P_NO_UPNP: undefined, P2P_NO_LAN: undefined, NODE_OPTIONS: undefined };
  const tracker = `${LAB.tracker}:${TRACKER_PORT}`;

  beforeAll(async () => {
    assertBuilt();
    await removeStaleLabs();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'p2p-nat-'));
    lab = await buildNatLab({ upnp: true, natPmpOnly: options.natPmpOnly ?? false, matrix: options.matrix ?? false });
    const t = lab.node('tracker', CLI.tracker, ['-port', String(TRACKER_PORT), '-host', LAB.tracker, ...(options.trackerArgs ?? [])], { env: { ...env, P2P_DATA_DIR: path.join(tmp, 'tracker-data') } });
    await t.waitFor(/listening on/, 20_000, 'output');
  }, 90_000);

  afterAll(async () => {
    await lab?.teardown();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const client = (ns: string, name: string, args: string[]) => lab.node(ns, CLI.client, args, { env: { ...env, P2P_DATA_DIR: path.join(tmp, `${name}-data`) }, label: `${ns} ${name}` });

  return {
    /** The network key every process of the scenario holds. */
    key: env.P2P_KEY,
    /** Any command inside namespace `ns`. */
    run: (ns: string, command: string, args: string[]) => lab.spawn(ns, command, args),
    /** A node script inside namespace `ns`, with the scenario's environment. */
    node: (ns: string, script: string, args: string[]) => lab.node(ns, script, args, { env }),
    /** p2pclient with exactly these arguments (no -tracker added). */
    client,
    /** Waits until `tracker`, asked from namespace `ns`, lists `file`. */
    async eventuallyListed(ns: string, tracker: string, file: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (let i = 0; ; i++) {
        const list = client(ns, `listing-${i}`, ['-list', '-json', '-no-lan', '-tracker', tracker, '-timeout', '5']);
        const exit = await list.waitForExit(20_000);
        if (exit.code === 0 && (JSON.parse(list.stdout) as Array<{ name: string }>).some((r) => r.name === file)) return;
        if (Date.now() > deadline) throw new Error(`${tracker} never listed ${file}\n${list.describe()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    /** A fresh folder NAME.bin can be written into. */
    async folder(name: string) {
      const folder = path.join(tmp, name);
      await mkdir(folder, { recursive: true });
      return folder;
    },
    /** Shares `bytes` as NAME.bin from namespace `ns` (each test its own bytes: one content may have several holders). */
    async share(ns: string, name: string, bytes: Buffer, extra: string[] = []) {
      const folder = path.join(tmp, `${name}-share`);
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, `${name}.bin`), bytes);
      const proc = client(ns, name, ['-folder', folder, '-port', '0', '-tracker', tracker, ...extra]);
      await proc.waitFor(/connected to tracker/, 20_000, 'stderr');
      return proc;
    },
    /** Starts `-get FILE` in namespace `ns`; `get` waits for it to end. */
    async startGet(ns: string, name: string, file: string, timeoutS: number, extra: string[] = []) {
      const into = path.join(tmp, `${name}-into`);
      await mkdir(into, { recursive: true });
      const proc = client(ns, name, ['-folder', into, '-port', '0', '-tracker', tracker, '-get', file, '-timeout', String(timeoutS), ...extra]);
      return { proc, path: path.join(into, file) };
    },
    async get(ns: string, name: string, file: string, timeoutS: number, extra: string[] = []) {
      const { proc, path: saved } = await this.startGet(ns, name, file, timeoutS, extra);
      const exit = await proc.waitForExit((timeoutS + 30) * 1000);
      return { exit, proc, path: saved };
    },
  };
}
