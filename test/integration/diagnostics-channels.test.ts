// The server's node:diagnostics_channel events (docs/observability.md), checked against real
// traffic: a real server on 127.0.0.1 and `ws` clients.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { WebSocketServer } from '../../src/index.js';

type Event = Record<string, unknown>;

/** Subscribes to `name` for the rest of the file; returns the messages seen. */
function record(name: string): Event[] {
  const seen: Event[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as Event);
  };
  diagnostics.subscribe(name, listener);
  after(() => diagnostics.unsubscribe(name, listener));
  return seen;
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2000 && !condition(); turn++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition not reached within 10 s');
}

describe('diagnostics channels', () => {
  let server: WebSocketServer;
  let url: string;
  const opened = record('fullduplex:connection:open');
  const closed = record('fullduplex:connection:close');
  const refused = record('fullduplex:handshake:refused');
  const traced: { phase: string; context: Event }[] = [];
  const tracing = diagnostics.tracingChannel('fullduplex:upgrade');
  const handlers = {
    start: (context: unknown) => traced.push({ phase: 'start', context: context as Event }),
    end: (context: unknown) => traced.push({ phase: 'end', context: context as Event }),
    asyncStart: (context: unknown) => traced.push({ phase: 'asyncStart', context: context as Event }),
    asyncEnd: (context: unknown) => traced.push({ phase: 'asyncEnd', context: context as Event }),
    error: (context: unknown) => traced.push({ phase: 'error', context: context as Event }),
  };
  tracing.subscribe(handlers);
  after(() => tracing.unsubscribe(handlers));

  before(async () => {
    server = new WebSocketServer({
      authorize: (request) => (request.url === '/denied' ? { status: 403, body: 'not you' } : true),
      onConnection: (connection) => {
        connection.onMessage((message) => connection.send(message.data));
      },
    });
    const address = await server.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${address.port}`;
  });
  after(() => server.close());

  test('open and close: the connection, code, reason, clean or not, and how long it lived', async () => {
    const client = new WebSocket(`${url}/ok`);
    await once(client, 'open');
    await until(() => opened.length === 1);
    const open = opened[0] as Event;
    assert.equal(open.remoteAddress, '127.0.0.1');
    assert.equal([...server.connections][0], open.connection);
    client.send('hello');
    await once(client, 'message');
    client.close(4000, 'bye');
    await once(client, 'close');
    await until(() => closed.length === 1);
    const close = closed[0] as Event;
    assert.equal(close.connection, open.connection);
    assert.equal(close.code, 4000);
    assert.equal(close.reason, 'bye');
    assert.equal(close.wasClean, true);
    assert.equal(typeof close.durationMs, 'number');
    assert.ok((close.durationMs as number) >= 0);
  });

  test('an abnormal end is reported as 1006, not clean', async () => {
    const client = new WebSocket(`${url}/ok`);
    await once(client, 'open');
    const before = closed.length;
    client.terminate();
    await until(() => closed.length === before + 1);
    assert.equal((closed.at(-1) as Event).code, 1006);
    assert.equal((closed.at(-1) as Event).wasClean, false);
  });

  test('handshake refused: status and reason (the answer body)', async () => {
    const before = refused.length;
    const client = new WebSocket(`${url}/denied`);
    client.on('error', () => {}); // ws reports the refusal as an error too
    const [, response] = (await once(client, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 403);
    client.terminate();
    await until(() => refused.length === before + 1);
    const event = refused.at(-1) as Event;
    assert.equal(event.status, 403);
    assert.equal(event.reason, 'not you');
    assert.equal(event.remoteAddress, '127.0.0.1');
  });

  test('the upgrade is traced: start, then asyncEnd with the Connection or undefined when refused', async () => {
    traced.length = 0;
    const client = new WebSocket(`${url}/traced`);
    await once(client, 'open');
    await until(() => traced.some((entry) => entry.phase === 'asyncEnd'));
    const phases = traced.map((entry) => entry.phase);
    assert.deepEqual(phases.slice(0, 2), ['start', 'end']);
    const done = traced.find((entry) => entry.phase === 'asyncEnd') as { context: Event };
    assert.equal((done.context.request as { url: string }).url, '/traced');
    assert.ok([...server.connections].includes(done.context.result as never));
    client.close();
    await once(client, 'close');

    traced.length = 0;
    const denied = new WebSocket(`${url}/denied`);
    denied.on('error', () => {});
    await once(denied, 'unexpected-response');
    denied.terminate();
    await until(() => traced.some((entry) => entry.phase === 'asyncEnd'));
    assert.equal(
      (traced.find((entry) => entry.phase === 'asyncEnd') as { context: Event }).context.result,
      undefined,
    );
  });
});
