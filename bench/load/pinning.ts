// Server and load generator each get a core of their own (`taskset -c N`) when the machine has two and
// taskset exists, so neither steals the other's CPU and the figures measure the server alone.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export const serverCore = 0;
export const generatorCore = 1;

let tasksetWorks: boolean | undefined;

export function canPin(): boolean {
  if (tasksetWorks === undefined) {
    tasksetWorks =
      availableParallelism() >= 2 &&
      spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return tasksetWorks;
}

/** The executable and arguments that run `node ...nodeArgs`, pinned to `core` when possible. */
export function pinnedNode(core: number, nodeArgs: readonly string[]): { file: string; args: string[] } {
  if (canPin()) return { file: 'taskset', args: ['-c', String(core), process.execPath, ...nodeArgs] };
  return { file: process.execPath, args: [...nodeArgs] };
}
