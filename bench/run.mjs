// npm run bench [-- --quick | --smoke] [-- --only transfer,tracker]
// (--only re-runs the named benchmarks and keeps the others' last results in the same file.)
// Runs each benchmark in one go, prints a table per benchmark, writes the results as JSON
// and a chart. Every figure stands beside a reference measured in the same run.
//   full:  the sizes docs/BENCHMARKS.md quotes → bench/results.json, docs/benchmarks.svg
//   quick: a small version of everything in under 3 minutes → bench/results-quick.json/.svg
//   smoke: tiny, proves each benchmark still works (CI) → bench/results-smoke.json/.svg
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './chart.mjs';
import { printTable } from './lib/stats.mjs';
import { ROOT } from '../test/support/processes.mjs';

const mode = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
const onlyAt = process.argv.indexOf('--only');
const BENCHMARKS = ['transfer', 'swarm', 'tracker', 'tracker-scale', 'indexing', 'ui', 'nat-paths'];
const selected = onlyAt > 0 ? process.argv[onlyAt + 1].split(',') : BENCHMARKS;
for (const name of selected) if (!BENCHMARKS.includes(name)) throw new Error(`unknown benchmark "${name}"; choose from ${BENCHMARKS.join(', ')}`);

const cpus = os.cpus();
const suffix = mode === 'full' ? '' : `-${mode}`;
const resultsPath = path.join(ROOT, `bench/results${suffix}.json`);
const previous = onlyAt > 0 ? await readFile(resultsPath, 'utf8').then(JSON.parse, () => ({})) : {};
const results = {
  ...Object.fromEntries(BENCHMARKS.filter((name) => previous[name]).map((name) => [name, previous[name]])),
  mode,
  at: new Date().toISOString(),
  machine: { cpus: cpus.length, model: cpus[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`, node: process.version },
};
const started = performance.now();
const failures = [];
for (const name of selected) {
  const work = await mkdtemp(path.join(os.tmpdir(), `p2p-bench-${name}-`));
  const t0 = performance.now();
  console.log(`\n▶ ${name} (${mode})`);
  try {
    const { run } = await import(`./${name}.mjs`);
    const result = await run({ mode, work, log: (line) => console.log(line) });
    result.seconds = Math.round((performance.now() - t0) / 100) / 10;
    result.at = new Date().toISOString();
    results[name] = result;
    printTable(`${result.title}  [${result.seconds} s]`, result.table);
  } catch (error) {
    failures.push(name);
    results[name] = { error: error.stack ?? String(error) };
    console.error(`✗ ${name} failed: ${error.stack ?? error}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
results.seconds = Math.round((performance.now() - started) / 1000);
await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
const chartPath = mode === 'full' ? path.join(ROOT, 'docs/benchmarks.svg') : path.join(ROOT, `bench/results${suffix}.svg`);
await writeFile(chartPath, renderChart(results));
console.log(`\n${mode} run took ${results.seconds} s; wrote bench/results${suffix}.json and ${path.relative(ROOT, chartPath)}`);
if (failures.length > 0) {
  console.error(`failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
