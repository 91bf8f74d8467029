import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { errorField, errorText } from './error-text';

describe('errorText', () => {
  it('picks the words by code: the host’s sentence where it names specifics, the app’s own otherwise', () => {
    const hostWords = '"x" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.';
    expect(errorText(new ApiError('invalid_argument', hostWords, 'trackers'))).toBe(hostWords);
    expect(errorText(new ApiError('port_in_use', 'The peer server cannot listen on port 5000: it is already in use.'))).toMatch(/port 5000/);
    // A request the contract refused: the validator's words are for programmers.
    const technical = errorText(new ApiError('bad_request', 'listenPort: Too big: expected number to be <=65535', 'listenPort'));
    expect(technical).not.toMatch(/expected number/);
    expect(technical).toMatch(/does not accept/);
    expect(errorText(new ApiError('busy', 'too many requests at once'))).toBe('The host is busy with other requests. Try again in a moment.');
    expect(errorText(new Error('boom'))).toBe('Something went wrong: boom');
  });

  it('passes the field on as the host named it', () => {
    expect(errorField(new ApiError('invalid_argument', 'no', 'downloadDir'))).toBe('downloadDir');
    expect(errorField(new ApiError('io_error', 'no'))).toBeUndefined();
    expect(errorField(new Error('no'))).toBeUndefined();
  });
});
