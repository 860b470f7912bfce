// Keeps the load benchmark from rotting: every scenario runs in a tiny configuration (a few connections,
// a fraction of a second) against the raw echo, ws, and fullduplex when its CLI starts, with every reply
// byte verified. It asserts what the harness counted, never how fast anything was.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runScenario } from '../../bench/load/run-scenario.js';
import { scenarios } from '../../bench/load/scenarios.js';
import { type ServerSpec, serverCatalog } from '../../bench/load/server-catalog.js';
import { ServerProcess } from '../../bench/load/server-process.js';

const inCi = process.env.CI === 'true';

/** Why a server cannot take part here, or null when it starts. */
async function whyNot(spec: ServerSpec): Promise<string | null> {
  const reason = spec.unavailable();
  if (reason !== null) return reason;
  const launch = spec.launch('echo', false);
  if (launch === null) return 'no echo mode';
  try {
    const server = await ServerProcess.start(launch, 5_000);
    await server.stop();
    return null;
  } catch (error) {
    return `it did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

// fullduplex-baseline is another build, there only when asked for (BENCH_BASELINE_CLI).
const servers = serverCatalog.filter(
  (spec) => spec.name !== 'ws-bufferutil' && spec.name !== 'fullduplex-baseline',
);
/** The same CLI with a preload: only the scenarios its A/B is for, to keep the file well within its time. */
const SUBSCRIBED_SCENARIOS = new Set(['echo-small', 'fan-out']);

describe('load benchmark smoke run: the harness counts exactly the replies that were due', () => {
  for (const spec of servers) {
    describe(spec.label, () => {
      let skipReason: string | null = null;
      test('starts', async (context) => {
        skipReason = await whyNot(spec);
        if (skipReason === null) return;
        // fullduplex is built by others in parallel; until its CLI runs there is nothing to measure.
        if (spec.name === 'fullduplex' && !inCi) context.skip(`fullduplex skipped: ${skipReason}`);
        else assert.fail(`${spec.label}: ${skipReason}`);
      });
      for (const scenario of scenarios) {
        // idle-max differs from idle only in size; idle-multi covers its source addresses.
        if (scenario.excludes.includes(spec.name) || scenario.name === 'idle-max') continue;
        if (spec.name === 'fullduplex-subscribed' && !SUBSCRIBED_SCENARIOS.has(scenario.name)) continue;
        test(scenario.name, async (context) => {
          if (skipReason !== null) {
            context.skip(skipReason);
            return;
          }
          const result = await runScenario(scenario, spec, 'smoke', 1, true);
          assert.equal(result.error, undefined, result.error);
          assert.ok(result.ok);
          const check = result.check!;
          assert.equal(check.verified, true);
          assert.equal(check.mismatches, 0, 'every reply byte matched the expected frame');
          if (check.bytesExpected >= 0) assert.equal(check.bytesReceived, check.bytesExpected);
          if (scenario.name.startsWith('idle')) {
            assert.equal(check.repliesCounted, result.opened?.connections);
            assert.ok(Number.isFinite(result.metrics.rssPerConnectionKiB));
            if (scenario.name === 'idle-deflate') {
              // Every connection got its one compressed message back, and the server took the offer.
              const opened = result.opened!.connections;
              assert.equal(opened, 20);
              assert.equal(check.messagesSent, opened);
              assert.equal(result.metrics.exchangedConnections, opened);
              assert.ok(Number.isFinite(result.metrics.rssAfterMessageKiB));
              if (spec.replyFraming === 'websocket') {
                assert.equal(result.metrics.negotiatedConnections, opened);
                assert.match(result.responseHead ?? '', /^sec-websocket-extensions:\s*permessage-deflate/im);
              } else assert.equal(check.bytesReceived, check.bytesExpected);
            }
          } else {
            assert.ok(check.messagesSent > 0);
            // Fan-out: every subscriber (every connection but the publisher) got every message.
            const receivers = scenario.name === 'fan-out' ? result.opened!.connections - 1 : 1;
            assert.equal(check.repliesCounted, check.messagesSent * receivers);
          }
          const headline = scenario.metrics[0]!.key;
          assert.ok(Number.isFinite(result.metrics[headline]), `${headline} was measured`);
        });
      }
    });
  }
});
