// Small statistics and formatting shared by the benchmarks.
export const MiB = 1024 * 1024;
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
export const mbPerS = (bytes, ms) => bytes / 1e6 / (ms / 1000);
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? +(a / b).toFixed(2) : null);

/** Runs `fn` `runs` times in sequence and returns the median and every value. */
export async function repeat(runs, fn) {
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await fn(i));
  return { median: median(values), values };
}

/** Prints rows of [label, value, unit, note] as an aligned table under a title. */
export function printTable(title, rows) {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => String(r[0]).length));
  for (const [label, value, unit = '', note = ''] of rows) {
    const v = value === null || value === undefined ? 'n/a' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value);
    console.log(`  ${String(label).padEnd(w)}  ${v.padStart(10)} ${unit.padEnd(8)} ${note}`);
  }
}
