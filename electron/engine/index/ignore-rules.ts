/**
 * What a folder does not share by default: hidden files and folders (which
 * also covers our own `.HASH.p2p-partial` downloads in progress) and the
 * clutter operating systems leave behind.
 */
const OS_CLUTTER = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', '$recycle.bin', 'system volume information', '.ds_store']);
export const PARTIAL_SUFFIX = '.p2p-partial';
/** The lock a download holds on its partial file (and the lock's own short-lived temporary names). */
export const PARTIAL_LOCK_SUFFIX = `${PARTIAL_SUFFIX}.lock`;
const PARTIAL_OR_LOCK = /\.p2p-partial(\.lock(\..*)?)?$/;

export interface IgnoreOptions {
  /** Share dotfiles and dot-folders too. Partial downloads are never shared. */
  includeHidden?: boolean;
}

export function isIgnored(relPath: string, options: IgnoreOptions = {}): boolean {
  if (PARTIAL_OR_LOCK.test(relPath)) return true;
  for (const segment of relPath.split('/')) {
    if (OS_CLUTTER.has(segment.toLowerCase())) return true;
    if (!options.includeHidden && segment.startsWith('.')) return true;
  }
  return false;
}
