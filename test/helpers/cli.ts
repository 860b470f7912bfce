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
