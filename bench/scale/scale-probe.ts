// Preloaded into the scale run's server processes (`node --expose-gc --import scale-probe.js`), which
// node:cluster passes on to every worker. On SIGUSR2 a process collects garbage twice and writes its
// process.memoryUsage() to FULLDUPLEX_SCALE_PROBE_DIR/PID.json: the workers have no IPC channel to
// the harness. Every process also ends itself two minutes after FULLDUPLEX_SCALE_DEADLINE (epoch ms:
// the harness plans to be done by then, so this only catches a harness that is stuck), and the
// primary when the harness that started it goes away, so nothing outlives a killed run for long.
import cluster from 'node:cluster';
import { renameSync, writeFileSync } from 'node:fs';

const directory = process.env.FULLDUPLEX_SCALE_PROBE_DIR;
if (directory !== undefined && directory !== '') {
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    collect?.();
    const file = `${directory}/${process.pid}.json`;
    // Written whole, then renamed: the harness never reads half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
}

const deadline = Number(process.env.FULLDUPLEX_SCALE_DEADLINE);
if (Number.isFinite(deadline) && deadline > 0) {
  setTimeout(
    () => process.kill(process.pid, 'SIGKILL'),
    Math.max(0, deadline + 120_000 - Date.now()),
  ).unref();
}

if (!cluster.isWorker && process.channel !== undefined) {
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
