import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './command.js';
import { type FlagSpec, formatFlagHelp, parseFlags, UsageError } from './flags.js';
import { packageRoot } from './package-root.js';

const usage = `Usage: fullduplex <command> [options]

Commands:
  serve     run a WebSocket server (echo or broadcast)
  connect   open a connection: send stdin lines, print what arrives
  bench     load an echo server and report latency percentiles and throughput

Options:
  -h, --help     show this help
  -V, --version  print the version

Run 'fullduplex <command> --help' for a command's options.`;

const helpFlag: FlagSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** Loaded on demand, so `serve` never pays for the client or the bench histogram. */
const commands: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  connect: async () => (await import('./commands/connect.js')).connectCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
};

/** The --help text of a command: its usage, then its options with their defaults. */
export function commandHelp(command: Command): string {
  return `${command.usage}\n\nOptions:\n${formatFlagHelp({ ...command.flags, help: helpFlag })}`;
}

/**
 * Runs the CLI with argv (without node and script); resolves the exit code: 0 done, 1 failed,
 * 2 a mistake in the command line. Every message it prints about a failure starts with `fullduplex:`.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? console.error : console.log)(usage);
    return name === undefined ? 2 : 0;
  }
  if (name === '-V' || name === '--version') {
    console.log(version());
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    console.error(`fullduplex: unknown command: ${name}\n\n${usage}`);
    return 2;
  }
  const command = await load();
  try {
    const { flags, positionals } = parseFlags(
      rest,
      { ...command.flags, help: helpFlag },
      command.positionals,
    );
    if (flags.help) {
      console.log(commandHelp(command));
      return 0;
    }
    return await command.run(flags, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`fullduplex: ${error.message}\n\n${commandHelp(command)}`);
      return 2;
    }
    console.error(`fullduplex: ${describe(error)}`);
    return 1;
  }
}

/** The package version, from the package.json next to dist/ (also in an installed package). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's network errors say what failed in `message`; a cause adds the underlying reason.
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? `: ${error.cause.message}`
      : '';
  return `${error.message}${cause}`;
}
