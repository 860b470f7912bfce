// Issue 5, liveness with real processes: a client frozen with SIGSTOP is found by the heartbeat, a
// client killed with SIGKILL is dropped by TCP (long before its heartbeat could), and in both cases
// another client keeps echoing throughout. Pass or fail is decided on events (which close, with
// which reason, every tick echoed in order) and on bounds loose enough for a loaded machine; the
// exact deadlines are checked on a fake clock in test/unit/connection/heartbeat-deadline.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type { Connection } from '../../src/connection/connection.js';
import type { HeartbeatOptions } from '../../src/connection/connection-options.js';
import type { CloseInfo } from '../../src/connection/message.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import {
  killChildren,
  type RunningChild,
  skipWithoutProc,
  sleep,
  startPeer,
  startServe,
} from './fault-harness.js';

after(killChildren);

interface Setup {
  server: WebSocketServer;
  /** The peer the test freezes or kills, and its server-side connection. */
  victim: RunningChild;
  victimConnection: Connection;
  /** The peer that must not notice: it echoes a tick every 50 ms; `echoes` holds them as they come back. */
  bystander: RunningChild;
  bystanderConnection: Connection;
  echoes: Echo[];
  /** Ticks sent so far. */
  ticksSent: () => number;
  stopTicks: () => void;
}

async function setUp(heartbeat: HeartbeatOptions): Promise<Setup> {
  const byPath = new Map<string, (connection: Connection) => void>();
  const server = new WebSocketServer({
    connection: { heartbeat },
    onConnection: (connection) => byPath.get(connection.request?.url ?? '')?.(connection),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const accepted = (path: string): Promise<Connection> => new Promise((resolve) => byPath.set(path, resolve));
  const victimAccepted = accepted('/victim');
  const bystanderAccepted = accepted('/bystander');
  const victim = startPeer('echo-client.mjs', [`ws://127.0.0.1:${port}/victim`]);
  const bystander = startPeer('echo-client.mjs', [`ws://127.0.0.1:${port}/bystander`]);
  await Promise.all([victim.line(/^open$/), bystander.line(/^open$/)]);
  const [victimConnection, bystanderConnection] = await Promise.all([victimAccepted, bystanderAccepted]);
  const echoes: Echo[] = [];
  bystanderConnection.onMessage((message) =>
    echoes.push({ data: String(message.data), at: performance.now() }),
  );
  let tick = 0;
  const ticker = setInterval(() => {
    if (bystanderConnection.readyState === 'open') bystanderConnection.send(`tick ${tick++}`);
  }, 50);
  return {
    server,
    victim,
    victimConnection,
    bystander,
    bystanderConnection,
    echoes,
    ticksSent: () => tick,
    stopTicks: () => clearInterval(ticker),
  };
}

interface Echo {
  readonly data: string;
  readonly at: number;
}

/** Resolves with the close info and when it came, or rejects after `timeoutMs`. */
function closedWithin(connection: Connection, timeoutMs: number): Promise<{ info: CloseInfo; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
    void connection.closed.then((info) => {
      clearTimeout(timer);
      resolve({ info, at: performance.now() });
    });
  });
}

/**
 * The bystander was served all along: `more` further echoes arrive after `from` (bounded wait), and
 * every tick sent came back, in order, none lost. The longest silence is printed, not judged: on a
 * loaded machine it says more about the scheduler than about the server.
 */
async function assertStillEchoing(setup: Setup, from: number, more: number): Promise<void> {
  const after = (): number => setup.echoes.filter((echo) => echo.at >= from).length;
  for (let wait = 0; wait < 200 && after() < more; wait++) await sleep(50);
  assert.ok(after() >= more, `only ${after()} echoes came back in the 10 s after the fault`);
  const sent = setup.ticksSent();
  for (let wait = 0; wait < 200 && setup.echoes.length < sent; wait++) await sleep(50);
  assert.deepEqual(
    setup.echoes.map((echo) => echo.data),
    Array.from({ length: setup.echoes.length }, (_, tick) => `tick ${tick}`),
    'every tick came back, in order',
  );
  assert.ok(setup.echoes.length >= sent, `${sent} ticks sent, ${setup.echoes.length} echoed`);
  let longest = 0;
  let previous = from;
  for (const echo of setup.echoes.filter((each) => each.at >= from)) {
    longest = Math.max(longest, echo.at - previous);
    previous = echo.at;
  }
  console.log(
    `# the other client's longest silence after the fault: ${longest.toFixed(0)} ms (ticks every 50 ms)`,
  );
}

