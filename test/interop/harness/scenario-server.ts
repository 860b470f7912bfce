// The server both sides of the WebSocket class cross-check talk to: our WebSocketServer behind an
// http server that also serves the (empty) page Chromium runs the scenarios in. The request path picks
// the behaviour; `?id=` names the run so the test can read how the server saw each connection close.

import { createHash } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Connection } from '../../../src/connection/connection.js';
import { WebSocketServer } from '../../../src/server/web-socket-server.js';
import { parseFrames } from '../../helpers/frames.js';

export const SCENARIO_PAGE =
  '<!doctype html><meta charset="utf-8"><title>fullduplex WebSocket scenarios</title>';

/**
 * How the server saw one connection end: [path, code, reason, wasClean]. The reason is recorded only
 * when the client started the close: an echo's reason is the peer's choice (Chromium repeats it,
 * fullduplex sends the code alone), not part of what the class decides.
 */
export type ServerSide = [string, number, string, boolean];

export class ScenarioServer {
  readonly #http: Server;
  readonly #ws: WebSocketServer;
  readonly #seen = new Map<string, ServerSide[]>();
  readonly #pending = new Set<Promise<unknown>>();
  port = 0;

  constructor() {
    this.#http = createHttpServer((_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(SCENARIO_PAGE);
    });
    this.#ws = new WebSocketServer({
      perMessageDeflate: true,
      authorize: (request) =>
        new URL(request.url, 'http://x').pathname === '/refuse'
          ? { status: 403, body: 'refused by the scenario' }
          : true,
      subprotocols: (offered, request) =>
        new URL(request.url, 'http://x').pathname === '/protocol' && offered.includes('superchat')
          ? 'superchat'
          : undefined,
    });
    this.#http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/close-empty') {
        this.#closeEmpty(url, request, socket);
        return;
      }
      const upgraded = this.#ws.handleUpgrade(request, socket, head).then((connection) => {
        if (connection !== undefined)
          this.#serve(new URL(request.url ?? '/', 'http://x'), connection, socket);
      });
      this.#track(upgraded);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    this.port = (this.#http.address() as AddressInfo).port;
    return this.port;
  }

  /** The closes the server saw for run `id`, once every connection of it has closed (bounded wait). */
  async serverSide(id: string): Promise<ServerSide[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 5_000);
    });
    let waiting = true;
    void deadline.then(() => {
      waiting = false;
    });
    while (waiting && this.#pending.size > 0) await Promise.race([deadline, ...this.#pending]);
    clearTimeout(timer);
    const seen = this.#seen.get(id) ?? [];
    this.#seen.delete(id);
    return seen;
  }

  async close(): Promise<void> {
    await this.#ws.close({ timeout: 500 });
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #track(promise: Promise<unknown>): void {
    const settled = promise.catch(() => undefined).finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
  }

  #record(url: URL, side: ServerSide): void {
    const id = url.searchParams.get('id') ?? '';
    const list = this.#seen.get(id) ?? [];
    list.push(side);
    this.#seen.set(id, list);
  }

  /**
   * A Close frame with no body, which Connection.close() cannot send: a hand-made 101 (no extension),
   * the Close, and the end of TCP once the client's Close arrives (RFC 6455 7.1.1: the server closes).
   */
  #closeEmpty(url: URL, request: IncomingMessage, socket: Socket): void {
    const key = String(request.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.write(Buffer.from('8800', 'hex'));
    let received = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 5_000);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const close = parseFrames(received).find((frame) => frame.opcode === 8);
        if (close === undefined) return;
        const code = close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
        this.#record(url, [url.pathname, code, '', true]);
        socket.end();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#track(done);
  }

  #serve(url: URL, connection: Connection, socket: Socket): void {
    const clientCloses = url.pathname === '/echo' || url.pathname === '/protocol';
    this.#track(
      connection.closed.then((info) => {
        this.#record(url, [url.pathname, info.code, clientCloses ? info.reason : '', info.wasClean]);
      }),
    );
    switch (url.pathname) {
      case '/echo':
      case '/protocol':
        connection.onMessage((message) => {
          if (connection.readyState === 'open') connection.send(message.data);
        });
        return;
      case '/close': {
        const code = Number(url.searchParams.get('code') ?? 1000);
        connection.close(code, url.searchParams.get('reason') ?? '').catch(() => {});
        return;
      }
      case '/terminate':
        connection.terminate();
        return;
      case '/invalid-utf8':
        // A text frame whose payload is not UTF-8 (0xff never appears in UTF-8).
        socket.write(Buffer.from('8102ff41', 'hex'));
        return;
      case '/burst': {
        const count = Number(url.searchParams.get('count') ?? 3);
        for (let i = 0; i < count; i++) {
          connection.send(i % 2 === 0 ? `message ${i}` : Buffer.from([i, 0xff]));
        }
        if (url.searchParams.get('close') !== '0') connection.close(1000, 'burst done').catch(() => {});
        else connection.onMessage(() => {});
        return;
      }
      default:
        connection.close(4404, 'no such scenario route').catch(() => {});
    }
  }
}

export function createScenarioServer(): ScenarioServer {
  return new ScenarioServer();
}
