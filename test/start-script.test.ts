import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseInvite } from '../shared/ipc/invite.js';
import { eventually } from './support/fixtures.js';
import { assertBuilt, freePort, SpawnedProcess, START_SCRIPT } from './support/processes.mjs';
import { UiClient } from './support/ui-client.js';

const START_TIMEOUT_MS = 30_000;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});
beforeAll(assertBuilt);

/** A fresh "machine": its own HOME, so its own share folder, data folder and key. */
async function machine(): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'p2p-home-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  return home;
}

async function start(home: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
  // `npm start` without its build step: what a new user runs on each machine.
  // Its own process group: the script forwards SIGTERM to the host, but a SIGKILL must reach both.
  const proc = SpawnedProcess.node(START_SCRIPT, args, { env: { HOME: home, P2P_HEADLESS: '1', P2P_DATA_DIR: '', P2P_KEY: '', P2P_UI_PORT: '', ...env }, group: true });
  cleanups.push(() => proc.stop('SIGKILL'));
  const url = (await proc.waitFor(/web UI: (http:\/\/\S+)/, START_TIMEOUT_MS))[1]!;
  const port = Number((await proc.waitFor(/listening on port (\d+)/))[1]);
  return { proc, url, uiPort: Number(new URL(url).port), port };
}

async function stop(proc: SpawnedProcess): Promise<void> {
  proc.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
}

describe('npm start (scripts/start.mjs, headless)', () => {
  it('keeps the listening port saved in Settings and the web UI port across a restart', async () => {
    const home = await machine();
    const first = await start(home);
    const wanted = await freePort();
    const ui = await UiClient.connect(first.url);
    const saved = await ui.call<{ listenPort: number }>('settings:update', { listenPort: wanted });
    ui.close();
    expect(saved).toMatchObject({ ok: true, value: { listenPort: wanted } });
    await stop(first.proc);

    const second = await start(home);
    expect(second.port).toBe(wanted);
    expect(second.uiPort).toBe(first.uiPort);
    await stop(second.proc);

    // Taken for one start: a free port that time, and the saved one again the next.
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(wanted, r));
    const third = await start(home);
    await new Promise((r) => squatter.close(r));
    expect(third.port).not.toBe(wanted);
    await stop(third.proc);
    const fourth = await start(home);
    expect(fourth.port).toBe(wanted);
    await stop(fourth.proc);
  });

  it('moves the web UI off a taken port, says so, and comes back to the same one next time', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(r)));
    const taken = (busy.address() as net.AddressInfo).port;
    const home = await machine();
    const first = await start(home, { P2P_UI_PORT: String(taken) });
    expect(first.uiPort).not.toBe(taken);
    expect(first.proc.stdout).toContain(`port ${taken} is in use: the web UI listens on port ${first.uiPort} instead`);
    await stop(first.proc);
    const second = await start(home, { P2P_UI_PORT: String(taken) });
    expect(second.uiPort).toBe(first.uiPort);
    await stop(second.proc);
  });

  it('prints an invite beside the web UI address, and a second machine joins with it', async () => {
    const first = await machine();
    await mkdir(path.join(first, 'P2P Share'));
    await writeFile(path.join(first, 'P2P Share', 'from machine one.txt'), 'hello');
    const trackerPort = await freePort();
    const one = await start(first, { P2P_UI_PORT: String(await freePort()) }, ['-host-tracker-port', String(trackerPort)]);
    const line = (await one.proc.waitFor(/^invite: (\S+)$/m))[1]!;
    const invite = parseInvite(line);
    if ('error' in invite) throw new Error(`the printed invite does not parse: ${invite.error}`);
    expect(line).toMatch(/^p2p:\/\//);
    expect(invite.tracker).toMatch(new RegExp(`:${trackerPort}$`));
    expect(invite.tracker).not.toMatch(/^(127\.|\[::1\]|localhost)/);
    expect(one.proc.stdout.indexOf('invite:')).toBeGreaterThan(one.proc.stdout.indexOf('web UI:'));

    const two = await start(await machine(), { P2P_UI_PORT: String(await freePort()) }, ['-host-tracker-port', String(await freePort())]);
    const ui = await UiClient.connect(two.url);
    cleanups.push(async () => ui.close());
    expect(await ui.call('network:join', { invite: line })).toMatchObject({ ok: true, value: { trackers: [invite.tracker] } });
    const names = await eventually(async () => {
      const page = await ui.call<{ items: Array<{ name: string }> }>('network:list', { query: '', offset: 0, limit: 50, sort: 'name', descending: false });
      const found = page.ok ? page.value.items.map((i) => i.name) : [];
      return found.includes('from machine one.txt') ? found : undefined;
    }, 20_000, "machine one's file in machine two's listing");
    expect(names).toContain('from machine one.txt');
  });
});
