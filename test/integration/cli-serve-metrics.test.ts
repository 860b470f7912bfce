// `fullduplex serve --metrics-port` scraped over HTTP under real traffic: `ws` clients on the hub's
// /topics/NAME (publishers, subscribers, one that stops reading, one that breaks the protocol, one
// that never answers a ping, one refused), and hub-protocol clients (fullduplex/client). Every line
// of the scrape is read by a strict reader of the format and by Prometheus's own `promtool check
// metrics`; the figures are checked against the traffic. The JSON log lines on stderr are checked
// against the same events.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { WebSocket as FullduplexWebSocket } from '../../src/client/web-socket/web-socket.js';
import { HubClient, type TopicMessage } from '../../src/hub-client/index.js';
import { bin } from '../helpers/cli.js';
import { type Exposition, parseExposition } from '../helpers/prometheus-exposition.js';

const PROMTOOL = '/usr/bin/promtool';

function promtoolMissing(): false | string {
  if (existsSync(PROMTOOL)) return false;
  const reason = `${PROMTOOL} not found (apt-get install prometheus)`;
  if (process.env.CI === 'true') throw new Error(`test tool missing in CI: ${reason}`);
  return reason;
}

async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Served {
  readonly child: ChildProcessWithoutNullStreams;
  readonly wsUrl: string;
  readonly metricsUrl: string;
  stderr(): string;
}

