// Shared by the fault tests: the CLI server as a real process, peer scripts as child processes,
// the server's memory read from /proc, and a raw client that speaks frames by hand.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createInterface, type Interface } from 'node:readline';
import { openRaw, readHead, upgradeRequest } from '../helpers/raw-http.js';

const root = new URL('../../../', import.meta.url).pathname;
const bin = `${root}bin/fullduplex.js`;
const peers = `${root}test/faults/peers/`;

/** Every child started here; `killChildren()` (from each file's `after`) ends the ones still running. */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) {
    // SIGKILL ends a process even while it is stopped (SIGSTOP); nothing else is needed.
    child.kill('SIGKILL');
  }
  children.clear();
}

/** A child process with its stdout cut into lines. */
export interface RunningChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first line (from now on) matching `pattern`; rejects on exit or after `timeoutMs`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<number | string>;
}

function track(child: ChildProcess): RunningChild {
  children.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: Interface = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  const waiting: Array<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }> = [];
  lines.on('line', (text) => {
    for (let index = 0; index < waiting.length; index++) {
      const entry = waiting[index] as (typeof waiting)[number];
      const match = entry.pattern.exec(text);
      if (match) {
        waiting.splice(index, 1);
        entry.resolve(match);
        return;
      }
    }
  });
  return {
    child,
    pid: child.pid as number,
    exited,
    line(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const entry = {
          pattern,
          resolve: (match: RegExpExecArray) => {
            clearTimeout(timer);
            resolve(match);
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        waiting.push(entry);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before a line matching ${pattern}; stderr: ${stderr}`));
        });
      });
    },
  };
}

export interface ServeProcess extends RunningChild {
  readonly url: string;
  readonly port: number;
}

/** `fullduplex serve` on 127.0.0.1, a free port, with extra flags. */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = track(child);
  const match = await running.line(/^listening (ws:\/\/127\.0\.0\.1:(\d+)\/)$/);
  return { ...running, url: match[1] as string, port: Number(match[2]) };
}

/** Runs `test/faults/peers/<name>` with Node. */
export function startPeer(name: string, args: readonly string[]): RunningChild {
  const child = spawn(process.execPath, [`${peers}${name}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return track(child);
}

// ---------------------------------------------------------------- memory

/** Whether /proc/PID/status can be read here (Linux). */
export function procAvailable(): boolean {
  return existsSync(`/proc/${process.pid}/status`);
}

/** Why a memory test is skipped, or false to run it. Under CI a missing /proc is a failure instead. */
export function skipWithoutProc(): string | false {
  if (procAvailable()) return false;
  if (process.env.CI === 'true') assert.fail('/proc/PID/status is required under CI to measure RSS');
  return 'no /proc/PID/status on this system: server RSS cannot be measured';
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  assert.ok(match, `${field} missing from /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Resident set size of a process now, in bytes. */
export function rss(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** The highest resident set size the process has had (VmHWM), in bytes: catches a transient peak. */
export function peakRss(pid: number): number {
  return statusField(pid, 'VmHWM');
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

// ---------------------------------------------------------------- raw frames

/** A masked client frame (RFC 6455 5.2, 5.3); built without src/ so the test does not trust it. */
export function maskedFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + length);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (extra === 0) frame[1] = 0x80 | length;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const maskAt = 2 + extra;
  const mask = [0x37, 0xfa, 0x21, 0x3d];
  for (let index = 0; index < 4; index++) frame[maskAt + index] = mask[index] as number;
  for (let index = 0; index < length; index++)
    frame[maskAt + 4 + index] = (payload[index] as number) ^ (mask[index & 3] as number);
  return frame;
}

/** A masked frame header that claims `length` (a bigint, any 64-bit value) and carries no payload. */
export function claimedLengthHeader(opcode: number, length: bigint): Buffer {
  const header = Buffer.alloc(2 + 8 + 4);
  header[0] = 0x80 | opcode;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(length, 2);
  header.set([0x37, 0xfa, 0x21, 0x3d], 10);
  return header;
}

export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Cuts the (unmasked) frames a server sends out of a byte stream. */
export class ServerFrameReader {
  #buffered: Buffer = Buffer.alloc(0);
  readonly frames: ServerFrame[] = [];

  push(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    for (;;) {
      const bytes = this.#buffered;
      if (bytes.length < 2) return;
      const first = bytes[0] as number;
      const second = bytes[1] as number;
      assert.equal(second & 0x80, 0, 'a server frame must not be masked (RFC 6455 5.1)');
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (bytes.length < 4) return;
        length = bytes.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (bytes.length < 10) return;
        length = Number(bytes.readBigUInt64BE(2));
        offset = 10;
      }
      if (bytes.length < offset + length) return;
      this.frames.push({
        fin: (first & 0x80) !== 0,
        opcode: first & 0x0f,
        payload: bytes.subarray(offset, offset + length),
      });
      this.#buffered = bytes.subarray(offset + length);
    }
  }
}

/** A raw client after a completed handshake: its socket (paused) and the bytes read past the 101. */
export async function rawWebSocket(port: number): Promise<{ socket: Socket; rest: Buffer }> {
  const socket = await openRaw(port);
  socket.on('error', () => {});
  const head = readHead(socket);
  socket.write(upgradeRequest('/'));
  const { answer, rest } = await head;
  assert.equal(answer.status, 101, answer.text);
  return { socket, rest };
}

/**
 * Reads server frames until the server closes TCP (bounded by `timeoutMs`, then destroyed).
 * Resolves with every frame, the Close frame's code if one came, and whether TCP closed in time.
 */
export function readFramesUntilClosed(
  socket: Socket,
  rest: Buffer,
  timeoutMs = 5000,
): Promise<{ frames: ServerFrame[]; closeCode: number | undefined; closedInTime: boolean }> {
  const reader = new ServerFrameReader();
  reader.push(rest);
  return new Promise((resolve) => {
    let closedInTime = true;
    const timer = setTimeout(() => {
      closedInTime = false;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.once('close', () => {
      clearTimeout(timer);
      const close = reader.frames.find((frame) => frame.opcode === 0x8);
      const closeCode = close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
      resolve({ frames: reader.frames, closeCode, closedInTime });
    });
    socket.resume();
  });
}

/** Writes `data`, resolving once the socket has taken it (drain), or rejecting if it closes first. */
export async function writeAll(socket: Socket, data: Buffer | string): Promise<void> {
  if (socket.write(data)) return;
  await Promise.race([
    once(socket, 'drain'),
    once(socket, 'close').then(() => {
      throw new Error('socket closed while writing');
    }),
  ]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
