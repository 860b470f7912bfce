// 500 hub clients (fullduplex/client in Node, default backoff and jitter) all come back after their
// hub process is killed and restarted, through the reconnect-spread bench scenario itself. How fast
// and how spread out is measured by the bench with 1,000 (BENCHMARKS.md), never asserted here; half
// as many keep this test short on a busy CI machine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runReconnectSpread } from '../../bench/client/reconnect-spread.js';

describe('hub client: a crowd reconnecting after a restart', { timeout: 150_000 }, () => {
  test('all 500 clients are back and resubscribed on the new process; the counts add up', async () => {
    const result = await runReconnectSpread({ clients: 500, downMs: 500, timeoutMs: 120_000 });
    assert.equal(result.back, 500, `${result.back} of 500 back`);
    assert.equal(result.backMs.length, 500);
    assert.equal(result.attemptMs.length, 500, 'the attempt that got each one back is known');
    assert.equal(
      result.histogram.reduce((sum, bucket) => sum + bucket.count, 0),
      500,
      'every client in one bucket',
    );
    assert.ok(result.downForMs >= 500, `down for ${result.downForMs} ms`);
    // Each client tried at least once after the kill; the successful attempts are the ones not failed.
    assert.ok(result.attempts >= 500, `${result.attempts} attempts`);
    assert.equal(result.attempts - result.failedAttempts, 500, 'one successful attempt per client');
    assert.ok(result.percentiles.p50 <= result.percentiles.max);
  });
});
