// The command line every benchmark server accepts, the same shape as `fullduplex serve`, so the harness
// starts all of them the same way: --mode echo|broadcast --host H --port P [--compress].
export type ServerMode = 'echo' | 'broadcast';

export interface ServerOptions {
  mode: ServerMode;
  host: string;
  port: number;
  compress: boolean;
}

export function parseServerOptions(argv: readonly string[]): ServerOptions {
  const options: ServerOptions = { mode: 'echo', host: '127.0.0.1', port: 0, compress: false };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (flag === '--compress') options.compress = true;
    else if (flag === '--mode' && (value === 'echo' || value === 'broadcast')) {
      options.mode = value;
      index++;
    } else if (flag === '--host' && value !== undefined) {
      options.host = value;
      index++;
    } else if (flag === '--port' && value !== undefined) {
      options.port = Number(value);
      index++;
    } else throw new Error(`unknown server option ${flag}`);
  }
  return options;
}

/** The first stdout line the harness waits for (the fullduplex CLI prints the same). */
export function announceListening(host: string, port: number): void {
  process.stdout.write(`listening ws://${host}:${port}/\n`);
}
