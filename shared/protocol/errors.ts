/** Stable error codes carried in `error` frames and in local error objects. */
export const WIRE_ERROR_CODES = [
  'bad_frame',
  'bad_message',
  'unsupported_version',
  'not_found',
  'too_large',
  'too_many',
  'busy',
  'tracker_full',
  'too_many_files',
  'timeout',
  'internal',
  // Managed membership (docs/PROTOCOL.md §22). Append only: older codes keep their place.
  'not_member',
  'invite_used',
  'invite_expired',
  'not_admin',
] as const;

export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];
