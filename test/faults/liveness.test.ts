// Issue 5, liveness with real processes: a client frozen with SIGSTOP is found by the heartbeat within
// pingInterval + pongTimeout, a client killed with SIGKILL is dropped at once (TCP tells us), and in
// both cases another client keeps echoing throughout.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Connection } from '../../src/connection/connection.js';
import type { HeartbeatOptions } from '../../src/connection/connection-options.js';
import type { CloseInfo } from '../../src/connection/message.js';
import { WebSocketServer } from '../../src/server/web-socket-server.js';
import { killChildren, type RunningChild, sleep, startPeer } from './fault-harness.js';

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
});
