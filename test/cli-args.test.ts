import { describe, it, expect } from 'vitest';
import { UsageError, helpText, parseArgs, parsePort, type OptionSpecs } from '../electron/cli/args.js';

const specs = {
  folder: { type: 'string', description: 'Folder to share', value: 'DIR' },
  tracker: { type: 'string', description: 'Tracker address', value: 'HOST:PORT', default: '127.0.0.1:6969' },
  port: { type: 'number', description: 'Port to listen on', value: 'N', default: 6969 },
  limit: { type: 'number', description: 'Page size' },
  verbose: { type: 'boolean', description: 'Say more' },
  'include-hidden': { type: 'boolean', description: 'Share dotfiles' },
  color: { type: 'boolean', description: 'Use colour', default: true },
} satisfies OptionSpecs;

function usageErrorOf(argv: string[]): UsageError {
  try {
    parseArgs(argv, specs);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`);
}

describe('parseArgs', () => {
  it('fills in defaults when nothing is given', () => {
    expect(parseArgs([], specs)).toEqual({
      folder: undefined,
      tracker: '127.0.0.1:6969',
      port: 6969,
      limit: undefined,
      verbose: false,
      'include-hidden': false,
      color: true,
    });
  });

  it.each([
    [['-folder', 'shared']],
    [['--folder', 'shared']],
    [['--folder=shared']],
    [['-folder=shared']],
  ])('reads a string option from %j', (argv) => {
    expect(parseArgs(argv, specs).folder).toBe('shared');
  });

  it('keeps everything after the first = as the value', () => {
    expect(parseArgs(['--folder=a=b=c'], specs).folder).toBe('a=b=c');
    expect(parseArgs(['-tracker=host:1'], specs).tracker).toBe('host:1');
  });

  it('takes the next argument verbatim, even with spaces', () => {
    expect(parseArgs(['-folder', 'My Documents/x y'], specs).folder).toBe('My Documents/x y');
  });

  it('accepts an explicitly empty string value with =', () => {
    expect(parseArgs(['--folder='], specs).folder).toBe('');
  });

  it('parses hyphenated option names', () => {
    expect(parseArgs(['-include-hidden'], specs)['include-hidden']).toBe(true);
    expect(parseArgs(['--include-hidden'], specs)['include-hidden']).toBe(true);
  });

  it('lets a later occurrence override an earlier one', () => {
    expect(parseArgs(['-port', '1', '--port=2'], specs).port).toBe(2);
  });

  it('combines several options', () => {
    const parsed = parseArgs(['-folder', 'f', '--port', '7000', '-verbose', '--tracker=t:1'], specs);
    expect(parsed).toMatchObject({ folder: 'f', port: 7000, verbose: true, tracker: 't:1', color: true });
  });

  describe('booleans', () => {
    it('sets a flag to true without consuming the next argument', () => {
      const parsed = parseArgs(['-verbose', '-folder', 'x'], specs);
      expect(parsed.verbose).toBe(true);
      expect(parsed.folder).toBe('x');
    });

    it.each([
      ['--verbose=true', true],
      ['--verbose=1', true],
      ['--verbose=false', false],
      ['-verbose=0', false],
    ])('reads %s', (arg, value) => {
      expect(parseArgs([arg], specs).verbose).toBe(value);
    });

    it('can turn off a flag whose default is true', () => {
      expect(parseArgs(['--color=false'], specs).color).toBe(false);
    });

    it.each(['--verbose=yes', '--verbose=', '-verbose=TRUE'])('rejects %s', (arg) => {
      expect(usageErrorOf([arg]).message).toMatch(/takes no value/);
    });

    it('treats a word after a flag as an unexpected positional argument', () => {
      expect(usageErrorOf(['-verbose', 'true']).message).toMatch(/unexpected argument "true"/);
    });
  });

  describe('numbers', () => {
    it.each([
      [['-port', '8080'], 8080],
      [['--port=0'], 0],
      [['-port', '-1'], -1],
      [['--limit', '2.5'], 2.5],
    ])('parses %j', (argv, value) => {
      const parsed = parseArgs(argv, specs);
      expect(argv[0]!.includes('limit') ? parsed.limit : parsed.port).toBe(value);
    });

    it.each([['-port', 'abc'], ['--port=12ab'], ['--port='], ['-port', ' '], ['-port', 'NaN'], ['-port', 'Infinity']])(
      'rejects non-numeric %j',
      (...argv) => {
        expect(usageErrorOf(argv).message).toMatch(/must be a number/);
      },
    );
  });

  describe('usage errors', () => {
    it('reports a missing value and names the placeholder', () => {
      const err = usageErrorOf(['-folder']);
      expect(err.message).toMatch(/-folder needs a value/);
      expect(err.message).toContain('DIR');
      expect(usageErrorOf(['-verbose', '--port']).message).toMatch(/-port needs a value/);
    });

    it.each([['--nope'], ['-nope', 'x'], ['--nope=1'], ['-Folder', 'x']])('rejects unknown option %j', (...argv) => {
      expect(usageErrorOf(argv).message).toMatch(/unknown option/);
    });

    it.each([['stray'], ['-folder', 'a', 'b'], ['-'], ['--'], ['---folder', 'x'], ['-1'], ['--=x']])(
      'rejects unexpected argument %j',
      (...argv) => {
        expect(usageErrorOf(argv).message).toMatch(/unexpected argument/);
      },
    );

    it('rejects option names inherited from Object.prototype as unknown', () => {
      for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        expect(usageErrorOf([`--${name}`, 'x']).message, name).toMatch(/unknown option/);
      }
    });

    it('UsageError is an Error named UsageError', () => {
      const err = new UsageError('boom');
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('UsageError');
      expect(err.message).toBe('boom');
    });
  });
});

describe('parsePort', () => {
  it.each([0, 1, 80, 6969, 65535])('accepts %d', (port) => {
    expect(parsePort(port)).toBe(port);
  });

  it.each([-1, 65536, 1.5, Number.NaN, Number.POSITIVE_INFINITY, undefined])('rejects %s', (port) => {
    expect(() => parsePort(port)).toThrow(UsageError);
  });

  it('names the option in its message', () => {
    expect(() => parsePort(70000, 'tracker-port')).toThrow(/-tracker-port must be a whole number from 0 to 65535/);
    expect(() => parsePort(undefined)).toThrow(/-port /);
  });
});

describe('helpText', () => {
  const text = helpText('usage: p2pclient [options]', 'Shares a folder.', specs, 'See the README.');
  const lines = text.split('\n');

  it('starts with usage and summary', () => {
    expect(lines[0]).toBe('usage: p2pclient [options]');
    expect(text).toContain('\n\nShares a folder.\n\n');
  });

  it('lists every option once, with its description', () => {
    for (const [name, spec] of Object.entries(specs)) {
      const row = lines.filter((l) => l.startsWith(`  -${name} `) || l === `  -${name}`);
      expect(row, name).toHaveLength(1);
      expect(row[0], name).toContain(spec.description);
    }
  });

  it('shows the value placeholder for valued options and none for flags', () => {
    expect(text).toMatch(/^ {2}-folder DIR +Folder to share$/m);
    expect(text).toMatch(/^ {2}-limit VALUE +Page size$/m);
    expect(text).toMatch(/^ {2}-verbose +Say more$/m);
  });

  it('shows defaults for valued options but not for flags', () => {
    expect(text).toMatch(/-port N +Port to listen on \(default 6969\)$/m);
    expect(text).toMatch(/-tracker HOST:PORT +Tracker address \(default 127\.0\.0\.1:6969\)$/m);
    expect(text).toMatch(/-color +Use colour$/m);
  });

  it('aligns descriptions in one column', () => {
    const rows = lines.filter((l) => l.startsWith('  -'));
    expect(rows).toHaveLength(Object.keys(specs).length);
    for (const row of rows) expect(row.charAt(28), row).toBe(' ');
    for (const row of rows) expect(row.charAt(29), row).not.toBe(' ');
  });

  it('appends the footer only when given', () => {
    expect(text.trimEnd().endsWith('See the README.')).toBe(true);
    const bare = helpText('u', 's', specs);
    expect(bare.endsWith('\n')).toBe(true);
    expect(bare).not.toContain('README');
  });
});
