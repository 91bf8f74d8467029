/** Human-readable numbers for the UI. Sizes and rates come from shared/format, so the CLI prints them alike. */

export { formatBytes, formatRate, plural } from '../../shared/format.js';

/** ETAs beyond this are noise: show "—" instead of "3 years". */
const MAX_ETA_SECONDS = 100 * 24 * 3600;

const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return integer.format(n);
}

/** 45 s, 3 min, 2 h 05 min, 3 d 4 h; "—" when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ETA_SECONDS) return '—';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const minutes = Math.round(s / 60);
  if (s < 86_400) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  const hours = Math.round(s / 3600);
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** How long ago `at` was, to the minute: "just now", "5 min ago", "2 h ago", "3 d ago". */
export function formatAgo(at: number, now: number = Date.now()): string {
  const minutes = Math.floor(Math.max(0, now - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export function formatPercent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 1000) / 10));
}

/** The first 12 hex digits identify a file well enough on screen; the full hash goes in the tooltip. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** Splits "movies/2024/clip.mp4" into its folder ("movies/2024/") and file name ("clip.mp4"). */
export function splitPath(name: string): { dir: string; base: string } {
  const cut = name.lastIndexOf('/');
  return cut < 0 ? { dir: '', base: name } : { dir: name.slice(0, cut + 1), base: name.slice(cut + 1) };
}

/** Host messages are sentences that sometimes start in lower case ("no tracker is reachable"). */
export function sentence(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…)]$/.test(first) ? first : `${first}.`;
}
