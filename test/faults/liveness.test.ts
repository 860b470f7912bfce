// Issue 5, liveness with real processes: a client frozen with SIGSTOP is found by the heartbeat within
// pingInterval + pongTimeout, a client killed with SIGKILL is dropped at once (TCP tells us), and in
// both cases another client keeps echoing throughout.
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

/** Scheduling slack on a shared 2-core machine: timers fire late, never early. */
const SLACK_MS = 250;

interface Setup {
  server: WebSocketServer;
  /** The peer the test freezes or kills, and its server-side connection. */
  victim: RunningChild;
  victimConnection: Connection;
  /** The peer that must not notice: it echoes a tick every 50 ms; `echoes` holds their arrival times. */
  bystander: RunningChild;
  bystanderConnection: Connection;
  echoes: number[];
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
  const echoes: number[] = [];
  bystanderConnection.onMessage(() => echoes.push(performance.now()));
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
    stopTicks: () => clearInterval(ticker),
  };
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

/** The bystander echoed all along: no silence longer than `maxGapMs` between `from` and `to`. */
function assertEchoedThroughout(echoes: readonly number[], from: number, to: number, maxGapMs: number): void {
  const inWindow = echoes.filter((at) => at >= from && at <= to);
  let previous = from;
  let longest = 0;
  for (const at of [...inWindow, to]) {
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  assert.ok(
    longest <= maxGapMs,
    `the other client went ${longest.toFixed(0)} ms without an echo (ticks every 50 ms)`,
  );
}

describe('issue 5: liveness against real client processes', () => {
  test('a client frozen with SIGSTOP is removed within pingInterval + pongTimeout; another keeps echoing', async () => {
    const heartbeat = { pingInterval: 300, pongTimeout: 300 };
    const setup = await setUp(heartbeat);
    try {
      // Several heartbeat rounds with both peers answering: nobody is dropped while alive.
      await sleep(1000);
      assert.equal(setup.victimConnection.readyState, 'open', 'a live peer survives its heartbeats');

      const stoppedAt = performance.now();
      setup.victim.child.kill('SIGSTOP');
      const { info, at } = await closedWithin(setup.victimConnection, 3000);
      const detectedMs = at - stoppedAt;
      console.log(
        `# SIGSTOP detected after ${detectedMs.toFixed(0)} ms (bound 600 ms + ${SLACK_MS} ms slack)`,
      );

      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
      assert.match(info.reason, /pong not received within 300 ms/);
      // The heartbeat found it: not before a pong could have been due, not after the bound.
      assert.ok(
        detectedMs >= heartbeat.pongTimeout - 50,
        `removed too early (${detectedMs} ms): not the heartbeat`,
      );
      assert.ok(
        detectedMs <= heartbeat.pingInterval + heartbeat.pongTimeout + SLACK_MS,
        `removed after ${detectedMs.toFixed(0)} ms, bound is pingInterval + pongTimeout`,
      );
      assert.ok(!setup.server.connections.has(setup.victimConnection), 'the server forgot the frozen client');

      // The bystander through it all, and still afterwards.
      await sleep(300);
      assertEchoedThroughout(setup.echoes, stoppedAt, performance.now(), 250);
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

  test('a client killed with SIGKILL is removed at once with 1006, not at the heartbeat; another keeps echoing', async () => {
    // A heartbeat far longer than the bound below: only TCP can tell the server in time.
    const setup = await setUp({ pingInterval: 5000, pongTimeout: 5000 });
    try {
      await sleep(300);
      const killedAt = performance.now();
      setup.victim.child.kill('SIGKILL');
      const { info, at } = await closedWithin(setup.victimConnection, 3000);
      const detectedMs = at - killedAt;
      console.log(`# SIGKILL detected after ${detectedMs.toFixed(0)} ms`);

      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
      assert.doesNotMatch(info.reason, /pong/);
      assert.ok(detectedMs < 1000, `removed after ${detectedMs.toFixed(0)} ms: should be at once`);
      assert.ok(!setup.server.connections.has(setup.victimConnection));
      assert.equal(await setup.victim.exited, 'SIGKILL');

      await sleep(300);
      assertEchoedThroughout(setup.echoes, killedAt, performance.now(), 250);
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
      let removedMs = -1;
      for (let round = 0; round < 100; round++) {
        if (establishedAt(serve.port) === 0) {
          removedMs = performance.now() - stoppedAt;
          break;
        }
        await sleep(50);
      }
      console.log(`# ${outcome[1]}; the frozen client was removed ${removedMs.toFixed(0)} ms after SIGSTOP`);
      assert.ok(removedMs >= 0, 'the frozen, paused client was kept for 5 s');
      assert.ok(removedMs < 2000, `removed after ${removedMs.toFixed(0)} ms; bound 2000 ms`);
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
  const localPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // fields: sl, local_address, rem_address, st, ...; st 01 is ESTABLISHED.
    if (fields[1]?.endsWith(localPort) && fields[3] === '01') count++;
  }
  return count;
}
