import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { labAvailability } from './netlab/lab.mjs';
import { natScenario } from './support/nat-scenario.js';

/**
 * The NAT matrix of docs/PROTOCOL.md §20 with real processes and default options: a holder of
 * each kind, a downloader of each kind, a 64 MiB file byte-identical across, and `-get`'s summary
 * naming the path. Each kind has its own router, so no pair shares a LAN:
 *   public: on the WAN itself; NAT + UPnP: hostU1 (holder) and hostV (downloader), each behind
 *   its own miniupnpd; plain NAT: hostN and hostM; symmetric NAT: hostS and hostT.
 */
const availability = labAvailability({ upnp: true });
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;
const FILE_BYTES = 64 * 1024 * 1024;

const HOLDERS = { public: 'public', upnp: 'hostU1', plain: 'hostN', symmetric: 'hostS' } as const;
const DOWNLOADERS = { public: 'public', upnp: 'hostV', plain: 'hostM', symmetric: 'hostT' } as const;
type Kind = keyof typeof HOLDERS;

/** What the summary may say, per holder kind and downloader kind ("relayed or better" allows a punch). */
const EXPECTED: Record<Kind, Record<Kind, RegExp>> = {
  public: { public: /direct/, upnp: /direct/, plain: /direct/, symmetric: /direct/ },
  upnp: { public: /direct/, upnp: /direct/, plain: /direct/, symmetric: /direct/ },
  plain: { public: /reversed/, upnp: /reversed/, plain: /punched/, symmetric: /relayed|punched/ },
  symmetric: { public: /reversed/, upnp: /reversed/, plain: /relayed|punched/, symmetric: /relayed/ },
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!availability.ok)(`the NAT matrix: every kind of holder to every kind of downloader${skipReason}`, () => {
  // The relay cap is the tracker's to choose; a high one keeps the relayed cells quick (the bench measures the cap).
  const lab = natScenario({ matrix: true, trackerArgs: ['-relay-limit', '65536'] });
  const contents = new Map<Kind, Buffer>();

  for (const holder of Object.keys(HOLDERS) as Kind[]) {
    it(`a holder on ${holder === 'public' ? 'the WAN' : `a ${holder} NAT`}: downloaded from every kind of network`, async () => {
      const content = randomBytes(FILE_BYTES);
      contents.set(holder, content);
      const seeding = await lab.share(HOLDERS[holder], `held-${holder}`, content);
      try {
        for (const downloader of Object.keys(DOWNLOADERS) as Kind[]) {
          const started = Date.now();
          const r = await lab.get(DOWNLOADERS[downloader], `get-${holder}-${downloader}`, `held-${holder}.bin`, 30);
          expect(r.exit.code, `${holder} → ${downloader}: ${r.proc.describe()}`).toBe(0);
          const summary = /^from: .*$/m.exec(r.proc.stdout)?.[0] ?? '';
          expect(summary, `${holder} → ${downloader}`).toMatch(EXPECTED[holder][downloader]);
          // The matrix as it came out, in the test log: which way each cell went, and how long it took.
          console.log(`nat matrix: ${holder} → ${downloader}: ${summary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          expect(sha256(await readFile(r.path)), `${holder} → ${downloader}`).toBe(sha256(content));
          await rm(r.path);
        }
      } finally {
        seeding.kill('SIGTERM');
        await seeding.waitForExit(10_000).catch(() => undefined);
      }
    }, 600_000);
  }
});
