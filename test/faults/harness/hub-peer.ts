// A hub-protocol client for fault tests, speaking docs/hub-protocol.md directly over `ws` (a peer we
// did not write), recording every frame the hub sends.
import WebSocket from 'ws';

export const HUB_SUBPROTOCOL = 'fullduplex.hub.v1';

export interface Position {
  readonly offset: number;
  readonly epoch: string;
}

// biome-ignore lint/suspicious/noExplicitAny: hub frames are JSON objects of many shapes.
export type Frame = Record<string, any>;

export class HubPeer {
  readonly frames: Frame[] = [];
  private readonly socket: WebSocket;
  private nextId = 1;
  closed = false;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, binary) => {
      if (!binary) this.frames.push(JSON.parse(String(data)) as Frame);
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static open(url: string): Promise<HubPeer> {
    const socket = new WebSocket(url, HUB_SUBPROTOCOL, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new HubPeer(socket)));
      socket.once('error', reject);
    });
  }

  /** The `message` frames of `topic`, in arrival order. */
  messages(topic: string): Frame[] {
    return this.frames.filter((frame) => frame.op === 'message' && frame.topic === topic);
  }

  /** The last position this peer saw on `topic` (from messages or the subscribe answer). */
  lastPosition(topic: string): Position | undefined {
    const last = this.messages(topic).at(-1);
    if (last) return { offset: last.offset, epoch: last.epoch };
    const subscribed = this.frames.findLast((frame) => frame.op === 'subscribed' && frame.topic === topic);
    return subscribed?.position;
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends `frame` with a fresh id and resolves with the answer carrying that id. */
  async request(frame: Frame, timeoutMs = 10_000): Promise<Frame> {
    const id = this.nextId++;
    const from = this.frames.length;
    this.send({ ...frame, id });
    return this.waitFor((candidate) => candidate.id === id, timeoutMs, from);
  }

  subscribe(topic: string, since?: Position): Promise<Frame> {
    return this.request({ op: 'subscribe', topic, ...(since ? { since } : {}) });
  }

  publish(topic: string, data: string): Promise<Frame> {
    return this.request({ op: 'publish', topic, data });
  }

  /** Resolves with the first frame (from index `from`) that matches, polling every 10 ms. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 10_000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.close();
  }

  terminate(): void {
    this.socket.terminate();
  }
}
