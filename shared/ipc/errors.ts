import type { WireErrorCode } from '../protocol/errors.js';

/**
 * How a refused request crosses the boundary. `code` is stable: the renderer
 * and the CLI each map it to their own words. `message` is the host's
 * sentence for people, naming the specifics (which file, which port).
 * `field` names the request argument or settings key the error is about, so
 * a form can show it under that field.
 */
export interface RequestError {
  code: RequestErrorCode;
  message: string;
  field?: string;
}

/** What the caller asked for can't be done as asked. */
export type RequestProblemCode =
  | 'invalid_argument' // an argument (see `field`) is wrong: the message says how
  | 'invalid_state' // not now: the thing is not in a state that allows it
  | 'not_found'
  | 'conflict' // it clashes with something that exists
  | 'unavailable' // this host can't do it at all (e.g. no desktop to open files in)
  | 'io_error';

/** The engine's own failures, each specific enough to act on. */
export type EngineFailureCode =
  | 'folder_unreadable'
  | 'port_in_use'
  | 'tracker_unreachable'
  | 'no_peers'
  | 'no_such_file'
  | 'ambiguous_name'
  | 'unsafe_path'
  | 'disk_full'
  | 'destination_exists'
  | 'download_busy'
  | 'hash_mismatch'
  | 'cancelled'
  | 'connection_closed'
  | 'wrong_key';

/** The host's answers about the request itself, not its subject. */
export type HostRefusalCode =
  | 'bad_request' // arguments that don't fit the contract (`field` names the first bad one)
  | 'forbidden' // from a frame the host does not trust
  | 'busy' // too many requests at once on this connection
  | 'internal'; // a bug: the host logs it

/** The WebSocket transport's own answers when the host could not give one. */
export type TransportErrorCode = 'disconnected' | 'timeout' | 'bad_response';

/**
 * Every code a request can fail with. Engine errors pass through unchanged,
 * a remote's refusal (a wire code) included, so every engine code is here.
 */
export type RequestErrorCode = RequestProblemCode | EngineFailureCode | WireErrorCode | HostRefusalCode | TransportErrorCode;
