// Every process the scale run starts is registered here, each in its own process group (so a group
// kill also reaches node:cluster workers), and killed on every way out: normal end, failure, Ctrl-C,
// SIGTERM. A process outliving a killed harness is bounded too: see scale-probe.ts.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const started = new Set<ChildProcess>();

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !alive(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** spawn() in a new process group, remembered until it exits. */
export function spawnTracked(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(file, args, { ...options, detached: true });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL to the whole group after `graceMs`; resolves once the leader has exited. */
export async function stopTracked(child: ChildProcess, graceMs: number): Promise<void> {
  if (!alive(child)) {
    killGroup(child, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Workers left behind by a leader that exited first.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // None left.
  }
}

/** Synchronous last resort: SIGKILL every group still running. */
export function killAllTracked(): void {
  for (const child of started) killGroup(child, 'SIGKILL');
}

let installed = false;

/** Kill everything on exit, and on SIGINT/SIGTERM exit (130/143) after killing everything. */
export function killTrackedOnExit(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllTracked);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nscale: ${signal}, stopping every process this run started\n`);
      killAllTracked();
      process.exit(code);
    });
  }
}
