import { MAX_FILES_PER_PEER } from '../../../shared/protocol/limits.js';
import { ProtocolError } from '../errors.js';

/**
 * (peer, file) entries one tracker holds in all, by default. An entry costs
 * about 20 bytes in the tables plus its name (kept once per distinct name),
 * so this bounds the state at a few hundred MiB even when every name is
 * distinct, and leaves room for 10,000 sessions of 200 files.
 */
export const DEFAULT_MAX_FILE_ENTRIES = 2_000_000;

export interface FileBudgetOptions {
  /** Files one session may have announced (default MAX_FILES_PER_PEER). */
  perSession?: number;
  /** Files all sessions together may have announced (default DEFAULT_MAX_FILE_ENTRIES). */
  total?: number;
}

/**
 * The tracker's memory budget for announced files: a cap per session and one
 * across sessions. An announce past either is refused with a typed error
 * naming the cap; what was applied before it stays.
 */
export class FileBudget {
  readonly perSession: number;
  readonly total: number;
  /** (peer, file) entries held now, leaving sessions included until they are freed. */
  used = 0;

  constructor(options: FileBudgetOptions = {}) {
    this.perSession = options.perSession ?? MAX_FILES_PER_PEER;
    this.total = options.total ?? DEFAULT_MAX_FILE_ENTRIES;
    if (!(this.perSession > 0 && this.total > 0)) throw new RangeError('file budgets must be positive');
  }

  /** Why one more file may not be added to a session holding `sessionFiles`, or undefined. */
  refusal(sessionFiles: number): ProtocolError | undefined {
    if (sessionFiles >= this.perSession) {
      return new ProtocolError('too_many_files', `too many files: this tracker lists at most ${count(this.perSession)} files per peer; the files past that are not listed`);
    }
    if (this.used >= this.total) {
      return new ProtocolError('tracker_full', `tracker is full: it lists at most ${count(this.total)} files in all; the files past that are not listed`);
    }
    return undefined;
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
