// The shared deadline scheduler behind heartbeats and idle timeouts: one clock timer for many
// members, each fired exactly when due, in due order (ties in the order they were set).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Deadline, DeadlineScheduler } from '../../../src/connection/deadline-scheduler.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function member(name: string, log: string[], onExpire?: (now: number) => void): Deadline {
  return {
    due: 0,
    slot: -1,
    order: 0,
    expire(now) {
      log.push(`${name}@${now}`);
      onExpire?.(now);
    },
  };
}

describe('DeadlineScheduler', () => {
  test('many members, one clock timer; each fires exactly when due, ties in the order set', () => {
    const clock = new FakeClock();
    const scheduler = new DeadlineScheduler(clock);
    const log: string[] = [];
    const dues = [500, 100, 300, 100, 400, 200];
    dues.forEach((due, index) => {
      scheduler.set(member(`m${index}`, log), due);
    });
    assert.equal(clock.pending, 1, 'one timer for all members');
    assert.equal(scheduler.size, dues.length);
    clock.advance(99);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['m1@100', 'm3@100']);
    clock.advance(400);
    assert.deepEqual(log, ['m1@100', 'm3@100', 'm5@200', 'm2@300', 'm4@400', 'm0@500']);
    assert.equal(scheduler.size, 0);
    assert.equal(clock.pending, 0, 'no timer left once empty');
  });

  test('moving and removing members re-arms the one timer; removing the last clears it', () => {
    const clock = new FakeClock();
    const scheduler = new DeadlineScheduler(clock);
    const log: string[] = [];
    const a = member('a', log);
    const b = member('b', log);
    scheduler.set(a, 1000);
    scheduler.set(b, 2000);
    scheduler.set(b, 50); // earlier: the timer must move forward
    clock.advance(50);
    assert.deepEqual(log, ['b@50']);
    scheduler.set(a, 3000); // later: fires at the new time, not the old one
    clock.advance(1000);
    assert.deepEqual(log, ['b@50']);
    scheduler.remove(a);
    assert.equal(clock.pending, 0);
    clock.advance(5000);
    assert.deepEqual(log, ['b@50']);
  });

  test('a member that reschedules itself from expire() keeps its period', () => {
    const clock = new FakeClock();
    const scheduler = new DeadlineScheduler(clock);
    const log: string[] = [];
    const periodic: Deadline = member('p', log, (now) => {
      if (now < 300) scheduler.set(periodic, now + 100);
    });
    scheduler.set(periodic, 100);
    clock.advance(1000);
    assert.deepEqual(log, ['p@100', 'p@200', 'p@300']);
    assert.equal(clock.pending, 0);
  });

  test('one scheduler per clock', () => {
    const clock = new FakeClock();
    assert.equal(DeadlineScheduler.for(clock), DeadlineScheduler.for(clock));
    assert.notEqual(DeadlineScheduler.for(clock), DeadlineScheduler.for(new FakeClock()));
  });
});
