// Keeps the scale benchmark group from rotting: `scale-run.js --smoke` (500 connections over 2 server
// workers and 2 generator processes, then a broadcast to 500 subscribers of 1 and of 10 topics through
// a real redis-server) must hold, echo and deliver exactly what it should, and leave no process behind.
// Nothing here is timed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BroadcastResult } from '../../bench/scale/broadcast-scale.js';
import type { IdleResult } from '../../bench/scale/idle-scale.js';

const script = new URL('../../bench/scale/scale-run.js', import.meta.url).pathname;
const generator = new URL('../../bench/scale/scale-generator.js', import.meta.url).pathname;
const probe = new URL('../../bench/scale/scale-probe.js', import.meta.url).pathname;
const redisMissing = existsSync('/usr/bin/redis-server') ? null : '/usr/bin/redis-server not found';

/**
 * PIDs of live processes whose command line mentions `needle` and whose environment holds `tag`
 * (children inherit it: so another scale run on the machine is not mistaken for a leftover).
 */
function processesWith(needle: string, tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(tag)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

test('scale group, smoke size: every handshake, echo and delivery is accounted for', {
  timeout: 180_000,
}, async (context) => {
  if (redisMissing !== null) {
    if (process.env.CI === 'true') assert.fail(`test service missing in CI: ${redisMissing}`);
    context.skip(redisMissing);
    return;
  }
  const directory = mkdtempSync(join(tmpdir(), 'fullduplex-scale-smoke-'));
  const output = join(directory, 'scale.json');
  try {
    const tag = `FULLDUPLEX_SCALE_SMOKE=${process.pid}-${Date.now()}`;
    const child = spawn(process.execPath, [script, '--smoke', '--json', output], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FULLDUPLEX_SCALE_SMOKE: tag.slice(tag.indexOf('=') + 1) },
    });
    let log = '';
    child.stdout.on('data', (chunk) => {
      log += chunk;
    });
    child.stderr.on('data', (chunk) => {
      log += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, log);
    // The generators and the server tree (whose processes preload the probe) are gone with it.
    assert.deepEqual(processesWith(generator, tag), []);
    assert.deepEqual(processesWith(probe, tag), []);
    const results = JSON.parse(readFileSync(output, 'utf8')) as {
      idle: IdleResult;
      broadcast: BroadcastResult[];
    };

    const idle = results.idle;
    assert.equal(idle.stoppedBy, null);
    assert.deepEqual(
      idle.steps.map((step) => step.connections),
      [250, 500],
    );
    for (const step of idle.steps) {
      assert.deepEqual(step.failures, {});
      assert.ok(Number.isFinite(step.immediate.rssKiBPerConnection));
      assert.ok(step.kernel.tcpInUse >= step.connections, 'the kernel saw the connections');
    }
    assert.equal(idle.steps.at(-1)?.health.closedByPeer, 0);
    assert.deepEqual(idle.echo, { sampled: 50, matched: 50, problems: [] });

    assert.deepEqual(
      results.broadcast.map((phase) => [phase.topics, phase.opened, phase.stoppedBy]),
      [
        [1, 500, null],
        [10, 500, null],
      ],
    );
    for (const phase of results.broadcast) {
      for (const rate of phase.rates) {
        assert.equal(rate.incomplete, 0);
        // One topic: every message to all 500; ten topics: each message to its topic's 50.
        assert.equal(rate.expected, rate.messages * (phase.subscribers / phase.topics));
        assert.equal(rate.delivered, rate.expected);
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
