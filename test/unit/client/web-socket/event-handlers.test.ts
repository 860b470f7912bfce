import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventHandlers } from '../../../../src/client/web-socket/event-handlers.js';

describe('event handler attributes (HTML "event handlers")', () => {
  test('a handler keeps the place of its first setting among the listeners; null removes it', () => {
    const target = new EventTarget();
    const handlers = new EventHandlers(target);
    const calls: string[] = [];
    target.addEventListener('message', () => calls.push('A'));
    handlers.set('message', () => calls.push('handler 1'));
    target.addEventListener('message', () => calls.push('B'));
    target.dispatchEvent(new Event('message'));
    handlers.set('message', () => calls.push('handler 2'));
    target.dispatchEvent(new Event('message'));
    handlers.set('message', null);
    handlers.set('message', () => calls.push('handler 3'));
    target.dispatchEvent(new Event('message'));
    assert.deepEqual(calls, ['A', 'handler 1', 'B', 'A', 'handler 2', 'B', 'A', 'B', 'handler 3']);
  });

  test('the handler is called with the target as this and the event', () => {
    const target = new EventTarget();
    const handlers = new EventHandlers(target);
    let seen: unknown[] = [];
    handlers.set('open', function (this: unknown, event: Event) {
      seen = [this, event.type];
    });
    target.dispatchEvent(new Event('open'));
    assert.deepEqual(seen, [target, 'open']);
  });

  test('non-objects become null; objects are kept but not called', () => {
    const target = new EventTarget();
    const handlers = new EventHandlers(target);
    handlers.set('open', 'alert(1)');
    assert.equal(handlers.get('open'), null);
    const object = { handleEvent: () => assert.fail('an event handler is not a listener object') };
    handlers.set('open', object);
    assert.equal(handlers.get('open'), object);
    target.dispatchEvent(new Event('open'));
    handlers.set('open', 5);
    assert.equal(handlers.get('open'), null);
  });
});
