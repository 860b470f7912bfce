// A real HTTP CONNECT proxy for client tests: Debian's tinyproxy, started on a free loopback port with
// a generated config that allows CONNECT only to the ports a test names.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TINYPROXY = '/usr/bin/tinyproxy';

export function tinyproxyMissing(): false | string {
  if (existsSync(TINYPROXY)) return false;
  const reason = `${TINYPROXY} not found (apt-get install tinyproxy)`;
  if (process.env.CI === 'true') throw new Error(`test peer missing in CI: ${reason}`);
  return reason;
}

export interface Tinyproxy {
  readonly port: number;
  readonly url: string;
  /** Everything tinyproxy logged so far (one line per request, among others). */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts tinyproxy allowing CONNECT to `connectPorts` from 127.0.0.1 only, with optional Basic auth. */
export async function startTinyproxy(
  connectPorts: readonly number[],
  basicAuth?: { user: string; password: string },
): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'fullduplex-tinyproxy-'));
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'Allow 127.0.0.1',
    'MaxClients 20',
    'LogLevel Connect',
    'DisableViaHeader Yes',
    ...connectPorts.map((allowed) => `ConnectPort ${allowed}`),
    ...(basicAuth === undefined ? [] : [`BasicAuth ${basicAuth.user} ${basicAuth.password}`]),
  ].join('\n');
  const configPath = join(dir, 'tinyproxy.conf');
  await writeFile(configPath, `${config}\n`);
  let output = '';
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    if (output.length < 100_000) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Bounded wait for the listening socket: 100 tries, 50 ms apart.
  for (let attempt = 0; attempt < 100; attempt++) {
    if (exited) break;
    if (await canConnect(port)) {
      return { port, url: `http://127.0.0.1:${port}`, log: () => output, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`tinyproxy did not start: ${output}`);
}
