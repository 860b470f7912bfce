import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeClock } from '../../../src/node/clock.js';

describe('nodeClock', () => {
  test('timers fire, can be cleared, and do not hold the process open', async () => {
    const before = nodeClock.now();
    const fired = await new Promise<boolean>((resolve) => {
      const timer = nodeClock.setTimeout(() => resolve(true), 1) as NodeJS.Timeout;
      assert.equal(timer.hasRef(), false);
    });
    assert.ok(fired);
    assert.ok(nodeClock.now() >= before);
    let cleared = true;
    const timer = nodeClock.setTimeout(() => {
      cleared = false;
    }, 1);
    nodeClock.clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(cleared);
  });
});
