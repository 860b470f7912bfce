// Preloaded (--import) into a fullduplex server to measure what a subscribed diagnostics channel
// costs: one listener on every fullduplex channel and on the upgrade trace, each doing a little work.
import diagnostics from 'node:diagnostics_channel';

let events = 0;
const count = (): void => {
  events++;
};
for (const name of [
  'fullduplex:connection:open',
  'fullduplex:connection:close',
  'fullduplex:handshake:refused',
  'fullduplex:message:dropped',
  'fullduplex:budget:shed',
  'fullduplex:heartbeat:timeout',
  'fullduplex:protocol:error',
])
  diagnostics.subscribe(name, count);
diagnostics.tracingChannel('fullduplex:upgrade').subscribe({
  start: count,
  end: count,
  asyncStart: count,
  asyncEnd: count,
  error: count,
});
process.on('exit', () => {
  if (process.env.BENCH_SUBSCRIBER_REPORT) console.error(`diagnostics events: ${events}`);
});
