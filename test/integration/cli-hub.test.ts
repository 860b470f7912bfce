// `fullduplex serve --mode hub` as a real process: plain clients (ws, Python websockets) on
// /topics/NAME, hub-protocol clients (ws with the fullduplex.hub.v1 subprotocol), recovery after a
// reconnect, and bad input that must get a clear answer and cost nothing else.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { type HubProcess, startHubProcess } from '../helpers/hub-process.js';
import { PYTHON, pythonWebsockets, skipUnless } from '../interop/harness/peer-availability.js';

const HUB = 'fullduplex.hub.v1';

let hub: HubProcess;
let base: string;

before(async () => {
  hub = await startHubProcess(['--history', '50']);
  base = hub.url;
});

after(async () => {
  hub.kill('SIGTERM');
  const timer = setTimeout(() => hub.kill('SIGKILL'), 5000);
  await hub.exited;
  clearTimeout(timer);
});

interface Received {
  readonly data: string;
  readonly binary: boolean;
}

/** A ws client that records every message. */
async function open(path: string, protocol?: string): Promise<{ socket: WebSocket; received: Received[] }> {
  const socket = protocol ? new WebSocket(`${base}${path}`, protocol) : new WebSocket(`${base}${path}`);
  const received: Received[] = [];
  socket.on('message', (data, binary) => {
    received.push({ data: binary ? (data as Buffer).toString('hex') : String(data), binary });
  });
  await once(socket, 'open');
  return { socket, received };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Hub-protocol frames received, parsed. */
const frames = (received: Received[]) => received.map((r) => JSON.parse(r.data) as Record<string, unknown>);

async function request(client: { socket: WebSocket; received: Received[] }, frame: object, op: string) {
  const before = client.received.length;
  client.socket.send(JSON.stringify(frame));
  await until(() => frames(client.received.slice(before)).some((f) => f.op === op || f.op === 'error'));
  return frames(client.received.slice(before)).find((f) => f.op === op || f.op === 'error') as Record<
    string,
    unknown
  >;
}

/** A Python websockets client on /topics/NAME: sends `send`, then prints the first `count` messages. */
function pythonPlain(url: string, send: string[], count: number): Promise<Received[]> {
  const script = `
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        await asyncio.sleep(0.2)
        for item in json.loads(sys.argv[2]):
            await ws.send(bytes.fromhex(item[4:]) if item.startswith('hex:') else item)
        for _ in range(int(sys.argv[3])):
            m = await asyncio.wait_for(ws.recv(), 10)
            print(json.dumps({'binary': isinstance(m, bytes), 'data': m.hex() if isinstance(m, bytes) else m}), flush=True)
asyncio.run(main())
`;
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-c', script, url, JSON.stringify(send), String(count)],
      { timeout: 20_000 },
      (error, stdout) => {
        if (error) reject(error);
        else
          resolve(
            stdout
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as Received),
          );
      },
    );
  });
}

