import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The built renderer, as served to the desktop window (`app://`) and to the
 * browser (headless host): one policy, one path rule for both.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Reads the file a URL path names inside `rootDir`; undefined for anything outside it, missing or malformed. */
export async function readStaticFile(rootDir: string, urlPath: string): Promise<{ body: Buffer; contentType: string } | undefined> {
  let relative: string;
  try {
    relative = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath).replace(/^\/+/, '');
  } catch {
    return undefined; // malformed percent-encoding
  }
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  if (!file.startsWith(root + path.sep)) return undefined;
  try {
    return { body: await readFile(file), contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
