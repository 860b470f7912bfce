// The load generator process: started by the harness (pinned to its own core), driven over IPC through
// start -> go -> finish (see load-job.ts), one run per process so no run inherits another's heap.
import { DeflateLoad } from './deflate-load.js';
import { EchoLoad } from './echo-load.js';
import { FanOutLoad } from './fan-out-load.js';
import { IdleLoad } from './idle-load.js';
import { LatencyLoad } from './latency-load.js';
import type { FromGenerator, LoadJob, LoadRun, ToGenerator } from './load-job.js';

function loadFor(job: LoadJob): LoadRun {
  switch (job.kind) {
    case 'echo':
      return new EchoLoad(job);
    case 'fan-out':
      return new FanOutLoad(job);
    case 'idle':
      return new IdleLoad(job);
    case 'deflate':
      return new DeflateLoad(job);
    case 'latency':
      return new LatencyLoad(job);
    default: {
      const never: never = job;
      throw new Error(`unknown job ${JSON.stringify(never)}`);
    }
  }
}

function tell(message: FromGenerator): void {
  process.send?.(message);
}

let run: LoadRun | null = null;

async function handle(message: ToGenerator): Promise<void> {
  switch (message.type) {
    case 'start':
      run = loadFor(message.job);
      tell({ type: 'opened', opened: await run.open() });
      return;
    case 'go':
      tell({ type: 'measured', measured: await run!.go() });
      return;
    case 'finish':
      tell({ type: 'finished', check: await run!.finish() });
      process.disconnect();
      return;
  }
}

if (process.send === undefined) {
  console.error('load-generator: run me from the benchmark harness (an IPC channel is required)');
  process.exit(2);
}
process.on('message', (message: ToGenerator) => {
  handle(message).catch((error: unknown) => {
    tell({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.disconnect();
    setTimeout(() => process.exit(1), 100).unref();
  });
});
