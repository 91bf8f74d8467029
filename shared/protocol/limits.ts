/**
 * Wire limits shared by the tracker, the peer and the tests. Every number a
 * remote can influence is capped here; docs/PROTOCOL.md quotes these values.
 */

/**
 * Protocol versions this build speaks, newest last. Version 2 adds the tracker's UDP control
 * plane (docs/PROTOCOL.md §19); on the stream it changes only that a query-only session of a
 * control-plane member may announce for that member. The peer protocol is the same in both.
 */
export const PROTOCOL_VERSIONS = [1, 2] as const;
export const PROTOCOL_NAME = 'p2pshare';

/** Largest frame body (kind byte + payload) either side will buffer. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;
/** Largest JSON control message. Piece data frames may use the rest. */
export const MAX_CONTROL_BYTES = 1024 * 1024;

/** Fixed piece size of content hash version 1. */
export const PIECE_SIZE = 1024 * 1024;
/** Largest file a version 1 peer will announce or fetch (2^44 bytes = 16 TiB). */
export const MAX_FILE_SIZE = 2 ** 44;
/** Piece hashes per `hashes` reply: 16384 × 32 B = 512 KiB raw, ~700 KiB base64. */
export const MAX_HASHES_PER_REPLY = 16384;

/** Largest relative path, in UTF-8 bytes, and largest single path segment. */
export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

/**
 * Byte budget for the variable part of a listing reply or an announce batch.
 * Counts alone can't bound a message (paths may be 4 KiB each), so senders
 * also stop filling a message at this many bytes of JSON, well under
 * MAX_CONTROL_BYTES.
 */
export const MESSAGE_BUDGET_BYTES = 768 * 1024;
/** Files per announce message; a bigger share is sent in several batches. */
export const MAX_FILES_PER_ANNOUNCE = 2000;
/** Files one peer may have announced to a tracker at once (about 35 MiB of tracker memory with distinct names). */
export const MAX_FILES_PER_PEER = 100_000;
/** Largest page of a listing. */
export const MAX_LIST_PAGE = 1000;
/** Longest search query. */
export const MAX_QUERY_LENGTH = 256;
/** Most peers returned by one lookup. */
export const MAX_LOOKUP_PEERS = 200;
/** Longest free-text field (agent strings, error messages). */
export const MAX_TEXT_LENGTH = 512;
/** Request ids are unsigned 32-bit integers. */
export const MAX_REQUEST_ID = 0xffffffff;

/** Port a tracker listens on unless told otherwise. */
export const DEFAULT_TRACKER_PORT = 6969;
/** Tracker a peer uses unless told otherwise: one on this machine. */
export const DEFAULT_TRACKER_ADDRESS = `127.0.0.1:${DEFAULT_TRACKER_PORT}`;
