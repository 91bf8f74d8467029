import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatNetworkKey, generateNetworkKey } from '../electron/engine/security/network-key.js';
import { WRONG_KEY_SENTENCE } from '../electron/engine/tracker/tracker-client.js';
import { CLI, CliScratch, SpawnedProcess, assertBuilt } from './support/processes.mjs';

/** A wrong key is a failure the client can name within a few seconds, not 30 s of "unreachable" retries. */
const REPORT_WITHIN_MS = 5000;
const WRONG_KEY_RUNS = 3;

const scratch = new CliScratch('p2p-wrong-key-');
const temp = () => scratch.temp();
beforeAll(() => assertBuilt());
afterEach(() => scratch.cleanup());

function start(script: string, args: string[], env: NodeJS.ProcessEnv): SpawnedProcess {
  const clean = { ...env };
  delete clean.P2P_KEY;
  const p = SpawnedProcess.node(script, args, { env: { P2P_KEY: '', ...clean } });
  return scratch.track(p);
}

describe('a client with a wrong key', () => {
  it(`-list exits non-zero within ${REPORT_WITHIN_MS / 1000} s saying the key is wrong; the tracker logs one refusal line per address`, async () => {
    const keyFile = path.join(await temp(), 'network.key');
    await writeFile(keyFile, `${formatNetworkKey(generateNetworkKey())}\n`, { mode: 0o600 });
    const tracker = start(CLI.tracker, ['-port', '0', '-host', '127.0.0.1', '-keyfile', keyFile], { P2P_DATA_DIR: await temp() });
    const port = Number((await tracker.waitFor(/listening on [^:]+:(\d+)/))[1]);

    const wrongKey = formatNetworkKey(generateNetworkKey());
    for (let run = 0; run < WRONG_KEY_RUNS; run++) {
      const started = Date.now();
      // No -timeout: the default (30 s) would be what a person waits without the fix.
      const client = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list', '-key', wrongKey], { P2P_DATA_DIR: await temp() });
      expect(await client.exited).toBe(1);
      expect(Date.now() - started).toBeLessThan(REPORT_WITHIN_MS);
      expect(client.stderr).toContain(`127.0.0.1:${port}: ${WRONG_KEY_SENTENCE}`);
      expect(client.stdout).toBe('');
    }
    await tracker.waitFor(/refused 127\.0\.0\.1: .*different network key/, 5000, 'stderr');
    // Every run was refused, but within the minute only the first says so.
    expect(tracker.stderr.match(/refused 127\.0\.0\.1/g)).toHaveLength(1);
  }, 30_000);
});
