/**
 * Command-line parsing that accepts the original spec's single-dash long
 * options (`-folder DIR`) as well as `--folder DIR` and `--folder=DIR`.
 */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  description: string;
  /** Shown in help as the value placeholder. */
  value?: string;
  default?: string | number | boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type ParsedOptions<S extends OptionSpecs> = {
  [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'number' ? number | undefined : string | undefined;
};

export class UsageError extends Error {
  /** Names the option the error is about, so the CLI can add its hint for it (error-hints.ts). */
  readonly field: string | undefined;
  constructor(message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = 'UsageError';
    this.field = options?.field;
  }
}

export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedOptions<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = spec.type === 'boolean' ? (spec.default ?? false) : spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unexpected argument "${arg}"`);
    const name = match[1]!;
    // Own keys only: `-constructor` must not find Object.prototype.
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown option -${name}`);
    if (spec.type === 'boolean') {
      if (match[2] !== undefined) {
        if (!/^(true|false|1|0)$/.test(match[2])) throw new UsageError(`-${name} takes no value`);
        out[name] = match[2] === 'true' || match[2] === '1';
      } else out[name] = true;
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`-${name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    }
    if (spec.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`-${name} must be a number, not "${value}"`);
      out[name] = n;
    } else out[name] = value;
  }
  return out as ParsedOptions<S>;
}

/** Names of the options actually present on the command line (not defaulted). */
export function givenOptions(argv: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const arg of argv) {
    const match = /^--?([a-zA-Z][\w-]*)(?:=.*)?$/.exec(arg);
    if (match) names.add(match[1]!);
  }
  return names;
}

export function helpText(usage: string, summary: string, specs: OptionSpecs, footer = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  -${name}${spec.type === 'boolean' ? '' : ` ${spec.value ?? 'VALUE'}`}`;
    const def = spec.default !== undefined && spec.type !== 'boolean' ? ` (default ${spec.default})` : '';
    return `${left.padEnd(28)} ${spec.description}${def}`;
  });
  return `${usage}\n\n${summary}\n\nOptions (-name and --name both work):\n${rows.join('\n')}\n${footer ? `\n${footer}\n` : ''}`;
}

export function parsePort(value: number | undefined, name = 'port'): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new UsageError(`-${name} must be a whole number from 0 to 65535 (0 picks a free port)`);
  }
  return value;
}
