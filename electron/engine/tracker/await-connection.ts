import type { EventEmitter } from 'node:events';
import { EngineError, type EngineErrorCode } from '../errors.js';

/**
 * Resolves at the tracker client's next `connected`, rejects at its next `refused` (wrong key,
 * full) or after `timeoutMs` with `tracker_unreachable`; `signal` abandons the wait (`cancelled`).
 * Shared by the session client, the control-plane client and the link over both; each checks
 * its own present state first.
 */
export function awaitConnection(emitter: EventEmitter, address: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off('connected', onConnected);
      emitter.off('refused', onRefused);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new EngineError('cancelled', `stopped waiting for tracker ${address}`));
    };
    // Not unref'd: someone is waiting on this, so the process must stay up for it.
    const timer = setTimeout(() => {
      done();
      reject(new EngineError('tracker_unreachable', `tracker ${address} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnected = () => {
      done();
      resolve();
    };
    const onRefused = (refusal: { code: EngineErrorCode; message: string }) => {
      done();
      reject(new EngineError(refusal.code, refusal.message));
    };
    emitter.on('connected', onConnected);
    emitter.on('refused', onRefused);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
