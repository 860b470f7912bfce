// `--workers N`: the primary forks N workers running the same script (node:cluster shares the port
// among them, the same one for all with --port 0), prints the `listening on` line once every worker
// listens, replaces a worker that dies, and on SIGINT/SIGTERM asks each to shut down gracefully.
import cluster from 'node:cluster';

const LISTENING = 'fullduplex-example:listening';
const SHUTDOWN = 'fullduplex-example:shutdown';
/** More restarts than this within RESTART_WINDOW_MS: the workers are failing, stop. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 10_000;

/** In a worker: tell the primary the URL it listens on. */
export function announceToPrimary(url) {
  process.send?.({ type: LISTENING, url });
}

/** In a worker: call `stop` when the primary asks for a graceful shutdown. */
export function onPrimaryShutdown(stop) {
  process.on('message', (message) => {
    if (message === SHUTDOWN) stop();
  });
}

/** The primary. Resolves with the exit code once every worker has exited. */
export function runWorkers(name, count, graceMs) {
  return new Promise((resolve) => {
    const workers = new Set();
    const restarts = [];
    let listening = 0;
    let started = false;
    let stopping = false;
    let exitCode = 0;

    const finishIfDone = () => {
      if (stopping && workers.size === 0) resolve(exitCode);
    };
    const stop = (code) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const worker of workers) if (worker.isConnected()) worker.send(SHUTDOWN);
      setTimeout(() => {
        for (const worker of workers) worker.process.kill('SIGKILL');
      }, graceMs + 2000).unref();
      finishIfDone();
    };

    const fork = () => {
      const worker = cluster.fork();
      workers.add(worker);
      worker.on('message', (message) => {
        if (message?.type !== LISTENING) return;
        listening++;
        if (!started && listening === count) {
          started = true;
          console.log(`listening on ${message.url}`);
        }
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (stopping) return finishIfDone();
        const how = signal ? `signal ${signal}` : `code ${code}`;
        const now = Date.now();
        restarts.push(now);
        while (restarts[0] < now - RESTART_WINDOW_MS) restarts.shift();
        if (!started || restarts.length > MAX_RESTARTS) {
          console.error(`${name}: worker ${worker.process.pid} exited (${how}); stopping`);
          return stop(1);
        }
        console.error(`${name}: worker ${worker.process.pid} exited (${how}); starting another`);
        listening--;
        fork();
      });
    };

    process.once('SIGINT', () => stop(0));
    process.once('SIGTERM', () => stop(0));
    for (let index = 0; index < count; index++) fork();
  });
}
