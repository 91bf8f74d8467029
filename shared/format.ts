/**
 * Sizes and rates for people, one rule for every front end (the CLI and the UI
 * print the same size the same way). Binary units (KiB, MiB…), as the limits use.
 * Pure TypeScript: no node:*, no DOM.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 0 B, 512 B, 1.50 KiB, 4.77 MiB, 12.3 MiB, 140 GiB: three significant digits. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  // 1023.99 KiB rounds to "1024 KiB": print the next unit instead.
  const text = value.toFixed(digits);
  if (Number(text) >= 1024 && unit < UNITS.length - 1) return `1.00 ${UNITS[unit + 1]}`;
  return `${text} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '0 B/s';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "1 file", "3 files": the noun in the number's grammatical number. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
