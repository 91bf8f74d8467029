// Module resolution hook (registered by webtorrent-peer.mjs with module.register):
// every import of `webrtc-polyfill` gets webrtc-stub.mjs instead.
const STUB = new URL('./webrtc-stub.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'webrtc-polyfill') return { url: STUB, shortCircuit: true };
  return nextResolve(specifier, context);
}
