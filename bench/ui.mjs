// The UI benchmark: Debian's Chromium (Playwright) against a real headless host
// (p2pclient -ui) and a real tracker (p2ptracker) on 127.0.0.1, with a shared network key.
// One simulated peer (a TrackerClient in this process, as in e2e/scale.spec.ts) announces
// the listing; everything else is the processes a person runs.
//
//   node bench/ui.mjs [--quick|--smoke]      (after npm run build)
//
// 1. open: navigation start until the Network view has painted its first rows with the
//    listing complete: the grid says N rows, row 0 is the first file, no rendered row is a
//    loading skeleton, and the summary shows "N files on the network" (MutationObserver,
//    then the next requestAnimationFrame and a message posted from it: the frame is out).
//    Reference: Chromium loading the first page of the same rows as static HTML (no script).
// 2. filter: the search box's last input event until the frame showing the filtered
//    listing (row count, first row, summary naming the query) is painted; median over
//    queries, typed key by key and pasted in one go, and clearing the box.
// 3. events: a seeder shares one random file, the person clicks Download in the Network
//    view and watches the Downloads view; every WebSocket frame the page receives from the
//    click until the `downloads:finished` event is counted (Playwright framereceived), and
//    the page's main-thread time comes from Chromium's TaskDuration metric.
//    References: the same page idle; the same file fetched by `p2pclient -get` (no UI).
/* global window -- functions passed to page.evaluate run in the page */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { CLI, DIST, SpawnedProcess } from '../test/support/processes.mjs';
import { P2PNetwork, randomFile } from './lib/p2p.mjs';
import { MiB, mbPerS, median, printTable, ratio } from './lib/stats.mjs';
import { instrument, staticTablePage } from './ui-page.mjs';

const CONFIGS = {
  full: { rows: 100_000, renderRuns: 3, queries: 6, fileBytes: 1024 * MiB },
  quick: { rows: 100_000, renderRuns: 1, queries: 3, fileBytes: 256 * MiB },
  smoke: { rows: 2_000, renderRuns: 1, queries: 2, fileBytes: 16 * MiB },
};
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const PAGE_TIMEOUT_MS = 30_000;
/**
 * Rows in the static reference page: the first page the app fetches (PAGE_SIZE in
 * renderer/src/stores/network-store.ts). A static page of all 100,000 rows is no usable
 * reference here: Chromium (software rendering, 2 cores) took over 60 s to load and paint
 * it as a <table>, and about 7 s for 20,000 rows as plain <div>s.
 */
const REFERENCE_ROWS = 200;
/**
 * Playwright's pause between keystrokes when typing a query; with its own overhead the
 * keys land about 100 ms apart (reported): a fast typist, the search's debounce applies.
 */
const TYPING_DELAY_MS = 80;
/** A person looks at the results before the next query (also: no edit lands inside the last one's debounce). */
const READ_PAUSE_MS = 300;
/** Idle time on the Downloads view after the transfer (and its last 300 ms bar transition): the main thread's baseline. */
const IDLE_MS = 700;
const count = (n) => n.toLocaleString('en-US');
const round = (x, digits = 0) => (Number.isFinite(x) ? +x.toFixed(digits) : null);

/** The simulated library: `library/shelf-NNN/item-NNNNNN.dat`, as in e2e/scale.spec.ts. */
function library(n) {
  return Array.from({ length: n }, (_, i) => ({
    path: `library/shelf-${String(Math.floor(i / 1000)).padStart(3, '0')}/item-${String(i).padStart(6, '0')}.dat`,
    size: 1000 + i,
    hash: randomBytes(32).toString('hex'),
  }));
}