describe('serve --mode hub: the plain endpoint', () => {
  test('ws and Python websockets on /topics/NAME: everyone gets every message (own included), unchanged', {
    skip: skipUnless(pythonWebsockets()),
  }, async () => {
    const a = await open('/topics/chat');
    const b = await open('/topics/chat');
    const python = pythonPlain(`${base}/topics/chat`, ['from python', 'hex:00ff10'], 4);
    await until(() => a.received.length === 2);
    a.socket.send('from a');
    b.socket.send(Buffer.from([1, 2, 3]));
    const expected: Received[] = [
      { binary: false, data: 'from python' },
      { binary: true, data: '00ff10' },
      { binary: false, data: 'from a' },
      { binary: true, data: '010203' },
    ];
    assert.deepEqual(await python, expected);
    await until(() => a.received.length === 4 && b.received.length === 4);
    assert.deepEqual(a.received, expected);
    assert.deepEqual(b.received, expected);
    a.socket.close();
    b.socket.close();
  });

  test('topics are separate; a hub-protocol subscriber sees plain messages with offsets', async () => {
    const plain = await open('/topics/a%2Fb');
    const other = await open('/topics/other');
    const hub = await open('/', HUB);
    await until(() => frames(hub.received)[0]?.op === 'welcome');
    const ack = await request(hub, { op: 'subscribe', id: 1, topic: 'a/b' }, 'subscribed');
    assert.equal(ack.id, 1);
    plain.socket.send('hello');
    await until(() => hub.received.length === 3);
    const message = frames(hub.received)[2] as Record<string, unknown>;
    assert.equal(message.op, 'message');
    assert.equal(message.topic, 'a/b');
    assert.equal(message.data, 'hello');
    assert.equal(message.offset, (ack.position as { offset: number }).offset + 1);
    await sleep(50);
    assert.equal(other.received.length, 0);
    for (const c of [plain, other, hub]) c.socket.close();
  });

  test('an invalid topic path is refused with 400; another path without the subprotocol with 404', async () => {
    for (const [path, status] of [
      ['/topics/bad%20name', 400],
      ['/topics/', 400],
      ['/elsewhere', 404],
    ] as const) {
      const socket = new WebSocket(`${base}${path}`);
      socket.on('error', () => {}); // ws reports the refused handshake again as an error
      const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(response.statusCode, status, path);
      socket.terminate();
    }
  });

  test('a plain message over 64 KiB closes that client with 1009; the others lose nothing', async () => {
    const big = await open('/topics/big');
    const watcher = await open('/topics/big');
    big.socket.send('x'.repeat(65_537));
    const [code] = (await once(big.socket, 'close')) as [number];
    assert.equal(code, 1009);
    const sender = await open('/topics/big');
    sender.socket.send('after');
    await until(() => watcher.received.length === 1);
    assert.deepEqual(watcher.received, [{ binary: false, data: 'after' }]);
    watcher.socket.close();
    sender.socket.close();
  });
});

