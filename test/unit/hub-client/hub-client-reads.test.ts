// The hub client's presence and history reads, and join/leave on a subscription, over a fake
// WebSocket: requests carry ids, answers and refusals find their promise, a drop fails what is owed.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { HubClient } from '../../../src/hub-client/hub-client.js';
import type { HubClientError } from '../../../src/hub-client/hub-client-error.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeWebSocket } from './fake-web-socket.js';

let clock: FakeClock;

function connected(): { hub: HubClient<{ text: string }>; socket: FakeWebSocket } {
  const hub = new HubClient<{ text: string }>('ws://hub.test/', {
    WebSocket: FakeWebSocket,
    clock,
    random: () => 0.5,
    lifecycleEvents: false,
  });
  hub.connect();
  const socket = FakeWebSocket.last;
  socket.accept();
  return { hub, socket };
}

beforeEach(() => {
  FakeWebSocket.instances = [];
  clock = new FakeClock();
});

describe('presence and history reads', () => {
  test('presence() asks with an id and resolves with the entries of its answer', async () => {
    const { hub, socket } = connected();
    const listed = hub.presence('room');
    const [request] = socket.sentOps('presence');
    assert.deepEqual(request, { op: 'presence', id: request?.id, topic: 'room' });
    const entries = [{ id: 'a', info: { nick: 'alice' } }, { id: 'b' }];
    socket.receive({ op: 'presence', id: request?.id, topic: 'room', entries });
    assert.deepEqual(await listed, entries);
    hub.close();
  });

  test('history() decodes the publications with the codec, oldest first; a failed read gives its reason', async () => {
    const { hub, socket } = connected();
    const read = hub.history('room', { limit: 2 });
    const [request] = socket.sentOps('history');
    assert.deepEqual(request, { op: 'history', id: request?.id, topic: 'room', limit: 2 });
    socket.receive({
      op: 'history',
      id: request?.id,
      topic: 'room',
      ok: true,
      position: { offset: 9, epoch: 'e' },
      publications: [
        { offset: 8, epoch: 'e', data: '{"text":"eight"}' },
        { offset: 9, epoch: 'e', data: btoa('{"text":"nine"}'), binary: true },
      ],
    });
    assert.deepEqual(await read, {
      ok: true,
      position: { offset: 9, epoch: 'e' },
      messages: [
        { topic: 'room', offset: 8, epoch: 'e', data: { text: 'eight' } },
        { topic: 'room', offset: 9, epoch: 'e', data: { text: 'nine' } },
      ],
    });
    const since = hub.history('room', { since: { offset: 1, epoch: 'old' } });
    const second = socket.sentOps('history')[1];
    assert.deepEqual(second?.since, { offset: 1, epoch: 'old' });
    socket.receive({
      op: 'history',
      id: second?.id,
      topic: 'room',
      ok: false,
      position: { offset: 9, epoch: 'e' },
      reason: 'epoch-changed',
    });
    assert.deepEqual(await since, {
      ok: false,
      position: { offset: 9, epoch: 'e' },
      reason: 'epoch-changed',
    });
    hub.close();
  });

  test('a refusal rejects with the server code; a payload that does not decode rejects with decode', async () => {
    const { hub, socket } = connected();
    const refused = hub.presence('secret');
    const [request] = socket.sentOps('presence');
    socket.receive({ op: 'error', id: request?.id, code: 'forbidden', message: 'no' });
    await assert.rejects(refused, (error: HubClientError) => error.code === 'forbidden');
    const broken = hub.history('room');
    const [read] = socket.sentOps('history');
    socket.receive({
      op: 'history',
      id: read?.id,
      ok: true,
      position: { offset: 1, epoch: 'e' },
      publications: [{ offset: 1, epoch: 'e', data: 'not json' }],
    });
    await assert.rejects(broken, (error: HubClientError) => error.code === 'decode');
    hub.close();
  });

  test('reads are not queued: not-connected before the welcome, connection-lost on a drop, closed after close()', async () => {
    const hub = new HubClient('ws://hub.test/', { WebSocket: FakeWebSocket, clock, lifecycleEvents: false });
    await assert.rejects(hub.presence('room'), (error: HubClientError) => error.code === 'not-connected');
    hub.connect();
    FakeWebSocket.last.accept();
    const owed = hub.history('room');
    FakeWebSocket.last.drop();
    await assert.rejects(owed, (error: HubClientError) => error.code === 'connection-lost');
    clock.advance(1000);
    FakeWebSocket.last.accept();
    const pending = hub.presence('room');
    hub.close();
    await assert.rejects(pending, (error: HubClientError) => error.code === 'closed');
    await assert.rejects(hub.presence('room'), (error: HubClientError) => error.code === 'closed');
  });
});

describe('join and leave', () => {
  test('reach the subscription of their topic once it is active, with the entry', () => {
    const { hub, socket } = connected();
    const room = hub.subscribe('room');
    const events: string[] = [];
    room.on('join', ({ topic, entry }) =>
      events.push(`join ${topic} ${entry.id} ${JSON.stringify(entry.info)}`),
    );
    room.on('leave', ({ entry }) => events.push(`leave ${entry.id}`));
    socket.receive({ op: 'join', topic: 'room', entry: { id: 'early' } }); // before the answer: not ours yet
    const [request] = socket.sentOps('subscribe');
    socket.receive({ op: 'subscribed', id: request?.id, topic: 'room', position: { offset: 0, epoch: 'e' } });
    socket.receive({ op: 'join', topic: 'room', entry: { id: 'a', info: { nick: 'alice' } } });
    socket.receive({ op: 'join', topic: 'elsewhere', entry: { id: 'x' } });
    socket.receive({ op: 'leave', topic: 'room', entry: { id: 'a' } });
    socket.receive({ op: 'leave', topic: 'room', entry: 'malformed' });
    assert.deepEqual(events, ['join room a {"nick":"alice"}', 'leave a']);
    hub.close();
  });
});
