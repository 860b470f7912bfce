// Scenario scripts for the WebSocket class cross-check: each runs unchanged in headless Chromium (over
// the browser's WebSocket) and in Node (over fullduplex's WebSocket), against the same server, and
// writes a log of what it saw. The functions are sent to the page as source text, so they use nothing
// but their `env` argument and the kit (no imports, no closures over this module).

/** The parts of the WebSocket interface the scenarios touch (the test's tsconfig has no DOM types). */
export interface SocketLike extends EventTarget {
  readonly url: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly extensions: string;
  binaryType: string;
  onopen: unknown;
  onmessage: unknown;
  onerror: unknown;
  onclose: unknown;
  send(data: unknown): void;
  close(code?: unknown, reason?: unknown): void;
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
}

export interface SocketClass {
  new (url?: unknown, protocols?: unknown): SocketLike;
  readonly CONNECTING: number;
  readonly OPEN: number;
  readonly CLOSING: number;
  readonly CLOSED: number;
  readonly prototype: SocketLike;
}

export interface ScenarioEnv {
  readonly WebSocket: SocketClass;
  readonly CloseEvent: new (type: string, init?: Record<string, unknown>) => Event;
  readonly MessageEvent: new (type: string, init?: Record<string, unknown>) => Event;
  readonly DOMException: new (message?: string, name?: string) => Error;
  readonly Blob: new (parts?: unknown[], options?: Record<string, unknown>) => { readonly size: number };
  /** ws://127.0.0.1:PORT */
  readonly base: string;
  /** A name for this run's connections, sent as ?id=... so the server can report what it saw. */
  readonly id: string;
  readonly log: unknown[][];
}

export interface Kit {
  /** Logs every event of `socket` (with readyState and the event's fields); resolves on close (or a 10 s timeout). */
  watch(socket: SocketLike, label?: string): Promise<void>;
  /** Resolves after `count` message events of `socket` (or a 10 s timeout). */
  messages(socket: SocketLike, count: number): Promise<void>;
  /** Runs `fn` and logs 'ok' or the exception's name, whether it is a DOMException, and its code. */
  attempt(label: string, fn: () => unknown): unknown;
  /** The URL of a server route for this run: `${base}${path}?id=...`. */
  url(path: string, query?: string): string;
  /** Waits for a task turn (setTimeout 0) `times` times. */
  turns(times?: number): Promise<void>;
  /** Waits until the log entries written asynchronously (Blob contents) are in. */
  settle(): Promise<void>;
}

export type Scenario = (env: ScenarioEnv, kit: Kit) => Promise<void>;

/** Builds the kit inside the environment (sent as source text too). */
export function makeKit(env: ScenarioEnv): Kit {
  const pending: Promise<unknown>[] = [];
  const hex = (bytes: Uint8Array): string =>
    Array.from(bytes, (b: number) => b.toString(16).padStart(2, '0')).join('');
  const describeData = (data: unknown, entry: unknown[]): void => {
    if (typeof data === 'string') {
      entry.push('text', data.length > 64 ? `${data.length} chars` : data);
    } else if (data instanceof ArrayBuffer) {
      entry.push('arraybuffer', data.byteLength, hex(new Uint8Array(data).subarray(0, 32)));
    } else if (data instanceof env.Blob) {
      const blob = data as unknown as { size: number; type: string; arrayBuffer(): Promise<ArrayBuffer> };
      entry.push('blob', blob.size, blob.type);
      const slot = entry.length;
      entry.push('...');
      pending.push(
        blob.arrayBuffer().then((buffer) => {
          entry[slot] = hex(new Uint8Array(buffer).subarray(0, 32));
        }),
      );
    } else {
      entry.push('other', Object.prototype.toString.call(data));
    }
  };
  const timeout = (ms: number, what: string): Promise<void> =>
    new Promise((resolve) =>
      setTimeout(() => {
        env.log.push(['timeout', what]);
        resolve();
      }, ms),
    );
  return {
    watch(socket, label = '') {
      const tag = (type: string): unknown[] => (label === '' ? [type] : [`${label}:${type}`]);
      let closed: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        closed = resolve;
      });
      socket.addEventListener('open', (event: Event) => {
        env.log.push([
          ...tag('open'),
          socket.readyState,
          socket.protocol,
          socket.extensions,
          socket.bufferedAmount,
          event.target === socket,
        ]);
      });
      socket.addEventListener('message', (event: Event) => {
        const message = event as Event & { data: unknown; origin: string; lastEventId: string };
        const entry: unknown[] = [...tag('message'), socket.readyState];
        describeData(message.data, entry);
        entry.push(
          message.origin === new URL(socket.url).origin,
          message.lastEventId,
          event instanceof env.MessageEvent,
        );
        env.log.push(entry);
      });
      socket.addEventListener('error', (event: Event) => {
        env.log.push([...tag('error'), socket.readyState, event.constructor === Event, event.bubbles]);
      });
      socket.addEventListener('close', (event: Event) => {
        const close = event as Event & { code: number; reason: string; wasClean: boolean };
        env.log.push([
          ...tag('close'),
          socket.readyState,
          close.code,
          close.reason,
          close.wasClean,
          event instanceof env.CloseEvent,
          event.bubbles,
          event.cancelable,
        ]);
        // A turn later: the other close listeners (an onclose) run before the scenario goes on.
        setTimeout(closed, 0);
      });
      return Promise.race([done, timeout(10_000, `${label} close`)]);
    },
    messages(socket, count) {
      let seen = 0;
      let reached: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        reached = resolve;
      });
      socket.addEventListener('message', () => {
        seen += 1;
        if (seen === count) reached();
      });
      return Promise.race([done, timeout(10_000, `${count} messages`)]);
    },
    attempt(label, fn) {
      try {
        const value = fn();
        env.log.push([label, 'ok']);
        return value;
      } catch (error) {
        const e = error as { name: string; code: number };
        env.log.push([label, e.name, error instanceof env.DOMException, e.code]);
        return undefined;
      }
    },
    url(path, query = '') {
      return `${env.base}${path}?id=${env.id}${query === '' ? '' : `&${query}`}`;
    },
    async turns(times = 1) {
      for (let i = 0; i < times; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    },
    async settle() {
      await Promise.all(pending);
    },
  };
}
