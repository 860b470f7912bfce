// The full-size slow-reader case of issue 5 (the CI test, test/faults/slow-reader.test.ts, offers
// 256 MiB): `fullduplex serve --mode broadcast` relays OFFERED bytes (default 1 GiB) from a fast
// writer while one client reads at 1 KiB/s, and the server's resident set is sampled from /proc.
// The claim: peak RSS growth stays under maxBufferedBytes + a constant, however much is offered.
//
// Usage (after `npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json`):
//   node .build/bench/faults/slow-reader.js [OFFERED_MIB=1024] [MESSAGE_KIB=64]
import {
  killChildren,
  MiB,
  mib,
  peakRss,
  procAvailable,
  rss,
  sleep,
  startPeer,
  startServe,
} from '../../test/faults/fault-harness.js';

const offered = Number(process.argv[2] ?? 1024) * MiB;
const messageSize = Number(process.argv[3] ?? 64) * 1024;
const maxBuffered = MiB;

async function main(): Promise<void> {
  if (!procAvailable()) throw new Error('needs /proc/PID/status (Linux) to read the server RSS');
  const serve = await startServe(['--mode', 'broadcast', '--max-buffered-bytes', String(maxBuffered)]);
  const reader = startPeer('slow-reader.mjs', [serve.url, '1024']);
  await reader.line(/^open$/);
  await sleep(300);
  const before = rss(serve.pid);
  const started = performance.now();
  const writer = startPeer('flood-writer.mjs', [serve.url, String(offered), String(messageSize), 'discard']);
  await writer.line(/^open$/);
  // Sample RSS every 250 ms while the flood runs: the curve shows whether growth tracks the offered bytes.
  const samples: string[] = [];
  const sampler = setInterval(() => samples.push(mib(rss(serve.pid) - before)), 250);
  const outcome = await writer.line(/^(sent|stalled) (\d+)$/, 600_000);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await sleep(500);
  const peak = peakRss(serve.pid);
  const read = await reader.line(/^read (\d+)$/, 3000);
  console.log(
    `offered          ${mib(offered)} in ${messageSize / 1024} KiB messages (${outcome[1]} ${mib(Number(outcome[2]))})`,
  );
  console.log(`duration         ${seconds.toFixed(1)} s (${(offered / MiB / seconds).toFixed(0)} MiB/s)`);
  console.log(
    `slow reader read ${read[1]} bytes at ~1 KiB/s and is ${reader.child.exitCode === null ? 'still connected' : 'gone'}`,
  );
  console.log(`server RSS       before ${mib(before)}, peak ${mib(peak)}, growth ${mib(peak - before)}`);
  console.log(
    `stated bound     maxBufferedBytes (${mib(maxBuffered)}) + 63 MiB constant = ${mib(maxBuffered + 63 * MiB)}`,
  );
  console.log(`growth over time ${samples.join(' ')}`);
}

try {
  await main();
} finally {
  killChildren();
}
