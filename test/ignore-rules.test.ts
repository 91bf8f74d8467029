import { describe, it, expect } from 'vitest';
import { PARTIAL_SUFFIX, isIgnored } from '../electron/engine/index/ignore-rules.js';

describe('isIgnored', () => {
  it.each([
    'readme.md',
    'docs/guide.pdf',
    'a/b/c/deep.txt',
    'photos/2024/IMG_0001.JPG',
    'thumbs.db.txt',
    'my-thumbs.db',
    'desktop.ini.bak',
    'notes/desktop',
    'file.p2p-partial.txt',
    'dir.with.dots/file',
    'trailing.',
    '日本語/ファイル.bin',
  ])('shares %j by default', (rel) => {
    expect(isIgnored(rel)).toBe(false);
    expect(isIgnored(rel, { includeHidden: true })).toBe(false);
  });

  it.each(['.env', '.git', '.git/config', 'project/.git/HEAD', 'a/.hidden/b/c.txt', 'photos/.DS_Store', '..x'])(
    'hides dotfiles and dot-folders by default: %j',
    (rel) => {
      expect(isIgnored(rel)).toBe(true);
      expect(isIgnored(rel, {})).toBe(true);
      expect(isIgnored(rel, { includeHidden: false })).toBe(true);
    },
  );

  it.each(['.env', '.git/config', 'project/.git/HEAD', 'a/.hidden/b/c.txt', '.config/app/settings.json'])(
    'shares dotfiles and dot-folders with includeHidden: %j',
    (rel) => {
      expect(isIgnored(rel, { includeHidden: true })).toBe(false);
    },
  );

  it.each([
    'Thumbs.db',
    'thumbs.db',
    'photos/THUMBS.DB',
    'ehthumbs.db',
    'desktop.ini',
    'music/Desktop.ini',
    '$RECYCLE.BIN',
    '$Recycle.Bin/S-1-5-21/file.txt',
    'System Volume Information',
    'System Volume Information/tracking.log',
    '.DS_Store',
    'a/b/.ds_store',
  ])('ignores OS clutter %j even with includeHidden', (rel) => {
    expect(isIgnored(rel)).toBe(true);
    expect(isIgnored(rel, { includeHidden: true })).toBe(true);
  });

  it('uses the documented partial-download suffix', () => {
    expect(PARTIAL_SUFFIX).toBe('.p2p-partial');
  });

  it.each([
    `.movie.mkv.0123abcd${PARTIAL_SUFFIX}`,
    `videos/.movie.mkv.0123abcd${PARTIAL_SUFFIX}`,
    `plain${PARTIAL_SUFFIX}`,
    `nested/dir/plain${PARTIAL_SUFFIX}`,
    `.${'ab'.repeat(32)}${PARTIAL_SUFFIX}`,
    `.${'ab'.repeat(32)}${PARTIAL_SUFFIX}.lock`,
    `dir/.${'ab'.repeat(32)}${PARTIAL_SUFFIX}.lock.4242.k3j2h1`,
    `dir/.${'ab'.repeat(32)}${PARTIAL_SUFFIX}.lock.stale.4242`,
  ])('never shares partial downloads, even with includeHidden: %j', (rel) => {
    expect(isIgnored(rel)).toBe(true);
    expect(isIgnored(rel, { includeHidden: true })).toBe(true);
  });

  it('matches clutter by whole segment, not by substring', () => {
    expect(isIgnored('thumbs.db/inside.txt')).toBe(true);
    expect(isIgnored('not-thumbs.db/inside.txt')).toBe(false);
    expect(isIgnored('System Volume Information Backup/file')).toBe(false);
  });
});
