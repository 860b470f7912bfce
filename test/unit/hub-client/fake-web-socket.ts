import type { WebSocketLike } from '../../../src/hub-client/hub-client-options.js';

/** A WebSocket the test drives by hand: what the client sends is recorded, the server's side is faked. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readonly url: string;
  readonly protocols: string | string[] | undefined;
  protocol = '';
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;

  constructor(url: string, protocols?: string | string[]) {
    this.url = url;
    this.protocols = protocols;
    FakeWebSocket.instances.push(this);
  }

  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (socket === undefined) throw new Error('no socket yet');
    return socket;
  }

  send(data: string): void {
    if (this.closedWith !== null) throw new Error('InvalidStateError');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = {
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    };
  }

  /** The handshake succeeded; the server selected `protocol`, then welcomes with `ping` seconds. */
  accept(ping = 25, protocol = 'fullduplex.hub.v1'): void {
    this.protocol = protocol;
    this.onopen?.({});
    if (protocol === 'fullduplex.hub.v1')
      this.receive({ op: 'welcome', protocol, client: 'c1', ping, limits: {} });
  }

  receive(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The connection failed (`error` as fullduplex's WebSocket attaches it) and closed with `code`. */
  drop(code = 1006, reason = '', error?: unknown): void {
    this.onerror?.(error === undefined ? {} : { error });
    this.onclose?.({ code, reason });
  }

  sentOps(op: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.op === op);
  }
}
