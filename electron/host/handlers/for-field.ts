import { EngineError } from '../../engine/api.js';

/**
 * Runs one step of a request and names the argument (or settings key) it
 * works on in its failure, so the UI can show the error under that field: a
 * port in use is about `listenPort` or `hostTrackerPort`, whichever was moving.
 * An error that already names a field keeps it.
 */
export async function forField<T>(field: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof EngineError && err.field === undefined) throw new EngineError(err.code, err.message, { cause: err, field });
    throw err;
  }
}
