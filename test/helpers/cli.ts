// Runs bin/fullduplex.js as a real child process and collects what it prints.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `fullduplex ...args` with `input` on stdin; kills it after `timeoutMs`. */
export async function runCli(args: readonly string[], input = '', timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code] = await once(child, 'exit');
    return { code: code as number | null, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** A `fullduplex serve` process on a free port; `stop()` ends it with SIGTERM and waits. */
export interface ServeProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args]);
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /^listening (wss?:\/\/\S+)\n/.exec(output);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs `fullduplex ...args` under a pseudo-terminal (util-linux `script`), as a person at a terminal
 * would, writing `keys` (each after `delayMs`) to it. Resolves with everything the terminal showed.
 */
export async function runCliOnTerminal(
  args: readonly string[],
  keys: ReadonlyArray<{ text: string; delayMs: number }> = [],
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, bin, ...args]
    .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const child = spawn('script', ['-qefc', quoted, '/dev/null'], { env: { ...process.env, TERM: 'dumb' } });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = once(child, 'exit');
  for (const key of keys) {
    await new Promise((resolve) => setTimeout(resolve, key.delayMs));
    if (child.exitCode === null) child.stdin.write(key.text);
  }
  try {
    const [code] = await exited;
    return { code: code as number | null, output };
  } finally {
    clearTimeout(timer);
  }
}
