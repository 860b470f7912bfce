import type { FlagTable, ParsedFlags } from './flags.js';

/**
 * A subcommand: main.ts parses its flags from the table, prints its --help and its usage on a
 * mistake, and reports its errors; `run` only does the work and resolves the exit code.
 */
export interface Command {
  /** The synopsis and a paragraph on what the command does, shown above the options. */
  readonly usage: string;
  readonly flags: FlagTable;
  /** How many positional arguments the command takes at most. */
  readonly positionals: number;
  run(flags: ParsedFlags, positionals: readonly string[]): Promise<number>;
}
