import { parseArgs } from 'node:util';

/** One command-line flag: its parseArgs shape, help text and default. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  readonly default?: string | boolean;
  /** The value's placeholder in --help (e.g. BYTES, MS). */
  readonly placeholder?: string;
  readonly short?: string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;
export type ParsedFlags = Record<string, string | boolean | undefined>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses argv against a flag table; unknown flags and stray positionals are usage errors. */
export function parseFlags(
  argv: readonly string[],
  table: FlagTable,
  positionals = 0,
): {
  flags: ParsedFlags;
  positionals: string[];
} {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals > 0 });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument: ${parsed.positionals[positionals]}`);
  }
  const flags: ParsedFlags = {};
  for (const [name, spec] of Object.entries(table)) {
    const value = parsed.values[name];
    flags[name] = (Array.isArray(value) ? value.at(-1) : value) ?? spec.default;
  }
  return { flags, positionals: parsed.positionals };
}

/** A non-negative integer flag; rejects fractions, signs, units and numbers past 2^53. */
export function integerFlag(flags: ParsedFlags, name: string): number {
  const raw = flags[name];
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${name} is too large: ${raw}`);
  return value;
}

export function stringFlag(flags: ParsedFlags, name: string): string {
  const raw = flags[name];
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  return raw;
}

/** Renders the flag table as aligned --help lines with each default. */
export function formatFlagHelp(table: FlagTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`;
    const fallback =
      spec.default === undefined || spec.default === false ? '' : ` (default: ${spec.default})`;
    return [left, `${spec.help}${fallback}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
