// Types of processes.mjs for the TypeScript tests and specs (bench/ uses the module as plain JS).
import type { ChildProcess } from 'node:child_process';

/** The repository root. */
export declare const ROOT: string;
/** The build output (`npm run build`). */
export declare const DIST: string;
/** The built commands, at the paths package.json's `bin` installs. */
export declare const CLI: Readonly<{ tracker: string; client: string }>;
/** `npm start` without its build step. */
export declare const START_SCRIPT: string;

/** Throws, saying to run `npm run build`, when the built commands are missing. */
export declare function assertBuilt(): void;
/** A port that was free a moment ago on 127.0.0.1. */
export declare function freePort(): Promise<number>;

/** Which text a wait looks at: one stream, or both as they arrived. */
export type OutputStream = 'stdout' | 'stderr' | 'output';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Laid over this process's environment; an undefined value removes a variable. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Its own process group, so stop() also reaches what it starts. */
  group?: boolean;
  /** Names it in failure messages (default: the command line). */
  label?: string;
}

/** A child process with its output collected as text. Stdin is closed. */
export declare class SpawnedProcess {
  /** Runs `command args`. */
  static spawn(command: string, args?: readonly string[], options?: SpawnOptions): SpawnedProcess;
  /** Runs a script with this Node binary. */
  static node(script: string, args?: readonly string[], options?: SpawnOptions): SpawnedProcess;

  constructor(child: ChildProcess, options?: { label?: string; group?: boolean });

  readonly child: ChildProcess;
  readonly label: string;
  readonly startedAt: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  readonly output: string;
  /** Set once the process has ended and its output is read. */
  readonly exit: Exit | undefined;
  /** undefined while running; the exit code (null if killed by a signal) once ended. */
  readonly exitCode: number | null | undefined;
  readonly alive: boolean;
  /** Resolves once the process has ended and its output is read. */
  readonly ended: Promise<Exit>;
  /** `ended`'s exit code. */
  readonly exited: Promise<number | null>;

  /** The label, pid, state and all output: what a failure message needs. */
  describe(): string;
  /** Resolves with `check()`'s first defined value, re-checked on every chunk of output; rejects (with the output) if the process ends first or after `timeoutMs`. */
  waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T>;
  /** Waits until the text of `stream` so far (default stdout) matches `pattern`; 20 s unless told. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: OutputStream): Promise<RegExpMatchArray>;
  /** Waits for one complete line of `stream` (default stdout) matching `pattern`; 20 s unless told. */
  waitForLine(pattern: RegExp, timeoutMs?: number, stream?: OutputStream): Promise<RegExpExecArray>;
  /** Waits for the process to end; after `timeoutMs` kills it and rejects with its output. */
  waitForExit(timeoutMs: number): Promise<Exit>;
  /** Sends `signal` to the process alone (not its group). */
  kill(signal: NodeJS.Signals): void;
  /** Ends the process (and its group, if started as one): `signal` (SIGTERM), then SIGKILL after `graceMs` (5 s). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** The temp folders and processes of one test (or one spec's network), all killed and removed by cleanup(). */
export declare class CliScratch {
  constructor(prefix: string);
  readonly prefix: string;
  /** A new temp folder, removed at cleanup. */
  temp(prefix?: string): Promise<string>;
  /** Kills `proc` with the rest at cleanup. */
  track<P extends SpawnedProcess>(proc: P): P;
  cleanup(): Promise<void>;
}
