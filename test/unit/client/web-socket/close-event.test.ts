import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseEvent } from '../../../../src/client/web-socket/close-event.js';

describe('CloseEvent (WHATWG WebSockets, "The CloseEvent interface")', () => {
  test('defaults: not clean, code 0, empty reason; an Event that does not bubble', () => {
    const event = new CloseEvent('close');
    assert.deepEqual([event.wasClean, event.code, event.reason, event.type], [false, 0, '', 'close']);
    assert.ok(event instanceof Event);
    assert.equal(event.bubbles, false);
    assert.equal(Object.prototype.toString.call(event), '[object CloseEvent]');
  });

  test('the init dictionary is converted: boolean, unsigned short, USVString, EventInit', () => {
    const event = new CloseEvent('close', {
      wasClean: 1 as unknown as boolean,
      code: 66536,
      reason: 'a\uDC00',
      bubbles: true,
    });
    assert.deepEqual(
      [event.wasClean, event.code, event.reason, event.bubbles],
      [true, 1000, 'a\uFFFD', true],
    );
  });

  test('the type is required; the attributes are read-only accessors on the prototype', () => {
    assert.throws(() => new (CloseEvent as unknown as new () => CloseEvent)(), TypeError);
    assert.equal(CloseEvent.length, 1);
    assert.deepEqual(Object.keys(CloseEvent.prototype), ['wasClean', 'code', 'reason']);
    const event = new CloseEvent('close', { code: 4000 });
    assert.equal(Reflect.set(event, 'code', 1), false);
    assert.equal(event.code, 4000);
  });
});
