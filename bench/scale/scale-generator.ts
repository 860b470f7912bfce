// One scale generator process: holds its share of the connections (global indices g, g+G, ...), each
// bound to one of its own loopback source addresses, and grows, checks and drops them on the
// harness's word (scale-protocol.ts). It answers pings, so the server's heartbeat keeps them open, and
// records when each stamped publication arrived. It exits when the harness goes away.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { openConnection, upgradeRequest } from '../load/open-connection.js';
import {
  type Echoed,
  type FromScaleGenerator,
  type GeneratorSetup,
  type Grown,
  type Health,
  type MessageArrivals,
  sharedClockMs,
  type ToScaleGenerator,
} from './scale-protocol.js';
import {
  maskedFrame,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  type ServerFrame,
  ServerFrameReader,
} from './server-frames.js';
import { readStamp } from './stamped-message.js';

interface Held {
  readonly socket: Socket;
  readonly reader: ServerFrameReader;
  /** Set while this connection's echo is awaited. */
  expecting: Buffer | null;
  answered: ((problem: string | null) => void) | null;
}

let setup: GeneratorSetup | undefined;
const held: Held[] = [];
let nextLocal = 0;
const health: Health = { held: 0, closedByPeer: 0, pingsAnswered: 0, unexpectedFrames: 0 };
let arrivals = new Map<number, MessageArrivals>();

function tell(message: FromScaleGenerator): void {
  process.send?.(message);
}

function snapshot(): Health {
  return { ...health, held: held.length };
}

function onFrame(connection: Held, frame: ServerFrame): void {
  switch (frame.opcode) {
    case OPCODE_PING:
      connection.socket.write(maskedFrame(OPCODE_PONG, frame.payload));
      health.pingsAnswered++;
      return;
    case OPCODE_TEXT:
    case OPCODE_BINARY:
      if (connection.expecting !== null) {
        const expected = connection.expecting;
        connection.expecting = null;
        connection.answered?.(frame.payload.equals(expected) ? null : 'echo differed');
        return;
      }
      if (recordArrival(frame.payload)) return;
      health.unexpectedFrames++;
      return;
    case OPCODE_CLOSE:
      return; // the socket's close event counts it
    default:
      health.unexpectedFrames++;
  }
}

function recordArrival(payload: Buffer): boolean {
  const stamp = readStamp(payload);
  if (stamp === null) return false;
  const now = sharedClockMs();
  const known = arrivals.get(stamp.sequence);
  if (known === undefined) {
    arrivals.set(stamp.sequence, { ...stamp, count: 1, first: now, last: now });
  } else {
    known.count++;
    known.last = now;
  }
  return true;
}

function hold(socket: Socket, rest: Buffer): void {
  const connection: Held = { socket, reader: new ServerFrameReader(), expecting: null, answered: null };
  const read = (chunk: Buffer): void => {
    if (!connection.reader.feed(chunk, (frame) => onFrame(connection, frame))) health.unexpectedFrames++;
  };
  socket.on('data', read);
  socket.on('error', () => {});
  socket.on('close', () => {
    health.closedByPeer++;
    connection.answered?.('closed');
  });
  if (rest.length > 0) read(rest);
  held.push(connection);
}

function pathFor(globalIndex: number): string {
  const { topics, topicPrefix } = setup as GeneratorSetup;
  return topics > 0 ? `/topics/${topicPrefix}${globalIndex % topics}` : '/';
}

function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code !== undefined) return code;
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith('handshake timed out') ? 'handshake timeout' : message.slice(0, 60);
}

async function grow(target: number, until: number): Promise<Grown> {
  const job = setup as GeneratorSetup;
  const failures: Record<string, number> = {};
  const before = held.length;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // Attempts, not successes, are bounded: a failed handshake is counted and not retried.
  let attempts = before;
  const worker = async (): Promise<void> => {
    while (attempts < target && Date.now() < until) {
      const globalIndex = job.index + attempts * job.of;
      attempts++;
      const localAddress = job.localAddresses[nextLocal++ % job.localAddresses.length] as string;
      const options = { host: job.host, port: job.port, localAddress, path: pathFor(globalIndex) };
      try {
        const opened = await openConnection(options, upgradeRequest(options), job.handshakeTimeoutMs);
        if (!opened.head.startsWith('HTTP/1.1 101')) {
          const status = `status ${opened.head.slice(9, 12)}`;
          failures[status] = (failures[status] ?? 0) + 1;
          opened.socket.resetAndDestroy();
          continue;
        }
        hold(opened.socket, opened.rest);
      } catch (error) {
        const why = reason(error);
        failures[why] = (failures[why] ?? 0) + 1;
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let index = 0; index < Math.min(job.concurrency, target - before); index++) workers.push(worker());
  await Promise.all(workers);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    held: held.length,
    added: held.length - before,
    failures,
    seconds: (performance.now() - started) / 1000,
    cpuMicros: cpu.user + cpu.system,
  };
}

async function echo(sample: number, timeoutMs: number): Promise<Echoed> {
  const problems: string[] = [];
  const count = Math.min(sample, held.length);
  const step = count === 0 ? 1 : held.length / count;
  const checks: Promise<string | null>[] = [];
  for (let taken = 0; taken < count; taken++) {
    const connection = held[Math.floor(taken * step)] as Held;
    const payload = randomBytes(16);
    checks.push(
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve('no echo in time'), timeoutMs);
        connection.expecting = payload;
        connection.answered = (problem) => {
          clearTimeout(timer);
          connection.answered = null;
          resolve(problem);
        };
        connection.socket.write(maskedFrame(OPCODE_BINARY, payload));
      }),
    );
  }
  let matched = 0;
  for (const problem of await Promise.all(checks)) {
    if (problem === null) matched++;
    else if (problems.length < 5) problems.push(problem);
  }
  return { sampled: count, matched, problems };
}

function drop(): void {
  for (const connection of held) {
    connection.socket.removeAllListeners('close');
    // RST, not FIN: no TIME_WAIT left holding the source port for the next phase.
    connection.socket.resetAndDestroy();
  }
  held.length = 0;
  arrivals = new Map();
  health.closedByPeer = 0;
  health.unexpectedFrames = 0;
}

async function handle(message: ToScaleGenerator): Promise<void> {
  switch (message.type) {
    case 'setup':
      setup = message.setup;
      tell({ type: 'ready' });
      return;
    case 'grow':
      tell({ type: 'grown', grown: await grow(message.connections, message.until), health: snapshot() });
      return;
    case 'echo':
      tell({ type: 'echoed', echoed: await echo(message.sample, message.timeoutMs), health: snapshot() });
      return;
    case 'deliveries': {
      const list = [...arrivals.values()];
      arrivals = new Map();
      tell({ type: 'deliveries', arrivals: list, health: snapshot() });
      return;
    }
    case 'drop':
      drop();
      tell({ type: 'dropped', health: snapshot() });
      return;
  }
}

if (process.send === undefined) {
  console.error('scale-generator: run me from the scale harness (an IPC channel is required)');
  process.exit(2);
}
process.on('message', (message: ToScaleGenerator) => {
  handle(message).catch((error: unknown) => {
    tell({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
// The harness is gone (finished, failed or killed): nothing here is worth keeping.
process.on('disconnect', () => process.exit(0));
