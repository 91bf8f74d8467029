import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatCount, formatEta, formatPercent, formatRate, sentence, shortHash, splitPath } from './format';

describe('formatBytes', () => {
  it('uses binary units with at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(12.34 * 1024 * 1024)).toBe('12.3 MiB');
    expect(formatBytes(140 * 1024 ** 3)).toBe('140 GiB');
    expect(formatBytes(2 ** 44)).toBe('16.0 TiB');
  });
  it('never prints 1024 of a unit', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MiB');
  });
  it('refuses nonsense', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatRate', () => {
  it('appends /s and treats idle as zero', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(-5)).toBe('0 B/s');
    expect(formatRate(2.5 * 1024 * 1024)).toBe('2.50 MiB/s');
  });
});

describe('formatEta', () => {
  it('is short and rounded', () => {
    expect(formatEta(0)).toBe('0 s');
    expect(formatEta(44.2)).toBe('45 s');
    expect(formatEta(180)).toBe('3 min');
    expect(formatEta(2 * 3600 + 5 * 60)).toBe('2 h 05 min');
    expect(formatEta(3 * 86_400 + 4 * 3600)).toBe('3 d 4 h');
  });
  it('shows a dash when unknown or absurd', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(undefined)).toBe('—');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatEta(1e12)).toBe('—');
  });
});

describe('small helpers', () => {
  it('formatPercent clamps and keeps one decimal', () => {
    expect(formatPercent(0, 100)).toBe(0);
    expect(formatPercent(1, 3)).toBe(33.3);
    expect(formatPercent(5, 0)).toBe(100);
    expect(formatPercent(200, 100)).toBe(100);
  });
  it('formatCount groups thousands', () => {
    expect(formatCount(100000)).toBe('100,000');
  });
  it('shortHash keeps 12 hex digits', () => {
    expect(shortHash('a'.repeat(64))).toBe('aaaaaaaaaaaa');
  });
  it('splitPath separates folder and file name', () => {
    expect(splitPath('a/b/c.txt')).toEqual({ dir: 'a/b/', base: 'c.txt' });
    expect(splitPath('c.txt')).toEqual({ dir: '', base: 'c.txt' });
  });
  it('sentence capitalises and ends with a full stop', () => {
    expect(sentence('no tracker is reachable (1.2.3.4:6969)')).toBe('No tracker is reachable (1.2.3.4:6969)');
    expect(sentence('port in use')).toBe('Port in use.');
    expect(sentence('Done.')).toBe('Done.');
  });
});

describe('formatAgo', () => {
  it('says how long ago, to the minute', () => {
    const now = 1_700_000_000_000;
    expect(formatAgo(now - 30_000, now)).toBe('just now');
    expect(formatAgo(now + 5_000, now)).toBe('just now');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAgo(now - 59 * 60_000 - 59_000, now)).toBe('59 min ago');
    expect(formatAgo(now - 2 * 3600_000 - 10 * 60_000, now)).toBe('2 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
  });
});
