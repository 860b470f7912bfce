// Issue 18 / issue 10 item 1, against a real process: every user hook of a server (test/faults/peers/
// hook-server.mjs) throws or rejects in turn, `ws` clients drive it, and after each one the process
// still serves other clients. The failing connection closes with 1011 (a handshake hook: HTTP 500),
// the error reaches onError exactly once (or, without one, one process warning), and an onError that
// fails itself is reported without recursing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { killChildren, type RunningChild, startPeer } from './fault-harness.js';

after(killChildren);

interface HookServer {
  readonly process: RunningChild;
  readonly port: number;
  /** Every stdout line so far. */
  readonly lines: string[];
}

async function startHookServer(onErrorMode: 'record' | 'none' | 'throw'): Promise<HookServer> {
  const running = startPeer('hook-server.mjs', [onErrorMode]);
  const lines: string[] = [];
  let partial = '';
  running.child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const match = await running.line(/^listening (\d+)$/);
  return { process: running, port: Number(match[1]), lines };
}

/** Waits (bounded) until a stdout line matches, and returns it. */
async function lineMatching(server: HookServer, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.lines.find((line) => pattern.test(line));
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`no line matching ${pattern}; got: ${server.lines.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Outcome = { kind: 'closed'; code: number } | { kind: 'refused'; status: number };

/** Connects a `ws` client, does `act` once open, and resolves with how the connection ended. */
function visit(
  port: number,
  path: string,
  act: (socket: WebSocket) => void = () => {},
  protocols: string[] = [],
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${path}: no outcome within 5 s`));
    }, 5000);
    socket.on('open', () => act(socket));
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve({ kind: 'refused', status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.on('error', () => {});
    socket.on('close', (code) => {
      clearTimeout(timer);
      resolve({ kind: 'closed', code });
    });
  });
}

/** The server still echoes for a new client. */
async function assertStillServing(server: HookServer): Promise<void> {
  assert.equal(server.process.child.exitCode, null, 'the server process is still running');
  const echoed = await new Promise<string>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/echo`, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('no echo within 5 s')), 5000);
    socket.on('open', () => socket.send('still here'));
    socket.on('message', (data) => {
      clearTimeout(timer);
      resolve(String(data));
      socket.close();
    });
    socket.on('error', reject);
  });
  assert.equal(echoed, 'still here');
}

const sendJson = (socket: WebSocket): void => socket.send('{"a":1}');

interface HookCase {
  readonly hook: string;
  readonly act?: (socket: WebSocket) => void;
  readonly protocols?: string[];
  /** A handshake hook: the upgrade is refused with 500 instead. */
  readonly handshake?: boolean;
  /** What onError is given, when it is not the hook's own error ("HOOK MODE"). */
  readonly reported?: string;
}

const cases: readonly HookCase[] = [
  { hook: 'path', handshake: true },
  { hook: 'origins', handshake: true },
  { hook: 'authorize', handshake: true },
  { hook: 'subprotocols', handshake: true, protocols: ['chat'] },
  { hook: 'onConnection' },
  { hook: 'onMessage', act: sendJson },
  { hook: 'onRawMessage', act: sendJson },
  { hook: 'onPing', act: (socket) => socket.ping() },
  { hook: 'onPong' },
  { hook: 'onDrain' },
  { hook: 'onDrop' },
  // decode() is synchronous: a validator's throw is ERR_VALIDATION, and so is returning a promise.
  {
    hook: 'validator',
    act: sendJson,
    reported: '(message failed validation|validate returned a promise; it must be synchronous)',
  },
];

describe('every user hook that throws or rejects, against a real server process', () => {
  test('the failing connection is closed (1011) or refused (500), onError gets it once, and the server keeps serving', async () => {
    const server = await startHookServer('record');
    for (const { hook, act, protocols, handshake, reported } of cases) {
      for (const mode of ['throw', 'reject'] as const) {
        const path = `/${hook}/${mode}`;
        const outcome = await visit(server.port, path, act, protocols);
        assert.deepEqual(
          outcome,
          handshake ? { kind: 'refused', status: 500 } : { kind: 'closed', code: 1011 },
          path,
        );
        const expected = reported ?? `${hook} ${mode}`;
        await lineMatching(server, new RegExp(`^onError ${expected}$`));
        await assertStillServing(server);
      }
    }
    for (const { hook, reported } of cases) {
      for (const mode of reported === undefined ? ['throw', 'reject'] : ['both']) {
        const expected = new RegExp(`^onError ${reported ?? `${hook} ${mode}`}$`);
        const count = server.lines.filter((line) => expected.test(line)).length;
        assert.equal(count, reported === undefined ? 1 : 2, `onError got ${expected} ${count} times`);
      }
    }
    assert.deepEqual(
      server.lines.filter((line) => line.startsWith('warning')),
      [],
      'no error went unhandled',
    );
  });

  test('without onError each error is one process warning; a failing onError is reported and not called again', async () => {
    const quiet = await startHookServer('none');
    for (const path of ['/onConnection/reject', '/onMessage/throw', '/authorize/reject']) {
      await visit(quiet.port, path, sendJson);
      const [, hook, mode] = path.split('/');
      await lineMatching(quiet, new RegExp(`^warning .*${hook} ${mode}`));
      await assertStillServing(quiet);
    }

    const failing = await startHookServer('throw');
    assert.deepEqual(await visit(failing.port, '/onMessage/reject', sendJson), {
      kind: 'closed',
      code: 1011,
    });
    await lineMatching(failing, /^warning .*onError itself failed after onMessage reject/);
    assert.deepEqual(await visit(failing.port, '/connectionOnError/reject', sendJson), {
      kind: 'closed',
      code: 1011,
    });
    await lineMatching(failing, /^warning .*connection onError reject/);
    await assertStillServing(failing);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(
      failing.lines.filter((line) => line.includes('onError itself failed after onMessage reject')).length,
      1,
    );
  });

  test('async onConnection with for await: a clean close with any code ends the loop; a drop is reported once', async () => {
    const server = await startHookServer('record');
    for (const code of [1000, 1001, 4000]) {
      const outcome = await visit(server.port, '/iterate', (socket) => {
        socket.once('message', () => socket.close(code));
        socket.send('hi');
      });
      assert.deepEqual(outcome, { kind: 'closed', code });
    }
    await assertStillServing(server);
    // A client that vanishes without a Close: the loop throws, onConnection rejects, onError hears it.
    await visit(server.port, '/iterate', (socket) => {
      socket.once('message', () => socket.terminate());
      socket.send('hi');
    });
    await lineMatching(server, /^onError connection closed: 1006/);
    await assertStillServing(server);
    const reported = server.lines.filter((line) => line.startsWith('onError') || line.startsWith('warning'));
    assert.equal(reported.length, 1, reported.join(' | '));
    assert.match(reported[0] as string, /^onError connection closed: 1006/);
  });
});
