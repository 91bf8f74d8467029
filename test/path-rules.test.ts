import { describe, it, expect } from 'vitest';
import { isSafeRelativePath, unsafePathReason } from '../shared/protocol/path.js';
import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES } from '../shared/protocol/limits.js';

function expectSafe(name: string): void {
  expect(unsafePathReason(name), JSON.stringify(name)).toBeNull();
  expect(isSafeRelativePath(name), JSON.stringify(name)).toBe(true);
}

function expectUnsafe(name: string, reason?: RegExp): void {
  const why = unsafePathReason(name);
  expect(why, JSON.stringify(name)).not.toBeNull();
  expect(typeof why).toBe('string');
  if (reason) expect(why, JSON.stringify(name)).toMatch(reason);
  expect(isSafeRelativePath(name), JSON.stringify(name)).toBe(false);
}

describe('unsafePathReason accepts ordinary relative paths', () => {
  it.each([
    'a',
    'file.txt',
    'docs/readme.md',
    'a/b/c/d/e.tar.gz',
    '.hidden',
    'dir/.config',
    'name with spaces.txt',
    'x..y',
    '..x',
    'icon.png',
    'console.log',
    'auxiliary/notes.txt',
    'com10.txt',
    'file-name_1 (2).jpg',
    '%20encoded-space.txt',
    '100%.txt',
  ])('accepts %j', (name) => expectSafe(name));

  it.each(['docs/héllo wörld.txt', '日本語/ファイル.bin', 'Ελληνικά/файл.doc', 'emoji 🎉/ok.png', 'cafe\u0301.txt'])(
    'accepts non-ASCII %j',
    (name) => expectSafe(name),
  );
});

describe('unsafePathReason refuses escapes and ambiguous names', () => {
  it('refuses the empty string', () => expectUnsafe('', /empty/));

  it.each(['..', '.', 'a/..', 'a/../b', './a', 'a/./b', '../x', 'a/b/..'])('refuses dot segment in %j', (name) =>
    expectUnsafe(name, /dot segment/),
  );

  it.each(['/etc/passwd', '/', '/a'])('refuses absolute %j', (name) => expectUnsafe(name, /absolute/));

  it.each(['a\\b', '..\\x', '\\\\server\\share', 'C:foo', 'C:\\Windows', 'file.txt:stream', 'c:/x'])(
    'refuses backslash or colon in %j',
    (name) => expectUnsafe(name),
  );

  it.each(['a\u0000b', 'nul\u0000', 'a\nb', 'tab\there', 'bell\u0007', 'del\u007f', 'cr\r'])(
    'refuses control characters in %j',
    (name) => expectUnsafe(name, /control/),
  );

  it.each(['a//b', 'a/', 'a/b/', '//a'])('refuses empty segments in %j', (name) => expectUnsafe(name));

  it('reports an empty segment specifically for a//b and a trailing slash', () => {
    expect(unsafePathReason('a//b')).toMatch(/empty path segment/);
    expect(unsafePathReason('a/')).toMatch(/empty path segment/);
  });

  it.each(['%2e%2e/x', '%2E%2E/x', 'a%2fb', 'a%2Fb', 'a%5cb', 'x%00', 'a/%2e'])('refuses percent-encoded %j', (name) =>
    expectUnsafe(name, /percent-encoded/),
  );

  it.each([
    ['fullwidth dots', '\uff0e\uff0e/x'],
    ['fullwidth dots in the middle', 'a/\uff0e\uff0e/b'],
    ['fullwidth solidus around ..', 'a\uff0f..\uff0fb'],
    ['leading fullwidth solidus', '\uff0fetc\uff0fpasswd'],
    ['fullwidth reverse solidus', 'a\uff3cb'],
    ['fullwidth colon', 'C\uff1afoo'],
    ['two dot leader', '\u2025/x'],
    ['one dot leaders', '\u2024\u2024/x'],
    ['small full stops', '\ufe52\ufe52/x'],
  ])('refuses compatibility forms: %s', (_label, name) => expectUnsafe(name));

  it.each(['CON', 'con', 'nul.txt', 'NUL', 'lpt1', 'LPT9.doc', 'COM3.log', 'prn', 'aux.c', 'dir/aux', 'CONIN$', 'conout$.x', 'COM\u00b9'])(
    'refuses Windows device name %j',
    (name) => expectUnsafe(name, /device/),
  );

  it.each(['file.', 'dir./x', 'name ', 'dir /x', '...', 'a/b. '])('refuses a segment ending with a dot or space: %j', (name) =>
    expectUnsafe(name, /ends with a dot or space/),
  );
});

describe('unsafePathReason length limits (UTF-8 bytes)', () => {
  /** A path of exactly `bytes` ASCII bytes made of 200-byte segments. */
  function pathOfBytes(bytes: number): string {
    const parts: string[] = [];
    let left = bytes;
    while (left > 0) {
      const sep = parts.length > 0 ? 1 : 0;
      const take = Math.min(200, left - sep);
      parts.push('s'.repeat(take));
      left -= take + sep;
    }
    const name = parts.join('/');
    expect(Buffer.byteLength(name)).toBe(bytes);
    return name;
  }

  it(`accepts a path of exactly ${MAX_PATH_BYTES} bytes`, () => expectSafe(pathOfBytes(MAX_PATH_BYTES)));

  it(`refuses a path longer than ${MAX_PATH_BYTES} bytes`, () =>
    expectUnsafe(pathOfBytes(MAX_PATH_BYTES + 1), /longer than/));

  it('counts path length in bytes, not characters', () => {
    // 18 segments of 80 three-byte characters: 4337 bytes but only 1457 characters.
    const name = Array.from({ length: 18 }, () => '語'.repeat(80)).join('/');
    expect(name.length).toBeLessThan(MAX_PATH_BYTES);
    expect(Buffer.byteLength(name)).toBeGreaterThan(MAX_PATH_BYTES);
    expectUnsafe(name, /longer than/);
  });

  it(`accepts a segment of exactly ${MAX_SEGMENT_BYTES} bytes`, () => expectSafe(`dir/${'a'.repeat(MAX_SEGMENT_BYTES)}`));

  it(`refuses a segment longer than ${MAX_SEGMENT_BYTES} bytes`, () =>
    expectUnsafe(`dir/${'a'.repeat(MAX_SEGMENT_BYTES + 1)}`, /segment longer/));

  it('counts segment length in bytes, not characters', () => {
    const name = 'é'.repeat(128); // 128 characters, 256 bytes
    expect(name.length).toBeLessThan(MAX_SEGMENT_BYTES);
    expectUnsafe(name, /segment longer/);
    expectSafe('é'.repeat(127)); // 254 bytes
  });
});
