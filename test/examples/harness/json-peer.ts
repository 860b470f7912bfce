// A `ws` client (a peer we did not write) that parses every message as JSON and keeps them all, so a
// test can wait for the next one that matches, with a deadline.
import { once } from 'node:events';
import WebSocket from 'ws';

export type Json = Record<string, unknown> & { type?: unknown };

export class JsonPeer {
  readonly socket: WebSocket;
  readonly messages: Json[] = [];
  /** Set once the connection closes. */
  closeInfo: { code: number; reason: string } | undefined;
  #cursor = 0;
  #wake: (() => void) | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Json);
      this.#wake?.();
    });
    socket.on('close', (code, reason) => {
      this.closeInfo = { code, reason: String(reason) };
      this.#wake?.();
    });
  }

  static async open(url: string): Promise<JsonPeer> {
    const socket = new WebSocket(url);
    const peer = new JsonPeer(socket);
    await Promise.race([
      once(socket, 'open'),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no open: ${url}`)), 10_000).unref()),
    ]);
    return peer;
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** The next message after the last one returned that matches, waiting up to `timeoutMs`. */
  async next(predicate: (message: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.messages.length) {
        const message = this.messages[this.#cursor++]!;
        if (predicate(message)) return message;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closeInfo) {
        const last = JSON.stringify(this.messages.slice(-3));
        throw new Error(
          `no matching message within ${timeoutMs} ms (closed: ${this.closeInfo?.code}); last: ${last}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Waits for the close (up to `timeoutMs`). */
  async closed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closeInfo && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#wake = undefined;
    if (!this.closeInfo) throw new Error(`not closed within ${timeoutMs} ms`);
    return this.closeInfo;
  }

  terminate(): void {
    this.socket.terminate();
  }
}
