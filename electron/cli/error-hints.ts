import type { EngineErrorCode } from '../engine/api.js';

/**
 * What to try next on the command line, by error code. The engine's messages
 * say what is wrong and name no flag (the app shows them too); the
 * command-line advice lives here, as the app's own words live in the renderer.
 */
const HINTS: Partial<Record<EngineErrorCode, string>> = {
  no_such_file: 'try -list to see what is shared and the content hashes',
  wrong_key: 'check -key / -keyfile (or the invite you joined with), or use -open if the network runs in open mode',
  not_admin: 'the owner makes admins with p2ptracker -make-admin NAME on the tracker\'s data dir',
  not_member: 'this network admits members only: ask its owner for an invite (p2ptracker -invite) and join with p2pclient -join INVITE',
};

/** Advice about one argument, whatever the code. */
const FIELD_HINTS: Partial<Record<string, string>> = {
  key: 'a network key is what p2ptracker -genkey prints',
};

/** The hint for an error, if the CLI has one: the field's first, else the code's. */
export function hintFor(error: { code?: string; field?: string | undefined }): string | undefined {
  return (error.field === undefined ? undefined : FIELD_HINTS[error.field]) ?? (error.code === undefined ? undefined : HINTS[error.code as EngineErrorCode]);
}

/** The hint as the CLI prints it, on its own line after the error. */
export function hintLine(name: string, error: { code?: string; field?: string | undefined }): string {
  const hint = hintFor(error);
  return hint === undefined ? '' : `${name}: hint: ${hint}\n`;
}