/** Queries of different selectivity, each with what the tracker answers (its matching rule). */
function filterQueries(files, howMany) {
  const n = files.length;
  const pad = (i, w = 6) => String(i).padStart(w, '0');
  const candidates = [
    `item-${pad(Math.floor(n * 0.4242)).slice(0, 5)}`, // 10 rows
    `shelf-${pad(Math.floor((n - 1) / 2000), 3)}/`, // 1,000 rows
    `item-${pad(n - 1)}.dat`, // 1 row, the last one
    '7.dat', // a tenth
    `item-${pad(Math.floor(n * 0.1234)).slice(0, 4)}`, // 100 rows
    '00.dat', // a hundredth
  ];
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return candidates.slice(0, howMany).map((q) => {
    const matches = sorted.filter((f) => f.path.toLowerCase().includes(q.toLowerCase()));
    return { query: q, rows: matches.length, firstName: matches[0].path.split('/').at(-1) };
  });
}

async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, j) => (timer = setTimeout(() => j(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** One page, instrumented before its scripts run; its socket frames are recorded from Node. */
async function openPage(context, spec) {
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.addInitScript(instrument, spec);
  const frames = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      const text = typeof payload === 'string' ? payload : payload.toString('utf8');
      frames.push({ at: performance.now(), bytes: Buffer.byteLength(text), event: /^\{"t":"evt","event":"([^"]+)"/.exec(text)?.[1] ?? (text.startsWith('{"t":"res"') ? 'response' : 'other') });
    }),
  );
  return { page, frames };
}

/** Opens the app at `url` and returns the in-page marks once the listing in `spec` is painted. */
async function measureNavigation(context, url, spec) {
  const { page } = await openPage(context, spec);
  try {
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench?.spec?.paintAt !== undefined, null, { timeout: PAGE_TIMEOUT_MS, polling: 50 });
    const b = await page.evaluate(() => ({ marks: window.__bench.marks, spec: window.__bench.spec, requests: window.__bench.requests, longTasks: window.__bench.longTasks }));
    const requests = Object.values(b.requests);
    const snapshot = requests.find((r) => r.channel === 'app:snapshot');
    const list = requests.find((r) => r.channel === 'network:list' && r.args.offset === 0);
    return {
      paintMs: round(b.spec.paintAt, 1),
      domMs: round(b.spec.domAt, 1),
      domContentLoadedMs: round(b.marks.domContentLoaded, 1),
      socketOpenMs: round(b.marks.socketOpen, 1),
      snapshotMs: snapshot ? round(snapshot.doneAt - snapshot.sentAt, 1) : null,
      listSentMs: list ? round(list.sentAt, 1) : null,
      listRoundTripMs: list ? round(list.doneAt - list.sentAt, 1) : null,
      listResponseChars: list?.chars ?? null,
      listToPaintMs: list ? round(b.spec.paintAt - list.doneAt, 1) : null,
      renderedRows: b.spec.renderedRows,
      longTasksMs: round(b.longTasks.reduce((s, [, d]) => s + d, 0)),
    };
  } finally {
    await page.close();
  }
}

/** Chromium loading the reference page (static rows, no script): navigation start to the load event's painted frame. */
async function measureStaticTable(context, url) {
  const { page } = await openPage(context, null);
  try {
    await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
    await page.waitForFunction(() => window.__bench?.marks.loadPainted !== undefined, null, { timeout: 60_000, polling: 100 });
    const m = await page.evaluate(() => ({ ...window.__bench.marks, fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime }));
    return { paintMs: round(m.loadPainted, 1), loadMs: round(m.load, 1), firstContentfulPaintMs: round(m.fcp, 1) };
  } finally {
    await page.close();
  }
}

/**
 * Puts `q.query` in the search box, `typed` key by key (TYPING_DELAY_MS apart, over the
 * previous text selected) or `pasted` (one input event); returns the last input event →
 * filtered listing painted, and its parts.
 */
