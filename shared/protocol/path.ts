import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES } from './limits.js';

/**
 * Shared file names travel as relative paths with `/` separators. This is the
 * single check every side applies before a name touches a file system: the
 * folder index (what we announce), the tracker (what it stores) and the
 * downloader (where a file lands). It refuses rather than repairs, so a name
 * means the same thing on every peer.
 */

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// Controls, backslash and colon (Windows drive letters and alternate data streams).
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\:]/;
const ENCODED_SEPARATOR_OR_DOT = /%(2e|2f|5c|00)/i;

const utf8 = new TextEncoder();

/** Returns why `name` is not a safe relative path, or null when it is. */
export function unsafePathReason(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty path';
  if (utf8.encode(name).length > MAX_PATH_BYTES) return `longer than ${MAX_PATH_BYTES} bytes`;
  if (FORBIDDEN_CHARS.test(name)) return 'contains a control character, backslash or colon';
  if (name.startsWith('/')) return 'absolute path';
  if (ENCODED_SEPARATOR_OR_DOT.test(name)) return 'contains a percent-encoded dot or separator';
  // Compatibility forms (fullwidth dots and slashes, one-dot leaders) fold to
  // ASCII under NFKC; check the folded form too so they can't smuggle `..`.
  const folded = name.normalize('NFKC');
  for (const form of folded === name ? [name] : [name, folded]) {
    if (form.startsWith('/') || FORBIDDEN_CHARS.test(form)) return 'contains a separator in disguise';
    for (const segment of form.split('/')) {
      if (segment === '') return 'empty path segment';
      if (segment === '.' || segment === '..') return 'dot segment';
      if (utf8.encode(segment).length > MAX_SEGMENT_BYTES) return `segment longer than ${MAX_SEGMENT_BYTES} bytes`;
      if (segment.endsWith('.') || segment.endsWith(' ')) return 'segment ends with a dot or space';
      if (WINDOWS_DEVICE.test(segment)) return 'Windows device name';
    }
  }
  return null;
}

export function isSafeRelativePath(name: string): boolean {
  return unsafePathReason(name) === null;
}

const HASH_RE = /^[0-9a-f]{64}$/;
export function isContentHash(value: string): boolean {
  return HASH_RE.test(value);
}
