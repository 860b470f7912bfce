/**
 * One command-line flag. A command's flags are a table of these: parsing, validation and --help all
 * come from the table, so a new flag is one entry (plus reading it where it is used).
 */
export interface FlagSpec {
  /**
   * `integer` accepts digits only; `number` accepts a decimal fraction too. Both are checked against
   * `min`/`max` while parsing, so a bad value fails before anything starts, naming its flag.
   */
  readonly type: 'string' | 'boolean' | 'integer' | 'number';
  readonly help: string;
  readonly default?: string | number | boolean;
  /** The value's placeholder in --help (e.g. BYTES, MS). */
  readonly placeholder?: string;
  readonly short?: string;
  readonly min?: number;
  readonly max?: number;
  /** For `string`: the only values accepted. */
  readonly choices?: readonly string[];
  /** For `string`: the flag may repeat; its value is the list of every occurrence. */
  readonly multiple?: boolean;
  /** Left out of --help (kept for old command lines). */
  readonly hidden?: boolean;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;
export type FlagValue = string | number | boolean | readonly string[] | undefined;
export type ParsedFlags = Record<string, FlagValue>;

/** A mistake in the command line: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses argv against a flag table: `--name value`, `--name=value`, `-x value`, booleans, and `--`
 * before positionals. A value flag takes the next argument whatever it looks like, so
 * `--max-payload -5` is reported as a bad number rather than as a missing value.
 */
export function parseFlags(
  argv: readonly string[],
  table: FlagTable,
  positionals = 0,
): { flags: ParsedFlags; positionals: string[] } {
  const given = new Map<string, string[] | true>();
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') {
      rest.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const written = equals > 0 && arg.startsWith('--') ? arg.slice(0, equals) : arg;
    const name = lookup(written, table);
    const spec = table[name] as FlagSpec;
    if (spec.type === 'boolean') {
      if (written !== arg) throw new UsageError(`${written} takes no value`);
      given.set(name, true);
      continue;
    }
    let value: string;
    if (written !== arg) value = arg.slice(equals + 1);
    else if (index + 1 < argv.length) value = argv[++index] as string;
    else throw new UsageError(`--${name} needs a value${spec.placeholder ? ` (${spec.placeholder})` : ''}`);
    const values = given.get(name);
    if (Array.isArray(values) && spec.multiple) values.push(value);
    else given.set(name, [value]);
  }
  if (rest.length > positionals) throw new UsageError(`unexpected argument: ${rest[positionals]}`);
  const flags: ParsedFlags = {};
  for (const [name, spec] of Object.entries(table)) {
    const value = given.get(name);
    if (value === true) flags[name] = true;
    else if (value === undefined) flags[name] = spec.multiple ? [] : defaultOf(spec);
    else if (spec.multiple) flags[name] = value.map((each) => checkString(name, spec, each));
    else flags[name] = convert(name, spec, value[0] as string);
  }
  return { flags, positionals: rest };
}

function lookup(written: string, table: FlagTable): string {
  if (written.startsWith('--')) {
    const name = written.slice(2);
    if (Object.hasOwn(table, name)) return name;
  } else if (written.length === 2) {
    for (const [name, spec] of Object.entries(table)) if (spec.short === written[1]) return name;
  }
  throw new UsageError(`unknown option ${written}`);
}

function defaultOf(spec: FlagSpec): FlagValue {
  if (spec.type === 'boolean') return spec.default ?? false;
  return spec.default;
}

function convert(name: string, spec: FlagSpec, raw: string): FlagValue {
  if (spec.type === 'string') return checkString(name, spec, raw);
  const pattern = spec.type === 'integer' ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  const wanted = describeRange(spec);
  if (!pattern.test(raw) || !Number.isSafeInteger(Math.floor(value))) {
    throw new UsageError(`--${name} must be ${wanted}, got ${JSON.stringify(raw)}`);
  }
  if (value < (spec.min ?? 0) || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`--${name} must be ${wanted}, got ${raw}`);
  }
  return value;
}

function describeRange(spec: FlagSpec): string {
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const low = spec.min ?? 0;
  if (spec.max !== undefined) return `${kind} from ${low} to ${spec.max}`;
  return low === 0 ? `${kind.replace(/^an? /, 'a non-negative ')}` : `${kind} >= ${low}`;
}

function checkString(name: string, spec: FlagSpec, raw: string): string {
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** A numeric flag's value (already validated by parseFlags; a numeric string is converted here). */
export function integerFlag(flags: ParsedFlags, name: string): number {
  const value = flags[name];
  if (typeof value === 'number') return value;
  return convert(name, { type: 'integer', help: '' }, String(value)) as number;
}

export function stringFlag(flags: ParsedFlags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} needs a value`);
  return value;
}

/** A string flag that may be absent. */
export function optionalStringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a `multiple` flag, in command-line order. */
export function listFlag(flags: ParsedFlags, name: string): readonly string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : [];
}

/** Renders the flag table as aligned --help lines with each default. */
export function formatFlagHelp(table: FlagTable): string {
  const rows = Object.entries(table)
    .filter(([, spec]) => !spec.hidden)
    .map(([name, spec]) => {
      const placeholder = spec.placeholder ?? (spec.choices ? spec.choices.join('|') : '');
      const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${placeholder ? ` ${placeholder}` : ''}`;
      const fallback =
        spec.default === undefined || spec.default === false ? '' : ` (default: ${spec.default})`;
      const repeat = spec.multiple ? ' (repeatable)' : '';
      return [left, `${spec.help}${repeat}${fallback}`] as const;
    });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
