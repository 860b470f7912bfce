// `fullduplex serve --mode hub` as a real process for the multi-process fault tests: started on a
// free port, its first line read, its stderr kept, and always stopped (SIGKILL at the latest).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;
const running = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every hub process still running (call from `after`). */
export function killAllHubProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

export interface HubProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** `ws://127.0.0.1:PORT` */
  readonly url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts a hub on `port` (0: a free one; a fixed one to restart a killed hub where it was). */
export async function startHubProcess(args: readonly string[], port = 0): Promise<HubProcess> {
  const child = spawn(process.execPath, [
    bin,
    'serve',
    '--mode',
    'hub',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...args,
  ]);
  running.add(child);
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (errors.length < 200_000) errors += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal as string));
    }),
  );
  const lines = createInterface({ input: child.stdout });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    exited.then((how) => {
      throw new Error(`serve exited (${how}) before listening: ${errors}`);
    }),
  ]).finally(() => clearTimeout(timeout));
  const match = /^listening ws:\/\/127\.0\.0\.1:(\d+)\/$/.exec(first);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line ${JSON.stringify(first)}`);
  }
  const bound = Number(match[1]);
  return {
    child,
    port: bound,
    url: `ws://127.0.0.1:${bound}`,
    stderr: () => errors,
    exited,
    kill: (signal) => child.kill(signal),
  };
}
