// `fullduplex bench` against `fullduplex serve` processes: verified replies, honest failures, --json,
// and the live progress line on a terminal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliOnTerminal, type ServeProcess, startServe } from '../helpers/cli.js';

interface BenchJson {
  ok: boolean;
  messages: number;
  messagesPerSecond: number | null;
  latencyMs: Record<string, number> | null;
  mismatches: number;
  firstMismatch?: string;
  closes: Array<{ code: number; reason: string; count: number }>;
}

describe('fullduplex bench', () => {
  const servers: ServeProcess[] = [];
  let echo: ServeProcess;
  before(async () => {
    echo = await startServe([]);
    servers.push(echo);
  });
  after(() => Promise.all(servers.map((server) => server.stop())));

  test('against an echo server: verified round trips, throughput and p50/p90/p99/p99.9/max; exit 0', async () => {
    const result = await runCli(['bench', echo.url, '--connections', '3', '--duration', '1', '--size', '32']);
    assert.equal(result.code, 0, result.stderr);
    const verified = /^messages {4}(\d+) round trips, every reply checked/m.exec(result.stdout);
    assert.ok(verified && Number(verified[1]) > 0, result.stdout);
    assert.match(result.stdout, /^throughput {2}\d+ messages\/s, [\d.]+ MiB\/s each way$/m);
    assert.match(
      result.stdout,
      /^round trip {2}p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, p99\.9 [\d.]+ ms, max [\d.]+ ms$/m,
    );
    assert.equal(result.stderr, '');
  });

  test('--json prints one object for machines; binary and compression runs verify too', async () => {
    const result = await runCli([
      'bench',
      echo.url,
      '--duration',
      '1',
      '--connections',
      '2',
      '--binary',
      '--compress',
      '--json',
      '--size',
      '1000',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BenchJson & { binary: boolean; size: number };
    assert.equal(report.ok, true);
    assert.equal(report.binary, true);
    assert.equal(report.size, 1000);
    assert.ok(report.messages > 0);
    assert.ok((report.messagesPerSecond ?? 0) > 0);
    assert.equal(report.mismatches, 0);
    assert.deepEqual(report.closes, []);
    const latency = report.latencyMs as Record<string, number>;
    assert.deepEqual(Object.keys(latency), ['p50', 'p90', 'p99', 'p99.9', 'max']);
    assert.ok(
      (latency.p50 as number) <= (latency.p99 as number) &&
        (latency.p99 as number) <= (latency.max as number),
    );
  });

  test('against a broadcast server: replies are not what was sent, so no figures and exit 1', async () => {
    const broadcast = await startServe(['--mode', 'broadcast']);
    servers.push(broadcast);
    const text = await runCli(['bench', broadcast.url, '--connections', '3', '--duration', '1']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^messages {4}not measured: replies did not match what was sent$/m);
    assert.doesNotMatch(text.stdout, /messages\/s|p50/);
    assert.match(
      text.stderr,
      /^fullduplex: \d connection\(s\) got a reply that is not what they sent; is ws:.* an echo server\? First: reply \d+ on connection \d differs/m,
    );
    const json = JSON.parse(
      (await runCli(['bench', broadcast.url, '--connections', '3', '--duration', '1', '--json'])).stdout,
    ) as BenchJson;
    assert.equal(json.ok, false);
    assert.ok(json.mismatches > 0);
    assert.equal(json.messagesPerSecond, null);
    assert.equal(json.latencyMs, null);
  });

  test("a --size above the server's --max-payload: the closes are reported with code and name, exit 1", async () => {
    const small = await startServe(['--max-payload', '100']);
    servers.push(small);
    const text = await runCli(['bench', small.url, '--connections', '4', '--duration', '2', '--size', '101']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^messages {4}no replies came back: nothing measured$/m);
    assert.match(
      text.stderr,
      /^fullduplex: 4 connection\(s\) closed during the run: 1009 \(message too big\)/m,
    );
    const json = JSON.parse(
      (await runCli(['bench', small.url, '--connections', '2', '--duration', '2', '--size', '101', '--json']))
        .stdout,
    ) as BenchJson;
    assert.equal(json.ok, false);
    assert.equal(json.messages, 0);
    assert.deepEqual(
      json.closes.map(({ code, count }) => ({ code, count })),
      [{ code: 1009, count: 2 }],
    );
  });

  test('on a terminal a live progress line counts up, then is cleared before the report', async () => {
    const result = await runCliOnTerminal(['bench', echo.url, '--connections', '2', '--duration', '3']);
    assert.equal(result.code, 0, result.output);
    // Each update starts with carriage return + erase-line (ESC [ K), so it rewrites the same line.
    const erase = '\r\u001b[K';
    const ticks = result.output
      .split(erase)
      .filter((part) => /^\d\/3 s {2}\d+ messages\/s {2}\d+ verified {2}2 open$/.test(part));
    assert.ok(ticks.length >= 2, JSON.stringify(result.output));
    const report = result.output.lastIndexOf(erase);
    assert.match(result.output.slice(report + erase.length), /round trips, every reply checked/);
  });

  test('--mode pubsub against serve --mode broadcast: every publication reaches every subscriber, in order', async () => {
    const broadcast = await startServe(['--mode', 'broadcast']);
    servers.push(broadcast);
    const result = await runCli([
      'bench',
      broadcast.url,
      '--mode',
      'pubsub',
      '--connections',
      '3',
      '--publishers',
      '2',
      '--rate',
      '200',
      '--duration',
      '1',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      published: number;
      delivered: number;
      expected: number;
      lost: number;
      outOfOrder: number;
      corrupt: number;
      latencyMs: Record<string, number>;
    };
    assert.equal(report.ok, true);
    assert.ok(report.published >= 300, `${report.published} published`);
    assert.equal(report.expected, report.published * 3);
    assert.equal(report.delivered, report.expected);
    assert.deepEqual([report.lost, report.outOfOrder, report.corrupt], [0, 0, 0]);
    assert.ok((report.latencyMs.p50 ?? 0) > 0);

    const text = await runCli([
      'bench',
      broadcast.url,
      '--mode',
      'pubsub',
      '--connections',
      '2',
      '--duration',
      '1',
      '--rate',
      '100',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^delivered {3}(\d+) of \1 to subscribers, checked in order and intact/m);
    assert.match(
      text.stdout,
      /^fan-out {5}p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, p99\.9 [\d.]+ ms, max [\d.]+ ms$/m,
    );
  });

  test('--mode pubsub against serve --mode hub on /topics/NAME: verified fan-out from 2 publishers to 4 subscribers', async () => {
    const hub = await startServe(['--mode', 'hub']);
    servers.push(hub);
    const result = await runCli([
      'bench',
      `${hub.url}topics/bench`,
      '--mode',
      'pubsub',
      '--connections',
      '4',
      '--publishers',
      '2',
      '--rate',
      '200',
      '--duration',
      '1',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      published: number;
      delivered: number;
      lost: number;
    };
    assert.equal(report.ok, true);
    assert.ok(report.published >= 300, `${report.published} published`);
    assert.equal(report.delivered, report.published * 4);
    assert.equal(report.lost, 0);
  });

  test('--mode pubsub against an echo server: subscribers get nothing, reported as lost, exit 1', async () => {
    const result = await runCli([
      'bench',
      echo.url,
      '--mode',
      'pubsub',
      '--connections',
      '2',
      '--duration',
      '1',
      '--rate',
      '50',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^delivered {3}0 of [1-9]\d* to subscribers/m);
    assert.match(result.stderr, /^fullduplex: [1-9]\d* deliveries never arrived/m);
  });

  test('refuses to start with a bad number or without a URL (usage, exit 2)', async () => {
    const zero = await runCli(['bench', echo.url, '--in-flight', '0']);
    assert.equal(zero.code, 2);
    assert.match(
      zero.stderr,
      /^fullduplex: --in-flight must be an integer from 1 to 1024, got 0\n\nUsage: fullduplex bench/,
    );
    const none = await runCli(['bench']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^fullduplex: bench needs the URL of an echo server/);
  });
});
