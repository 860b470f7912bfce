// A real redis-server for broker and fault tests: started on a free loopback port with no
// persistence in its own temp dir; it can be SIGKILLed and restarted on the same port (empty, as a
// Redis that lost its data), and `stop()` always ends it and removes the dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './free-port.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export function redisMissing(): false | string {
  if (existsSync(REDIS_SERVER)) return false;
  const reason = `${REDIS_SERVER} not found (apt-get install redis-server)`;
  if (process.env.CI === 'true') throw new Error(`test service missing in CI: ${reason}`);
  return reason;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** Everything redis-server printed (bounded). */
  log(): string;
  /** SIGKILL the server and wait for it to exit (its data is gone: no persistence). */
  kill(): Promise<void>;
  /** Start it again on the same port and wait until it answers PING. */
  restart(): Promise<void>;
  /** Stop it (if running) and remove its dir. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Sends PING and resolves true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fullduplex-redis-'));
  const port = await freePort();
  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--daemonize', 'no', '--loglevel', 'warning');
    const started = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const collect = (chunk: Buffer): void => {
      if (output.length < 100_000) output += chunk.toString('utf8');
    };
    started.stdout?.on('data', collect);
    started.stderr?.on('data', collect);
    exited = new Promise((resolve) =>
      started.once('exit', () => {
        if (child === started) child = undefined;
        resolve();
      }),
    );
    // Bounded: 100 tries, 50 ms apart.
    if (!(await waitUntil(() => child === undefined || ping(port))))
      throw new Error('redis-server timed out');
    if (child === undefined) throw new Error(`redis-server exited: ${output}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child === undefined) return;
    child.kill(signal);
    const timer = setTimeout(() => child?.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  const stop = async (): Promise<void> => {
    await kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    log: () => output,
    kill: () => kill('SIGKILL'),
    restart: launch,
    stop,
  };
}