async function measureFilter(page, q, how) {
  const summary = q.summary ?? `${count(q.rows)} ${q.rows === 1 ? 'file' : 'files'} matching “${q.query}”`;
  await page.evaluate((s) => (window.__bench.spec = s), { rows: q.rows, firstName: q.firstName, summary });
  const box = page.getByRole('textbox', { name: 'Search files' });
  await page.waitForTimeout(READ_PAUSE_MS);
  if ((await box.inputValue()) === q.query) throw new Error(`the search box already holds "${q.query}": nothing would change`);
  if (how === 'typed') {
    await box.press('Control+a');
    await page.keyboard.type(q.query, { delay: TYPING_DELAY_MS });
  } else {
    await box.fill(q.query);
  }
  await page.waitForFunction(() => window.__bench.spec.paintAt !== undefined, null, { timeout: PAGE_TIMEOUT_MS, polling: 20 });
  const r = await page.evaluate((query) => {
    const s = window.__bench.spec;
    const list = Object.values(window.__bench.requests).find((x) => x.channel === 'network:list' && x.args.query === query && x.args.offset === 0 && x.sentAt >= s.inputAt);
    return { s, list };
  }, q.query);
  const { s, list } = r;
  const gaps = s.inputs.slice(1).map((t, i) => t - s.inputs[i]);
  return {
    query: q.query,
    rows: q.rows,
    inputEvents: s.inputs.length,
    ...(gaps.length ? { keyIntervalMs: round(median(gaps), 1) } : {}),
    ms: round(s.paintAt - s.inputAt, 1),
    inputToRequestMs: list ? round(list.sentAt - s.inputAt, 1) : null,
    requestRoundTripMs: list ? round(list.doneAt - list.sentAt, 1) : null,
    responseToPaintMs: list ? round(s.paintAt - list.doneAt, 1) : null,
  };
}

async function cdpMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

