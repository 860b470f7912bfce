import { UsageError } from './flags.js';

const usage = `Usage: fullduplex <command> [options]

Commands:
  serve     run a WebSocket server (echo or broadcast)
  connect   open a connection: send stdin lines, print what arrives
  bench     load a WebSocket server and report messages/s and latency

Run 'fullduplex <command> --help' for a command's options.`;

/** Runs the CLI with argv (without node and script); resolves the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await (await import('./commands/serve.js')).serve(rest);
      case 'connect':
        return await (await import('./commands/connect.js')).connectCommand(rest);
      case 'bench':
        return await (await import('./commands/bench.js')).benchCommand(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`fullduplex: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
}
