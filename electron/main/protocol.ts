import { CONTENT_SECURITY_POLICY, readStaticFile } from '../host/static-files.js';

/**
 * Serves the built renderer for the `app://` scheme. Only files inside
 * `rootDir` are served, always with the CSP header.
 */
export function appProtocolHandler(rootDir: string): (request: { url: string }) => Promise<Response> {
  return async (request) => {
    const found = await readStaticFile(rootDir, new URL(request.url).pathname);
    if (!found) return new Response('not found', { status: 404 });
    return new Response(found.body, {
      status: 200,
      headers: { 'Content-Type': found.contentType, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  };
}