async function startServe(args: readonly string[]): Promise<Served> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args]);
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });
  // Both lines may come in one chunk: readline then emits them in one go, so collect them all.
  const seen: string[] = [];
  const twoLines = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      seen.push(line);
      if (seen.length === 2) resolve();
    });
    child.once('exit', () => reject(new Error(`serve exited before listening: ${errors}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await twoLines.finally(() => clearTimeout(timer));
  const ws = /^listening (ws:\/\/127\.0\.0\.1:\d+)\/$/.exec(seen[0] as string);
  const metrics = /^metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(seen[1] as string);
  assert.ok(ws && metrics, `startup lines: ${JSON.stringify(seen)}`);
  return { child, wsUrl: ws[1] as string, metricsUrl: metrics[1] as string, stderr: () => errors };
}

async function scrape(url: string): Promise<{ text: string; parsed: Exposition; contentType: string }> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const text = await response.text();
  return { text, parsed: parseExposition(text), contentType: response.headers.get('content-type') ?? '' };
}

function openWs(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const socket = new WebSocket(url, options);
  sockets.add(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const sockets = new Set<WebSocket>();
const hubClients = new Set<{ close(): void }>();

describe('serve --metrics-port: a scrape under real traffic', () => {
  let served: Served;
  before(async () => {
    served = await startServe([
      '--mode',
      'hub',
      '--metrics-port',
      '0',
      '--ping-interval',
      '1000',
      '--pong-timeout',
      '1000',
      '--max-buffered-bytes',
      '65536',
      '--publish-rate',
      '0',
      '--log-level',
      'debug',
      '--log-format',
      'json',
    ]);
  });
  after(async () => {
    for (const client of hubClients) client.close();
    for (const socket of sockets) socket.terminate();
    if (served && served.child.exitCode === null) {
      const exited = once(served.child, 'exit');
      served.child.kill('SIGKILL');
      await exited;
    }
  });

  test('every figure follows the traffic; every line passes the format rules and promtool', async (t) => {
    const { wsUrl, metricsUrl } = served;
    // Plain clients: two subscribers and a publisher on /topics/chat.
    const readers = [await openWs(`${wsUrl}/topics/chat`), await openWs(`${wsUrl}/topics/chat`)];
    const got = [0, 0];
    for (const [index, reader] of readers.entries())
      reader.on('message', () => {
        got[index] = (got[index] as number) + 1;
      });
    const writer = await openWs(`${wsUrl}/topics/chat`);
    const subscriptions = async (): Promise<number> =>
      (await scrape(metricsUrl)).parsed.value('fullduplex_hub_subscriptions') ?? 0;
    await waitFor('3 subscriptions to chat', async () => (await subscriptions()) >= 3);
    for (let index = 0; index < 20; index++) writer.send(`chat ${index}`);
    await waitFor('20 messages at both readers (and the writer)', () => got[0] === 20 && got[1] === 20);

    // Hub-protocol clients.
    const subscriber = new HubClient<string>(`${wsUrl}/`, { WebSocket: FullduplexWebSocket });
    const publisher = new HubClient<string>(`${wsUrl}/`, { WebSocket: FullduplexWebSocket });
    hubClients.add(subscriber);
    hubClients.add(publisher);
    const news: TopicMessage<string>[] = [];
    const topic = subscriber.subscribe('news');
    topic.on('message', (message) => news.push(message));
    let subscribed = false;
    topic.on('subscribed', () => {
      subscribed = true;
    });
    subscriber.connect();
    publisher.connect();
    await waitFor('subscribed to news', () => subscribed);
    for (let index = 0; index < 5; index++) await publisher.publish('news', `n${index}`);
    await waitFor('5 news', () => news.length === 5);

    // Refused: neither /topics/NAME nor the hub subprotocol.
    const refused = new WebSocket(`${wsUrl}/nowhere`);
    sockets.add(refused);
    refused.on('error', () => {});
    const [, answer] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(answer.statusCode, 404);

    // A protocol error: an unmasked client frame.
    const breaker = await openWs(`${wsUrl}/topics/chat`);
    const breakerClosed = once(breaker, 'close');
    (breaker as unknown as { _socket: Socket })._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    assert.equal(((await breakerClosed) as [number])[0], 1002);

    // A peer that answers no ping.
    const silent = await openWs(`${wsUrl}/topics/quiet`, { autoPong: false });
    const silentClosed = once(silent, 'close');

    // A subscriber that stops reading while 32 KiB messages are published: the topic's policy
    // (drop-newest) drops for it once its buffer is over --max-buffered-bytes.
    const stalled = await openWs(`${wsUrl}/topics/flood`);
    (stalled as unknown as { _socket: Socket })._socket.pause();
    const flooder = await openWs(`${wsUrl}/topics/flood`);
    flooder.on('message', () => {});
    // No wait for the subscriptions: publishing goes on (bounded) until the stalled one drops.
    const big = Buffer.alloc(32 * 1024, 1);
    let floods = 0;
    let dropped = 0;
    while (dropped === 0 && floods < 4000) {
      for (let index = 0; index < 50; index++) flooder.send(big);
      floods += 50;
      await new Promise<void>((resolve) => flooder.send('', () => resolve()));
      dropped =
        (await scrape(metricsUrl)).parsed.value('fullduplex_dropped_messages_total', {
          policy: 'drop-newest',
        }) ?? 0;
    }
    assert.ok(dropped > 0, `a drop after ${floods} publications`);

    const [silentCode] = (await silentClosed) as [number];
    assert.equal(silentCode, 1006, 'the silent peer was cut off');
    readers[0]?.close(4000, 'done');
    await once(readers[0] as WebSocket, 'close');

    const { text, parsed, contentType } = await scrape(metricsUrl);
    await waitFor('the 4000 close counted', async () => {
      const now = (await scrape(metricsUrl)).parsed;
      return now.value('fullduplex_connections_closed_total', { code: '4000', closed_by: 'remote' }) === 1;
    });
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');

    const value = (name: string, labels?: Record<string, string>): number => {
      const found = parsed.value(name, labels);
      assert.notEqual(found, undefined, `${name} ${JSON.stringify(labels ?? {})} in the scrape`);
      return found as number;
    };
    // 9 plain clients (2 readers, writer, breaker, silent, stalled, flooder) + 2 hub clients.
    assert.ok(value('fullduplex_connections_opened_total') >= 9, 'connections opened');
    assert.ok(value('fullduplex_connections_open') >= 5);
    assert.equal(value('fullduplex_handshakes_refused_total', { status: '404', reason: 'rejected' }), 1);
    assert.equal(value('fullduplex_protocol_errors_total', { code: '1002' }), 1);
    assert.equal(value('fullduplex_connections_closed_total', { code: '1002', closed_by: 'local' }), 1);
    assert.ok(value('fullduplex_connections_closed_total', { code: '1006', closed_by: 'abnormal' }) >= 1);
    assert.ok(value('fullduplex_heartbeat_timeouts_total') >= 1);
    // A dropped frame is at least its 2-byte header (the empty sync messages can be the ones dropped).
    assert.ok(
      value('fullduplex_dropped_bytes_total', { policy: 'drop-newest' }) >=
        2 * value('fullduplex_dropped_messages_total', { policy: 'drop-newest' }),
    );
    // 20 chat + 5 news publications + the floods, each received once; the hub's own frames too.
    assert.ok(value('fullduplex_messages_received_total') >= 25 + floods);
    assert.ok(value('fullduplex_messages_sent_total') >= 3 * 20 + 5);
    assert.ok(value('fullduplex_received_bytes_total') > floods * 32 * 1024);
    assert.ok(value('fullduplex_sent_bytes_total') > 0);
    assert.ok(value('fullduplex_ping_round_trip_seconds_count') >= 1, 'heartbeat pings were answered');
    assert.ok(value('fullduplex_hub_topics') >= 3, 'chat, news, flood (quiet left with its peer)');
    assert.ok(value('fullduplex_hub_subscriptions') >= 4);
    assert.ok(value('fullduplex_hub_publishes_total') >= 25 + floods);
    assert.ok(value('fullduplex_hub_deliveries_total') >= 3 * 20 + 5);
    assert.equal(value('fullduplex_hub_broker_up'), 1);
    assert.ok(value('fullduplex_memory_budget_limit_bytes') > 0);

    const missing = promtoolMissing();
    if (missing) {
      t.skip(`promtool part: ${missing}`);
    } else {
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
    }

    // Only GET /metrics (and HEAD) are served.
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404);
    assert.equal((await fetch(metricsUrl, { method: 'POST' })).status, 405);

    // The log: JSON lines on stderr (not a terminal) naming the same events.
    const entries = served
      .stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const events = new Set(entries.map((entry) => entry.event));
    for (const event of [
      'server.listening',
      'handshake.refused',
      'protocol.error',
      'heartbeat.timeout',
      'message.dropped',
      'connection.open',
      'connection.close',
    ])
      assert.ok(events.has(event), `${event} logged`);
    const refusal = entries.find((entry) => entry.event === 'handshake.refused');
    assert.equal(refusal?.level, 'info');
    assert.equal(refusal?.status, 404);
    assert.equal(refusal?.remoteAddress, '127.0.0.1');
    assert.ok(entries.every((entry) => typeof entry.time === 'string' && typeof entry.message === 'string'));

    // SIGTERM: shutting down and stopped are logged, the process exits 0.
    const exited = once(served.child, 'exit');
    served.child.kill('SIGTERM');
    assert.equal(((await exited) as [number])[0], 0);
    const last = served.stderr().trim().split('\n').slice(-1)[0] as string;
    assert.equal(JSON.parse(last).event, 'server.stopped');
  });
});

describe('serve --metrics-port: usage', () => {
  test('--metrics-port with --workers N > 1 is a usage error that says why', async () => {
    const child = spawn(process.execPath, [
      bin,
      'serve',
      '--mode',
      'hub',
      '--workers',
      '2',
      '--redis',
      'redis://127.0.0.1:1',
      '--metrics-port',
      '0',
    ]);
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(errors, /--metrics-port works with one process only/);
  });
});

describe('serve log on a terminal', () => {
  test('plain text lines, not JSON, when stderr is a terminal', async () => {
    // util-linux `script` gives the process a pseudo-terminal; Ctrl-C there is SIGINT.
    const quoted = [process.execPath, bin, 'serve', '--port', '0']
      .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const child = spawn('script', ['-qefc', quoted, '/dev/null'], { env: { ...process.env, TERM: 'dumb' } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const exited = once(child, 'exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      await waitFor('the listening lines', () => /info {2}listening on ws:/.test(output));
      child.stdin.write('\x03');
      await exited;
    } finally {
      clearTimeout(timer);
    }
    assert.match(output, /^listening ws:\/\/127\.0\.0\.1:\d+\/\r?$/m);
    assert.match(
      output,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z info {2}listening on ws:\/\/127\.0\.0\.1:\d+\/ mode="echo"\r?$/m,
    );
    assert.match(output, /Z info {2}stopped\r?$/m);
    assert.doesNotMatch(output, /\{"time"/);
  });
});
