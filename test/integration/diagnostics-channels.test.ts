// The server's node:diagnostics_channel events (docs/observability.md), checked against real
// traffic: a real server on 127.0.0.1 and `ws` clients.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Logger, logServerEvents } from '../../src/cli/serve/log.js';
import { type Connection, WebSocketServer } from '../../src/index.js';

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
    assert.equal(close.closedBy, 'remote');
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
    assert.equal((closed.at(-1) as Event).closedBy, 'abnormal');
  });

  test('a close the server starts is reported as local', async () => {
    const client = new WebSocket(`${url}/ok`);
    await once(client, 'open');
    await until(() => server.connections.size === 1);
    const before = closed.length;
    const [connection] = [...server.connections];
    void connection?.close(4001, 'from the server');
    await once(client, 'close');
    await until(() => closed.length === before + 1);
    const event = closed.at(-1) as Event;
    assert.equal(event.code, 4001);
    assert.equal(event.closedBy, 'local');
    assert.equal(event.wasClean, true);
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
    assert.equal(event.category, 'rejected');
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

describe('diagnostics channels: drops, budget, heartbeat, protocol errors', () => {
  const dropped = record('fullduplex:message:dropped');
  const shed = record('fullduplex:budget:shed');
  const timeouts = record('fullduplex:heartbeat:timeout');
  const protocolErrors = record('fullduplex:protocol:error');
  const closed = record('fullduplex:connection:close');
  let server: WebSocketServer;
  let url: string;
  /** With a heartbeat (apart, so the flooded peers that do not read are not timed out first). */
  let beating: WebSocketServer;
  let beatingUrl: string;
  const logLines: string[] = [];
  const stopLogging = logServerEvents(new Logger('info', 'json', (line) => logLines.push(line)));
  after(stopLogging);

  before(async () => {
    server = new WebSocketServer({
      memoryBudget: 256 * 1024,
      connection: { maxBufferedBytes: 16 * 1024 },
      onConnection: (connection) => {
        const path = connection.request?.url;
        if (path === '/flood-drop') floodUntilDropped(connection);
        else if (path === '/flood-wait') floodUntilClosed(connection);
      },
    });
    const address = await server.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${address.port}`;
    beating = new WebSocketServer({ connection: { heartbeat: { pingInterval: 100, pongTimeout: 200 } } });
    beatingUrl = `ws://127.0.0.1:${(await beating.listen(0, '127.0.0.1')).port}`;
  });
  after(() => Promise.all([server.close(), beating.close()]));

  /** Sends 32 KiB messages under drop-newest to a peer that does not read, until one is dropped. */
  function floodUntilDropped(connection: Connection): void {
    const chunk = Buffer.alloc(32 * 1024);
    let sent = 0;
    const step = (): void => {
      for (let index = 0; index < 64 && connection.stats.messagesDropped === 0; index++)
        connection.send(chunk, { backpressure: 'drop-newest' });
      sent += 64;
      if (connection.stats.messagesDropped === 0 && connection.readyState === 'open' && sent < 20_000)
        setImmediate(step);
    };
    step();
  }

  /** Sends 32 KiB messages under 'wait' to a peer that does not read, until the budget closes it. */
  function floodUntilClosed(connection: Connection): void {
    const chunk = Buffer.alloc(32 * 1024);
    let sent = 0;
    const step = (): void => {
      try {
        for (let index = 0; index < 64; index++) connection.send(chunk);
      } catch {
        return; // closed by the budget
      }
      sent += 64;
      if (connection.readyState === 'open' && sent < 20_000) setImmediate(step);
    };
    step();
  }

  test('a message dropped by a slow-consumer policy: the policy, messages and bytes', async () => {
    const client = new WebSocket(`${url}/flood-drop`, { autoPong: true });
    await once(client, 'upgrade');
    (client as unknown as { _socket: Socket })._socket.pause();
    await until(() => dropped.length > 0);
    const event = dropped[0] as Event;
    assert.equal(event.policy, 'drop-newest');
    assert.equal(event.messages, 1);
    assert.ok((event.bytes as number) > 32 * 1024, 'frame bytes: the payload and its header');
    assert.ok([...server.connections].includes(event.connection as never));
    client.terminate();
  });

  test('budget shedding: the connection, its code and the cause; logged as a warning', async () => {
    const client = new WebSocket(`${url}/flood-wait`);
    client.on('error', () => {});
    await once(client, 'upgrade');
    (client as unknown as { _socket: Socket })._socket.pause();
    await until(() => shed.length > 0);
    const event = shed[0] as Event;
    assert.equal(event.code, 1013);
    assert.equal(event.cause, 'outbound');
    assert.equal(event.budgetLimitBytes, 256 * 1024);
    assert.ok((event.budgetUsedBytes as number) > 256 * 1024);
    const line = logLines.map((text) => JSON.parse(text)).find((entry) => entry.event === 'budget.shed');
    assert.equal(line?.level, 'warn');
    assert.equal(line?.cause, 'outbound');
    assert.equal(line?.remoteAddress, '127.0.0.1');
    client.terminate();
    assert.equal(server.metrics().budgetShed, 1);
  });

  test('heartbeat timeout: a peer that answers no ping is dropped, 1006, closed by nobody', async () => {
    const client = new WebSocket(`${beatingUrl}/silent`, { autoPong: false });
    const clientClosed = once(client, 'close');
    await once(client, 'open');
    await until(() => timeouts.length > 0);
    const event = timeouts[0] as Event;
    assert.match(event.reason as string, /pong not received within 200 ms/);
    await until(() => closed.some((close) => close.connection === event.connection));
    const close = closed.find((entry) => entry.connection === event.connection) as Event;
    assert.equal(close.code, 1006);
    assert.equal(close.closedBy, 'abnormal');
    await clientClosed;
    assert.equal(beating.metrics().heartbeatTimeouts, 1);
  });

  test('protocol error: the close code and message (an unmasked client frame is a 1002)', async () => {
    const client = new WebSocket(`${beatingUrl}/bad`);
    await once(client, 'open');
    const clientClosed = once(client, 'close');
    (client as unknown as { _socket: Socket })._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const [code] = (await clientClosed) as [number];
    assert.equal(code, 1002);
    await until(() => protocolErrors.length > 0);
    const event = protocolErrors[0] as Event;
    assert.equal(event.code, 1002);
    assert.match(event.message as string, /mask/i);
    assert.deepEqual(beating.metrics().protocolErrors, [{ code: 1002, count: 1 }]);
    const line = logLines.map((text) => JSON.parse(text)).find((entry) => entry.event === 'protocol.error');
    assert.equal(line?.code, 1002);
    await until(() => closed.some((close) => close.connection === event.connection));
    assert.equal((closed.find((close) => close.connection === event.connection) as Event).closedBy, 'local');
  });
});
