import type { EngineFailureCode, RequestProblemCode } from '../../shared/ipc/errors.js';
import type { WireErrorCode } from '../../shared/protocol/errors.js';

/**
 * Errors the engine reports to people. Each carries a stable `code` that the
 * CLI and the UI map to their own words, and a message that says what is
 * wrong without naming a CLI flag or a UI button. The codes are declared in
 * shared/ipc/errors.ts, since they cross the IPC boundary unchanged.
 */
export type EngineErrorCode = WireErrorCode | EngineFailureCode | RequestProblemCode;

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** The request argument (or settings field) the error is about, so a UI can show it there. */
  readonly field: string | undefined;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
    this.field = options?.field;
  }
}

/** Raised by the frame codec and message validation: the remote broke the protocol. */
export class ProtocolError extends EngineError {
  declare readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string) {
    super(code, message);
    this.name = 'ProtocolError';
  }
}

export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a folder can't be shared, in words (not "ENOENT: no such file or directory, stat …"). */
export function folderProblem(err: unknown): string {
  switch (errorCode(err)) {
    case 'ENOENT':
      return 'that folder does not exist';
    case 'ENOTDIR':
      return 'a part of that path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied for this user';
    case 'ELOOP':
      return 'that path is a loop of symbolic links';
    default:
      return errorMessage(err);
  }
}
