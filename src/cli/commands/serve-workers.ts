import cluster, { type Worker } from 'node:cluster';

/** What a worker tells the primary once its server listens. */
interface ListeningNotice {
  readonly fullduplex: 'listening';
  readonly lines: readonly string[];
}

/** What the primary tells a worker to shut down gracefully (a signal could race the terminal's). */
export const SHUTDOWN_NOTICE = 'fullduplex:shutdown';

/** A worker restarted more often than this within RESTART_WINDOW_MS means something is wrong. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10_000;

/** In a worker of `serve --workers N`: report the startup lines to the primary instead of printing. */
export function announceListening(lines: readonly string[]): void {
  const notice: ListeningNotice = { fullduplex: 'listening', lines };
  process.send?.(notice);
}

/** In a worker: call `stop` when the primary asks for a graceful shutdown. */
export function onShutdownNotice(stop: () => void): () => void {
  const listener = (message: unknown): void => {
    if (message === SHUTDOWN_NOTICE) stop();
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}

/**
 * How the workers get their connections: each accepts from the shared listening socket itself
 * (SCHED_NONE), unless NODE_CLUSTER_SCHED_POLICY chooses otherwise (`rr`: node:cluster's default on
 * Linux, where the primary accepts every connection and passes it to a worker over IPC). Measured
 * with 16 workers on one core: 320-350 µs of CPU per handshake shared, 850-920 µs round-robin (the
 * IPC hand-over and ack, and three processes woken per connection); the kernel spread connections
 * within a few percent of even. Undefined: leave Node's choice.
 */
export function workerSchedulingPolicy(env: NodeJS.ProcessEnv): number | undefined {
  return env.NODE_CLUSTER_SCHED_POLICY === undefined ? cluster.SCHED_NONE : undefined;
}

function isListeningNotice(message: unknown): message is ListeningNotice {
  return (message as ListeningNotice | null)?.fullduplex === 'listening';
}

/**
 * The primary of `serve --workers N`: forks N workers running the same command line (node:cluster
 * shares the port among them; each worker accepts its own connections, see workerSchedulingPolicy),
 * prints the first worker's startup lines once every worker listens,
 * restarts a worker that dies (up to 5 times in 10 s), and on SIGINT or SIGTERM asks every worker to
 * shut down gracefully. Resolves with the exit code: 0 after a requested shutdown, 1 if workers failed.
 */
export function runWorkers(count: number, shutdownTimeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const workers = new Set<Worker>();
    const restarts: number[] = [];
    let listening = 0;
    let started = false;
    let stopping = false;
    let exitCode = 0;
    let forceTimer: NodeJS.Timeout | undefined;

    const stop = (code: number): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const worker of workers) if (worker.isConnected()) worker.send(SHUTDOWN_NOTICE);
      // Bounded: a worker that has not exited after its own shutdown timeout (plus slack) is killed.
      forceTimer = setTimeout(() => {
        for (const worker of workers) worker.process.kill('SIGKILL');
      }, shutdownTimeoutMs + 5000);
      forceTimer.unref();
      finishIfDone();
    };
    const onSignal = (): void => stop(0);
    const finishIfDone = (): void => {
      if (!stopping || workers.size > 0) return;
      clearTimeout(forceTimer);
      resolve(exitCode);
    };

    const fork = (): void => {
      const worker = cluster.fork();
      workers.add(worker);
      worker.on('message', (message: unknown) => {
        if (!isListeningNotice(message)) return;
        listening++;
        if (!started && listening === count) {
          started = true;
          for (const line of message.lines) console.log(line);
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (stopping) {
          finishIfDone();
          return;
        }
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!started) {
          console.error(`fullduplex: a worker exited (${how}) before it listened`);
          stop(1);
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && (restarts[0] as number) < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          console.error(`fullduplex: workers keep exiting (last: ${how}); stopping`);
          stop(1);
          return;
        }
        console.error(`fullduplex: worker ${worker.process.pid} exited (${how}); starting another`);
        listening--;
        fork();
      });
    };

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Read by node:cluster at the first fork only.
    const policy = workerSchedulingPolicy(process.env);
    if (policy !== undefined) cluster.schedulingPolicy = policy;
    for (let index = 0; index < count; index++) fork();
  });
}
