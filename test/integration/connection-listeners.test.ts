// Several message listeners on one connection: each runs for every message, in the order added (raw
// listeners first), as `ws` users expect of on('message'); each can be removed on its own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../../src/connection/message.js';
import { connectionPair, macrotask, until } from '../helpers/connection-pair.js';

describe('several message listeners', () => {
  test('a second onMessage adds a listener: both run for every message, in the order added', async () => {
    const { client, server } = connectionPair();
    const calls: string[] = [];
    server.onMessage((message) => calls.push(`first ${message.data}`));
    server.onMessage((message) => calls.push(`second ${message.data}`));
    client.send('a');
    client.send('b');
    await until(() => calls.length === 4);
    assert.deepEqual(calls, ['first a', 'second a', 'first b', 'second b']);
    client.terminate();
  });

  test('raw listeners run first, in their order; message listeners share one decoded message', async () => {
    const { client, server } = connectionPair();
    const calls: string[] = [];
    const seen: Message[] = [];
    server.onMessage((message) => {
      calls.push('message 1');
      seen.push(message);
    });
    server.onRawMessage((data, type) => calls.push(`raw 1 ${type} ${data.toString()}`));
    server.onMessage((message) => {
      calls.push('message 2');
      seen.push(message);
    });
    server.onRawMessage(() => calls.push('raw 2'));
    client.send('x');
    await until(() => calls.length === 4);
    assert.deepEqual(calls, ['raw 1 text x', 'raw 2', 'message 1', 'message 2']);
    assert.equal(seen[0], seen[1]);
    client.terminate();
  });

  test('the returned function removes that listener only (once); null removes every one of its kind', async () => {
    const { client, server } = connectionPair();
    const calls: string[] = [];
    const one = (message: Message): void => {
      calls.push(`one ${message.data}`);
    };
    const removeFirst = server.onMessage(one);
    server.onMessage(one); // the same function twice: two registrations
    server.onMessage((message) => calls.push(`two ${message.data}`));
    removeFirst();
    removeFirst(); // a second call does nothing
    client.send('a');
    await until(() => calls.length === 2);
    assert.deepEqual(calls, ['one a', 'two a']);
    server.onMessage(null);
    client.send('b');
    assert.deepEqual(await server.read(), { type: 'text', data: 'b' }, 'no listener left: read() gets it');
    assert.deepEqual(calls, ['one a', 'two a']);
    client.terminate();
  });

  test('queued messages go to every listener; a listener added or removed mid-delivery counts from the next message', async () => {
    const { client, server } = connectionPair();
    client.send('queued');
    await until(() => server.bufferedAmount === 0);
    for (let turn = 0; turn < 3; turn++) await macrotask();
    const calls: string[] = [];
    let removeLate: (() => void) | undefined;
    server.onMessage((message) => {
      calls.push(`first ${message.data}`);
      if (message.data === 'next') removeLate?.();
      else if (removeLate === undefined)
        removeLate = server.onMessage((late) => calls.push(`late ${late.data}`));
    });
    assert.deepEqual(calls, ['first queued'], 'the queued message went to the one listener there was');
    client.send('next');
    client.send('last');
    await until(() => calls.length >= 4);
    for (let turn = 0; turn < 3; turn++) await macrotask();
    // 'next': the late listener still runs (removed during this delivery); 'last': only the first.
    assert.deepEqual(calls, ['first queued', 'first next', 'late next', 'first last']);
    client.terminate();
  });

  test('a listener that throws stops the later ones for that message and closes with 1011', async () => {
    const { client, server } = connectionPair();
    const calls: string[] = [];
    const errors: unknown[] = [];
    server.onError((error) => errors.push(error));
    server.onMessage(() => {
      calls.push('first');
      throw new Error('first fails');
    });
    server.onMessage(() => calls.push('second'));
    client.send('x');
    assert.equal((await client.closed).code, 1011);
    assert.deepEqual(calls, ['first']);
    assert.equal(errors.length, 1);
  });
});