describe('serve --mode hub: the hub protocol', () => {
  test('welcome announces the protocol, the client id and the ping interval', async () => {
    const hub = await open('/', HUB);
    await until(() => hub.received.length === 1);
    const welcome = frames(hub.received)[0] as Record<string, unknown>;
    assert.equal(welcome.op, 'welcome');
    assert.equal(welcome.protocol, HUB);
    assert.equal(typeof welcome.client, 'string');
    // The hub pings as often as --ping-interval (default 30000 ms), announced in seconds.
    assert.equal(welcome.ping, 30);
    hub.socket.close();
  });

  test('publish acks with offset and epoch; a reconnect with the last position recovers what it missed', async () => {
    const first = await open('/', HUB);
    const ack = await request(first, { op: 'subscribe', id: 's', topic: 'feed' }, 'subscribed');
    const published = await request(
      first,
      { op: 'publish', id: 'p1', topic: 'feed', data: 'm1' },
      'published',
    );
    assert.equal(published.offset, (ack.position as { offset: number }).offset + 1);
    await until(() => frames(first.received).some((f) => f.op === 'message'));
    const last = frames(first.received).find((f) => f.op === 'message') as { offset: number; epoch: string };
    first.socket.close();
    await once(first.socket, 'close');

    const publisher = await open('/topics/feed');
    publisher.socket.send('m2');
    publisher.socket.send(Buffer.from('m3'));
    await until(() => publisher.received.length === 2);

    const again = await open('/', HUB);
    again.socket.send(
      JSON.stringify({
        op: 'subscribe',
        id: 2,
        topic: 'feed',
        since: { offset: last.offset, epoch: last.epoch },
      }),
    );
    await until(() => frames(again.received).filter((f) => f.op === 'message').length === 2);
    publisher.socket.send('m4');
    await until(() => frames(again.received).filter((f) => f.op === 'message').length === 3);
    const after = frames(again.received).slice(1);
    assert.deepEqual(after[0], {
      op: 'subscribed',
      id: 2,
      topic: 'feed',
      position: { offset: last.offset, epoch: last.epoch },
      recovered: true,
    });
    assert.deepEqual(
      after.slice(1).map((f) => [f.offset, f.data, f.binary ?? false]),
      [
        [last.offset + 1, 'm2', false],
        [last.offset + 2, Buffer.from('m3').toString('base64'), true],
        [last.offset + 3, 'm4', false],
      ],
    );
    const stale = await request(
      again,
      { op: 'subscribe', id: 3, topic: 'feed2', since: { offset: 3, epoch: 'gone' } },
      'subscribed',
    );
    assert.equal(stale.recovered, false);
    assert.equal(stale.reason, 'epoch-changed');
    again.socket.close();
    publisher.socket.close();
  });

  test('history and presence answer with the topic state', async () => {
    const hub = await open('/', HUB);
    await request(hub, { op: 'publish', id: 1, topic: 'hist', data: 'h1' }, 'published');
    await request(hub, { op: 'publish', id: 2, topic: 'hist', data: 'h2' }, 'published');
    const history = await request(hub, { op: 'history', id: 3, topic: 'hist', limit: 1 }, 'history');
    assert.equal(history.ok, true);
    assert.deepEqual(
      (history.publications as { data: string }[]).map((p) => p.data),
      ['h2'],
    );
    const presence = await request(hub, { op: 'presence', id: 4, topic: 'hist' }, 'presence');
    assert.deepEqual(presence.entries, []);
    hub.socket.close();
  });

  test('bad frames get error frames with stable codes; the connection and everyone else carry on', async () => {
    const watcher = await open('/topics/safe');
    const hub = await open('/', HUB);
    await until(() => hub.received.length === 1);
    const cases: [string | Buffer, string][] = [
      ['not json', 'bad-request'],
      ['[1,2]', 'bad-request'],
      [JSON.stringify({ op: 'teleport', id: 9 }), 'unknown-op'],
      [JSON.stringify({ id: 9 }), 'bad-request'],
      [JSON.stringify({ op: 'subscribe', id: 9, topic: 'has space' }), 'invalid-topic'],
      [JSON.stringify({ op: 'publish', id: 9, topic: 'x'.repeat(201), data: '' }), 'invalid-topic'],
      [JSON.stringify({ op: 'publish', id: 9, topic: 'safe' }), 'bad-request'],
      [JSON.stringify({ op: 'publish', id: 9, topic: 'safe', data: '!!', binary: true }), 'bad-request'],
      [JSON.stringify({ op: 'publish', id: 9, topic: 'safe', data: 'y'.repeat(65_537) }), 'too-big'],
      [JSON.stringify({ op: 'publish', id: 9, topic: 'safe', data: 'z'.repeat(200_000) }), 'too-big'],
      [
        JSON.stringify({ op: 'subscribe', id: 9, topic: 'safe', since: { offset: -1, epoch: 'e' } }),
        'bad-request',
      ],
      [JSON.stringify({ op: 'unsubscribe', id: 9, topic: 'never' }), 'not-subscribed'],
      [Buffer.from('{"op":"ping"}'), 'bad-request'],
    ];
    for (const [data, code] of cases) {
      const before = hub.received.length;
      hub.socket.send(data);
      await until(() => hub.received.length > before);
      const answer = frames(hub.received)[before] as Record<string, unknown>;
      assert.equal(answer.op, 'error', String(data).slice(0, 60));
      assert.equal(answer.code, code, String(data).slice(0, 60));
      assert.equal(typeof answer.message, 'string');
    }
    const ok = await request(hub, { op: 'publish', id: 10, topic: 'safe', data: 'valid' }, 'published');
    assert.equal(ok.op, 'published');
    await until(() => watcher.received.length === 1);
    await sleep(50);
    assert.deepEqual(watcher.received, [{ binary: false, data: 'valid' }]);
    assert.equal(hub.socket.readyState, WebSocket.OPEN);
    const pong = await request(hub, { op: 'ping', id: 11 }, 'pong');
    assert.equal(pong.id, 11);
    hub.socket.close();
    watcher.socket.close();
  });
});