describe('issue 5: liveness against real client processes', () => {
  test('a client frozen with SIGSTOP is removed by the heartbeat; another keeps echoing', async () => {
    const heartbeat = { pingInterval: 300, pongTimeout: 300 };
    const setup = await setUp(heartbeat);
    try {
      // Several heartbeat rounds with both peers answering: nobody is dropped while alive.
      await sleep(1000);
      assert.equal(setup.victimConnection.readyState, 'open', 'a live peer survives its heartbeats');

      const stoppedAt = performance.now();
      setup.victim.child.kill('SIGSTOP');
      // Generous: 600 ms is the deadline (exact on a fake clock); a loaded machine runs timers late.
      const { info, at } = await closedWithin(setup.victimConnection, 10_000);
      console.log(`# SIGSTOP detected after ${(at - stoppedAt).toFixed(0)} ms (deadline 600 ms)`);

      // The heartbeat found it: the pong deadline passed, nothing else closed it.
      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
      assert.equal(info.reason, `pong not received within ${heartbeat.pongTimeout} ms`);
      assert.ok(!setup.server.connections.has(setup.victimConnection), 'the server forgot the frozen client');

      // The bystander through it all, and still afterwards.
      await assertStillEchoing(setup, stoppedAt, 10);
      assert.equal(setup.bystanderConnection.readyState, 'open');

      // Thawed, the frozen client learns that its connection is gone.
      setup.victim.child.kill('SIGCONT');
      const thawed = await setup.victim.line(/^closed (\d+)$/, 5000);
      assert.equal(
        thawed[1],
        '1006',
        'the thawed client finds its TCP connection closed, without a Close frame',
      );
    } finally {
      setup.stopTicks();
      setup.victim.child.kill('SIGKILL');
      await setup.server.close({ timeout: 500 });
    }
  });

  test('a client killed with SIGKILL is removed with 1006 by TCP, not by the heartbeat; another keeps echoing', async () => {
    // A heartbeat far longer than the wait below: only TCP can tell the server in time.
    const setup = await setUp({ pingInterval: 60_000, pongTimeout: 60_000 });
    try {
      await sleep(300);
      const killedAt = performance.now();
      setup.victim.child.kill('SIGKILL');
      // Well before the first ping could even be sent (60 s): the closing came from TCP.
      const { info, at } = await closedWithin(setup.victimConnection, 20_000);
      console.log(`# SIGKILL detected after ${(at - killedAt).toFixed(0)} ms`);

      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
      assert.doesNotMatch(info.reason, /pong/);
      assert.ok(!setup.server.connections.has(setup.victimConnection));
      assert.equal(await setup.victim.exited, 'SIGKILL');

      await assertStillEchoing(setup, killedAt, 10);
      assert.equal(setup.bystanderConnection.readyState, 'open');
    } finally {
      setup.stopTicks();
      await setup.server.close({ timeout: 500 });
    }
  });

  test('serve (echo): a client that floods, is paused for it, then freezes (SIGSTOP) is removed, not kept forever', {
    skip: skipWithoutProc() || !existsSync('/proc/net/tcp'),
  }, async () => {
    // Echo mode pauses a connection whose replies pass --max-buffered-bytes, so the pong cannot be
    // read: the heartbeat must judge it by the write side (no byte taken since the ping: gone).
    const serve = await startServe(['--mode', 'echo', '--ping-interval', '300', '--pong-timeout', '300']);
    const writer = startPeer('flood-writer.mjs', [
      serve.url,
      String(64 * 1024 * 1024),
      '65536',
      'never-read',
      '200',
    ]);
    try {
      await writer.line(/^open$/);
      assert.equal(establishedAt(serve.port), 1, 'the server holds the connection');
      // TCP pushed back (the server paused it), or the heartbeat already found it not reading.
      const outcome = await writer.line(/^(stalled \d+|closed)$/, 10_000);
      const stoppedAt = performance.now();
      writer.child.kill('SIGSTOP');
      // The frozen peer cannot tell us; the kernel can: the server's end leaves ESTABLISHED.
      // Bounded wait, generous for a loaded machine (the heartbeat's deadline is 600 ms): 10 s.
      let removedMs = -1;
      for (let round = 0; round < 200; round++) {
        if (establishedAt(serve.port) === 0) {
          removedMs = performance.now() - stoppedAt;
          break;
        }
        await sleep(50);
      }
      console.log(`# ${outcome[1]}; the frozen client was removed ${removedMs.toFixed(0)} ms after SIGSTOP`);
      assert.ok(removedMs >= 0, 'the frozen, paused client was kept for 10 s');
      writer.child.kill('SIGCONT');
      await writer.line(/^closed$/, 5000).catch(() => undefined); // it learns, if it had not yet
      // The server goes on serving.
      const next = startPeer('echo-client.mjs', [serve.url]);
      await next.line(/^open$/);
      next.child.kill('SIGKILL');
    } finally {
      writer.child.kill('SIGKILL');
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});

/** Server-side TCP connections in ESTABLISHED state on `port` (127.0.0.1), from /proc/net/tcp. */
function establishedAt(port: number): number {
  // The whole local address (127.0.0.1 is 0100007F in the kernel's byte order), not the port alone:
  // other tests' sockets on 127.0.0.2 and up may have the same port number.
  const localAddress = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // fields: sl, local_address, rem_address, st, ...; st 01 is ESTABLISHED.
    if (fields[1] === localAddress && fields[3] === '01') count++;
  }
  return count;
}
