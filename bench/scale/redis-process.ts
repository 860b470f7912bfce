// The broadcast phase's redis-server: no persistence, on a free loopback port, pinned to the server
// core (it is part of the server side), tracked like every other process of the run and bounded by
// coreutils `timeout` at the run's deadline even if the harness itself is killed.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { canConnect, freePort, waitUntil } from '../../test/helpers/free-port.js';
import { pinnedNode, serverCore } from '../load/pinning.js';
import { spawnTracked, stopTracked } from './child-processes.js';
import { cpuOfPid } from './server-tree.js';

export const redisServerPath = '/usr/bin/redis-server';

export function redisUnavailable(): string | null {
  return existsSync(redisServerPath) ? null : `${redisServerPath} not found (apt-get install redis-server)`;
}

export class RedisProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(deadline: number): Promise<RedisProcess> {
    const port = await freePort();
    const seconds = Math.max(10, Math.ceil((deadline - Date.now()) / 1000));
    // pinnedNode gives `taskset -c CORE node ...`; the same taskset prefix serves redis-server.
    const pinned = pinnedNode(serverCore, []);
    const redis = [
      redisServerPath,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const command = pinned.file === 'taskset' ? ['taskset', '-c', String(serverCore), ...redis] : redis;
    const child = spawnTracked('timeout', ['-s', 'KILL', String(seconds), ...command], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    if (!(await waitUntil(() => canConnect(port), 200, 50))) throw new Error('redis-server did not start');
    return new RedisProcess(child, port);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** redis-server's CPU time so far, µs (the child of `timeout`). */
  cpuMicros(): number {
    const leader = this.child.pid as number;
    try {
      const pid = Number(
        readFileSync(`/proc/${leader}/task/${leader}/children`, 'utf8').trim().split(/\s+/)[0],
      );
      return cpuOfPid(pid);
    } catch {
      return Number.NaN;
    }
  }

  stop(): Promise<void> {
    return stopTracked(this.child, 3_000);
  }
}
