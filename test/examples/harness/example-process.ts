// Runs an example server (examples/NAME/server.mjs) as a child process on 127.0.0.1 (port 0 unless
// told), and reads the address from its first line, as a person starting it would.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ExampleProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** `http://127.0.0.1:PORT/` */
  readonly base: string;
  readonly port: number;
  /** `ws://127.0.0.1:PORT` (no trailing slash: add the path). */
  readonly ws: string;
  /** Everything the process printed on stderr so far (for failure messages). */
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
}

const ROOT = new URL('../../../../', import.meta.url);

export async function startExample(
  name: string,
  args: readonly string[] = [],
  port = 0,
): Promise<ExampleProcess> {
  // A name is an example; a path ending in .mjs (from the repository root) is any other app script.
  const script = new URL(name.endsWith('.mjs') ? name : `examples/${name}/server.mjs`, ROOT).pathname;
  const child = spawn(process.execPath, [script, '--host', '127.0.0.1', '--port', String(port), ...args], {
    cwd: ROOT.pathname,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = once(lines, 'line') as Promise<[string]>;
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`${name} printed nothing within 20 s: ${stderr}`)), 20_000).unref();
  });
  let line: string;
  try {
    [line] = await Promise.race([first, timeout, exited.then(() => Promise.reject(new Error(stderr)))]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  // `listening on http://HOST:PORT` (examples/shared/app-server.mjs), or the older `listening URL/`.
  const match = /^listening (?:on )?http:\/\/127\.0\.0\.1:(\d+)\/?$/.exec(line);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from ${name}: ${line}`);
  }
  lines.on('line', () => {}); // keep draining stdout
  return {
    child,
    base: `http://127.0.0.1:${match[1]}/`,
    port: Number(match[1]),
    ws: `ws://127.0.0.1:${match[1]}`,
    stderr: () => stderr,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
