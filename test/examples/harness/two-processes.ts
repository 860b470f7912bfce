// Two processes of one example sharing a real redis-server (--redis), each on its own port, as two
// servers behind a load balancer would be. Either can be killed and started again on its port, as a
// crash and a restart would; stop() ends everything it started, also after a failure.
import { freePort } from '../../helpers/free-port.js';
import { type RedisServer, startRedis } from '../../helpers/redis-server.js';
import { type ExampleProcess, startExample } from './example-process.js';

export interface TwoProcesses {
  readonly redis: RedisServer;
  /** The two running processes; `restart` replaces an entry. */
  readonly processes: [ExampleProcess, ExampleProcess];
  /** SIGKILL process `index`, then start it again on the same port; resolves with the new one. */
  restart(index: 0 | 1): Promise<ExampleProcess>;
  /** SIGTERM both (resolves with their exit codes), then stop Redis. */
  stop(): Promise<(number | null)[]>;
}

export async function startTwoProcesses(name: string, args: readonly string[] = []): Promise<TwoProcesses> {
  const redis = await startRedis();
  const started: ExampleProcess[] = [];
  const withRedis = [...args, '--redis', redis.url];
  try {
    for (let index = 0; index < 2; index++) {
      started.push(await startExample(name, withRedis, await freePort()));
    }
  } catch (error) {
    for (const process of started) await process.kill();
    await redis.stop();
    throw error;
  }
  const processes = started as [ExampleProcess, ExampleProcess];
  return {
    redis,
    processes,
    async restart(index) {
      const old = processes[index];
      await old.kill();
      processes[index] = await startExample(name, withRedis, old.port);
      return processes[index];
    },
    async stop() {
      try {
        return await Promise.all(processes.map((process) => process.stop()));
      } finally {
        await redis.stop();
      }
    },
  };
}
