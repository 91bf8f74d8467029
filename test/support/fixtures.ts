import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine, type EngineOptions } from '../../electron/engine/engine.js';
import type { Settings } from '../../shared/ipc/contract.js';
import { defaultSettings } from '../../shared/settings-defaults.js';
import { TrackerServer } from '../../electron/engine/tracker/tracker-server.js';
import type { NetworkKey } from '../../electron/engine/security/network-key.js';
import { tlsTransport } from '../../electron/engine/wire/tls-transport.js';

/** Everything a test opened, closed in reverse order by `cleanup()`. */
export class Fixtures {
  private readonly closers: Array<() => Promise<unknown> | unknown> = [];

  defer(close: () => Promise<unknown> | unknown): void {
    this.closers.push(close);
  }

  async cleanup(): Promise<void> {
    while (this.closers.length) {
      try {
        await this.closers.pop()!();
      } catch {
        // keep closing the rest
      }
    }
  }

  async tempDir(prefix = 'p2p-test-'): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A tracker on 127.0.0.1; `networkKey` makes it TLS-only and seals its control plane. */
  async tracker(options: Partial<ConstructorParameters<typeof TrackerServer>[0]> & { networkKey?: NetworkKey } = {}): Promise<TrackerServer> {
    const { networkKey, ...rest } = options;
    const tracker = new TrackerServer({ port: 0, host: '127.0.0.1', ...(networkKey ? { networkKey, transport: tlsTransport(networkKey) } : {}), ...rest });
    await tracker.start();
    this.defer(() => tracker.stop());
    return tracker;
  }

  /** A started engine sharing `folder` (a new temp folder when omitted). */
  async peer(trackerPort: number | number[], options: Partial<EngineOptions> & { folder?: string } = {}): Promise<{ engine: Engine; folder: string }> {
    const folder = options.folder ?? (await this.tempDir('p2p-share-'));
    const dataDir = await this.tempDir('p2p-data-');
    const ports = Array.isArray(trackerPort) ? trackerPort : [trackerPort];
    const engine = new Engine({
      dataDir,
      port: 0,
      host: '127.0.0.1',
      trackers: ports.map((p) => `127.0.0.1:${p}`),
      folders: [folder],
      trackerBackoff: { baseMs: 100, maxMs: 1000 },
      peerRetryDelaysMs: [100, 200],
      ...options,
    });
    await engine.start();
    this.defer(() => engine.stop());
    return { engine, folder };
  }
}

export async function writeRandomFile(file: string, size: number): Promise<Buffer> {
  await mkdir(path.dirname(file), { recursive: true });
  const data = size > 0 ? randomBytes(size) : Buffer.alloc(0);
  await writeFile(file, data);
  return data;
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every connected tracker of `engine` has its files. */
export async function announced(engine: Engine): Promise<void> {
  await engine.waitForTracker(10_000);
  await engine.flushAnnouncements();
}

/** A test host's settings: the first-start defaults, but no hosted tracker, open mode, no DHT, ports picked by the OS. */
export function testSettings(downloadDir: string, trackers: string[] = []): Settings {
  return { ...defaultSettings(downloadDir), trackers, listenPort: 0, hostTracker: false, hostTrackerPort: 0, openMode: true, dht: false, upnp: false };
}