export async function run({ mode = 'full', work, log = console.log } = {}) {
  const config = CONFIGS[mode];
  if (!config) throw new Error(`unknown mode ${mode} (full, quick or smoke)`);
  const began = performance.now();
  const at = () => `[${((performance.now() - began) / 1000).toFixed(1)} s]`;
  const dist = (file) => import(pathToFileURL(path.join(DIST, 'electron', file)).href);
  const { TrackerClient } = await dist('engine/tracker/tracker-client.js');
  const { tlsTransport } = await dist('engine/wire/tls-transport.js');
  const { parseNetworkKey } = await dist('engine/security/network-key.js');
  const { PeerIdentity } = await dist('engine/security/peer-identity.js');
  const ownWork = !work;
  work = work ?? (await mkdtemp(path.join(os.tmpdir(), 'p2p-bench-ui-')));
  const dir = await mkdtemp(path.join(work, 'ui-'));

  const net = new P2PNetwork(dir);
  const ours = [];
  const spawnClient = async (args, role) => {
    const p = SpawnedProcess.node(CLI.client, args, { env: { ...net.env, P2P_DATA_DIR: await net.dataDir(role) } });
    ours.push(p);
    return p;
  };
  let announcer;
  let browser;
  let server;
  const loadAverage = () => os.loadavg().map((x) => round(x, 2));
  const result = { title: '', table: [], mode, config: { ...config }, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAverageBefore: loadAverage() } };
  try {
    // ---- a tracker, N files announced by one simulated peer, the headless host ----
    await withTimeout(net.tracker(), 20_000, 'starting p2ptracker');
    const files = library(config.rows);
    const identity = PeerIdentity.generate();
    announcer = new TrackerClient({ address: net.trackerAddress, peerId: identity.peerId, identity, listenPort: 1, files: () => files, transport: tlsTransport(parseNetworkKey(net.key)) });
    announcer.start();
    await announcer.waitConnected(10_000);
    await withTimeout(announcer.flush(), 60_000, 'announcing the listing');
    const hostFolder = path.join(dir, 'host-folder');
    await mkdir(hostFolder, { recursive: true });
    const host = await spawnClient(['-folder', hostFolder, '-port', '0', '-tracker', net.trackerAddress, '-ui', '0', '-quiet'], 'host');
    const tokenUrl = (await host.waitFor(/web UI: (\S+)/, 20_000, 'output'))[1];
    const appUrl = new URL('/', tokenUrl).href;
    log(`${at()} ${count(config.rows)} files announced, host up`);

    // The reference page, served from this process on loopback: the rows the app fetches first.
    const html = staticTablePage(files.slice(0, REFERENCE_ROWS));
    server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const staticUrl = `http://127.0.0.1:${server.address().port}/`;

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const all = { rows: config.rows, firstName: files[0].path.split('/').at(-1), summary: `${count(config.rows)} files on the network` };

    // ---- 1. render ----
    // The first load trades the token for the cookie and finds the host's and tracker's caches cold.
    const cold = await measureNavigation(context, tokenUrl, all);
    const runs = [];
    for (let i = 0; i < config.renderRuns; i++) runs.push(await measureNavigation(context, appUrl, all));
    const staticRuns = [];
    for (let i = 0; i < config.renderRuns; i++) staticRuns.push(await measureStaticTable(context, staticUrl));
    const pick = (xs, k) => {
      const values = xs.map((x) => x[k]).filter((v) => v !== null && v !== undefined);
      return values.length ? median(values) : null;
    };
    result.render = {
      what: 'navigation start → first frame painted with the Network grid showing N rows, row 0 loaded, no skeleton row, the summary showing the total',
      rows: config.rows,
      medianMs: pick(runs, 'paintMs'),
      coldMs: cold.paintMs,
      breakdown: Object.fromEntries(['domContentLoadedMs', 'socketOpenMs', 'snapshotMs', 'listSentMs', 'listRoundTripMs', 'listToPaintMs', 'longTasksMs'].map((k) => [k, pick(runs, k)])),
      listResponseChars: runs[0].listResponseChars,
      renderedRows: runs[0].renderedRows,
      runs,
      cold,
      reference: {
        what: `the first ${REFERENCE_ROWS} rows of the same listing as one static HTML <table> (no script, no socket), served from 127.0.0.1: navigation start → the load event's frame painted`,
        medianMs: pick(staticRuns, 'paintMs'),
        firstContentfulPaintMs: pick(staticRuns, 'firstContentfulPaintMs'),
        bytes: Buffer.byteLength(html),
        runs: staticRuns,
      },
    };
    log(`${at()} render ${result.render.medianMs} ms (cold ${cold.paintMs} ms), static page ${result.render.reference.medianMs} ms`);

    // ---- 2. filter ----
    const { page, frames } = await openPage(context, all);
    await page.goto(appUrl, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench?.spec?.paintAt !== undefined, null, { timeout: PAGE_TIMEOUT_MS, polling: 50 });
    const queries = filterQueries(files, config.queries);
    const summarize = (list) => ({
      medianMs: round(median(list.map((f) => f.ms)), 1),
      inputToRequestMs: round(median(list.map((f) => f.inputToRequestMs)), 1),
      requestRoundTripMs: round(median(list.map((f) => f.requestRoundTripMs)), 1),
      responseToPaintMs: round(median(list.map((f) => f.responseToPaintMs)), 1),
      queries: list,
    });
    const typed = [];
    const pasted = [];
    for (const q of queries) typed.push(await measureFilter(page, q, 'typed'));
    for (const q of queries) pasted.push(await measureFilter(page, q, 'pasted'));
    const clear = await measureFilter(page, { query: '', ...all }, 'pasted');
    result.filter = {
      what: "the search box's last input event → first frame painted with the filtered grid (row count, first row, summary naming the query)",
      typed: { how: 'typed key by key over the previous query (selected)', keyIntervalMs: round(median(typed.map((f) => f.keyIntervalMs)), 1), ...summarize(typed) },
      pasted: { how: 'the whole query in one input event (paste, or fill)', ...summarize(pasted) },
      clear,
    };
    log(`${at()} filter typed ${result.filter.typed.medianMs} ms, pasted ${result.filter.pasted.medianMs} ms, cleared ${clear.ms} ms`);

    // ---- 3. events during a transfer ----
    const seedFolder = path.join(dir, 'seed');
    await randomFile(path.join(seedFolder, 'payload.bin'), config.fileBytes);
    await withTimeout(net.seeder(seedFolder), 120_000, 'the seeder indexing the file');
    const transferLimitMs = Math.max(60_000, (config.fileBytes / MiB) * 250);
    await page.waitForTimeout(READ_PAUSE_MS);
    await page.getByRole('textbox', { name: 'Search files' }).fill('payload.bin');
    const row = page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: 'payload.bin' });
    await row.getByRole('button', { name: 'Download' }).waitFor({ timeout: 20_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const before = await cdpMetrics(cdp);
    const pageStart = await page.evaluate(() => performance.now());
    const clickedAt = performance.now();
    await row.getByRole('button', { name: 'Download' }).click();
    await page.getByRole('button', { name: 'Downloads', exact: true }).click();
    let finished;
    while (!(finished = frames.find((f) => f.at >= clickedAt && f.event === 'downloads:finished'))) {
      if (performance.now() > clickedAt + transferLimitMs) throw new Error(`the download did not finish in time:\n${host.output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (finished.at - clickedAt) / 1000;
    const after = await cdpMetrics(cdp);
    const longTasks = await page.evaluate((t0) => window.__bench.longTasks.filter(([t]) => t >= t0), pageStart);
    // Baseline: the same view with nothing moving (after the bar's last transition).
    await page.waitForTimeout(400);
    const idleBefore = await cdpMetrics(cdp);
    const idleStart = performance.now();
    await page.waitForTimeout(IDLE_MS);
    const idleAfter = await cdpMetrics(cdp);
    const idleBusyPct = round(((idleAfter.TaskDuration - idleBefore.TaskDuration) / ((performance.now() - idleStart) / 1000)) * 100, 1);
    await cdp.detach();
    const during = frames.filter((f) => f.at >= clickedAt && f.at <= finished.at);
    const byEvent = {};
    for (const f of during) byEvent[f.event] = (byEvent[f.event] ?? 0) + 1;
    const perSecond = new Map();
    for (const f of during) {
      const s = Math.floor((f.at - clickedAt) / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const got = await stat(path.join(hostFolder, 'payload.bin')).then((s) => s.size, () => -1);
    if (got !== config.fileBytes) throw new Error(`the downloaded file has ${got} bytes, expected ${config.fileBytes}`);
    // Reference: the same file from the same seeder with the CLI, no UI, timed from its
    // "downloading" line (peers found) to its "done" line (file verified and in place).
    const cliFolder = path.join(dir, 'cli-folder');
    await mkdir(cliFolder, { recursive: true });
    const cli = await spawnClient(['-folder', cliFolder, '-port', '0', '-tracker', net.trackerAddress, '-get', 'payload.bin', '-quiet'], 'cli');
    await cli.waitFor(/downloading payload\.bin/, 30_000, 'output');
    const cliStart = performance.now();
    await cli.waitFor(/^done: /m, transferLimitMs, 'output');
    const cliMs = performance.now() - cliStart;
    const cliCode = await withTimeout(cli.exited, 10_000, 'p2pclient -get exiting');
    if (cliCode !== 0) throw new Error(`p2pclient -get failed (${cliCode}):\n${cli.output.slice(-2000)}`);
    const taskSeconds = after.TaskDuration - before.TaskDuration;
    result.events = {
      what: 'WebSocket frames the page received from the click on Download until the downloads:finished event, page on the Downloads view',
      fileBytes: config.fileBytes,
      seconds: round(seconds, 2),
      frames: during.length,
      perSecond: round(during.length / seconds, 1),
      peakPerSecond: Math.max(...perSecond.values()),
      bytesPerSecond: round(during.reduce((s, f) => s + f.bytes, 0) / seconds),
      byEvent,
      transferMBps: round(mbPerS(config.fileBytes, finished.at - clickedAt)),
      mainThreadBusyPct: round((taskSeconds / seconds) * 100, 1),
      idleMainThreadBusyPct: idleBusyPct,
      mainThread: {
        what: "Chromium's TaskDuration (all main-thread tasks: script, style, layout, paint) over the transfer's wall time",
        taskMs: round(taskSeconds * 1000),
        scriptMs: round((after.ScriptDuration - before.ScriptDuration) * 1000),
        layoutMs: round((after.LayoutDuration - before.LayoutDuration) * 1000),
        styleMs: round((after.RecalcStyleDuration - before.RecalcStyleDuration) * 1000),
        longTasks: longTasks.length,
        longTasksMs: round(longTasks.reduce((s, [, d]) => s + d, 0)),
      },
      reference: { what: 'the same file from the same seeder by `p2pclient -get -quiet` (its "downloading" line to its "done" line, no UI)', ms: round(cliMs), mbPerS: round(mbPerS(config.fileBytes, cliMs)) },
    };
    log(`${at()} transfer ${result.events.transferMBps} MB/s (CLI ${result.events.reference.mbPerS} MB/s), ${result.events.perSecond} frames/s, main thread ${result.events.mainThreadBusyPct} % busy`);

    // ---- the table ----
    const r = result.render;
    const f = result.filter;
    const e = result.events;
    const n = count(config.rows);
    const parts = (x) => `request ${x.requestRoundTripMs} ms + render ${x.responseToPaintMs} ms`;
    result.title = `Web UI in Chromium against the headless host (${mode}: ${n} files, ${config.fileBytes / MiB} MiB transfer)`;
    result.table = [
      [`ours, open the Network view (${n} files)`, r.medianMs, 'ms', `navigation → first rows and total painted; median of ${runs.length}; listing request ${r.breakdown.listRoundTripMs} ms of it`],
      ['ours, first open after the host started', r.coldMs, 'ms', 'the same, caches cold, token traded for the cookie'],
      [`reference: static HTML, first ${REFERENCE_ROWS} rows`, r.reference.medianMs, 'ms', 'no script, no socket: navigation → load painted'],
      ['open: ours / reference', ratio(r.medianMs, r.reference.medianMs), '×', ''],
      ['ours, filter (typed)', f.typed.medianMs, 'ms', `last key → filtered rows painted; keys ${f.typed.keyIntervalMs} ms apart; debounce ${f.typed.inputToRequestMs} ms + ${parts(f.typed)}; median of ${queries.length}`],
      ['ours, filter (pasted)', f.pasted.medianMs, 'ms', `one input event → filtered rows painted; wait ${f.pasted.inputToRequestMs} ms + ${parts(f.pasted)}; median of ${queries.length}`],
      ['ours, clear the filter', f.clear.ms, 'ms', `input event → all ${n} rows painted; wait ${f.clear.inputToRequestMs} ms + ${parts(f.clear)}`],
      ['ours, socket frames during a transfer', e.perSecond, 'frames/s', `peak ${e.peakPerSecond} in one second; ${Object.entries(e.byEvent).map(([k, v]) => `${k} ${v}`).join(', ')}`],
      ['ours, socket bytes during a transfer', e.bytesPerSecond, 'B/s', `${e.frames} frames in ${e.seconds} s`],
      ['ours, page main thread busy during a transfer', e.mainThreadBusyPct, '%', `${e.mainThread.taskMs} ms of tasks in ${e.seconds} s, ${e.mainThread.longTasks} long tasks; Downloads view`],
      ['reference: the same page, idle', e.idleMainThreadBusyPct, '%', `${IDLE_MS} ms on the Downloads view after the transfer`],
      ['ours, transfer seen in the web UI', e.transferMBps, 'MB/s', 'click on Download → downloads:finished event'],
      ['reference: p2pclient -get, same file and seeder', e.reference.mbPerS, 'MB/s', '"downloading" → "done" lines, no UI'],
    ];
    result.machine.loadAverageAfter = loadAverage();
    result.elapsedMs = Math.round(performance.now() - began);
    return result;
  } finally {
    await browser?.close().catch(() => {});
    if (server) await new Promise((r) => server.close(r));
    await announcer?.stop().catch(() => {});
    await Promise.all(ours.map((p) => p.stop()));
    await net.stop();
    await rm(ownWork ? work : dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const mode = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
  const result = await run({ mode });
  printTable(result.title, result.table);
  console.log(JSON.stringify(result, null, 2));
}
