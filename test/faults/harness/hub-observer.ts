// One HubClient that records what the application sees, written once for both runtimes: Node imports
// it, and the browser runs its compiled text as an inline module script next to the hub's
// '/client/index.js'. So it imports nothing at run time and its record is plain JSON.
import type { HubClient, HubClientOptions, WebSocketConstructor } from '../../../src/hub-client/index.js';

export interface ObserverOptions {
  readonly url: string;
  readonly topic: string;
  readonly reconnect?: HubClientOptions['reconnect'];
  readonly heartbeatTimeout?: number;
  readonly connectTimeout?: number;
  /**
   * Every backoff delay at this fraction of its window instead of a uniform draw (the client's
   * internal `random` option), for a test that needs to know the client stays away a while.
   */
  readonly jitter?: number;
}

export interface ObserverRecord {
  state: string;
  /** Each attempt to connect (the client's `connecting` events), with its time. */
  attempts: number[];
  connected: { reconnected: boolean; ping: number; at: number }[];
  disconnected: { code: number; reason: string; willReconnect: boolean; at: number }[];
  subscribed: {
    resubscribed: boolean;
    recovered: boolean | null;
    reason: string | null;
    position: { offset: number; epoch: string };
  }[];
  recovered: boolean[];
  messages: { offset: number; epoch: string; data: unknown }[];
  gaps: { after: number; reason: string }[];
  /** `publish()` outcomes, in the order they settled: the ack's offset, or the error's code. */
  published: { data: unknown; offset?: number; error?: string }[];
  failed: { code: string; message: string } | null;
  errors: string[];
}

export interface Observer {
  readonly record: ObserverRecord;
  publish(data: unknown): void;
  close(): void;
}

type Client = Pick<HubClient, 'on' | 'subscribe' | 'publish' | 'connect' | 'close' | 'state'>;
type ClientConstructor = new (url: string, options: HubClientOptions) => Client;

export function observe(
  Hub: ClientConstructor,
  options: ObserverOptions,
  WebSocket?: WebSocketConstructor,
): Observer {
  const record: ObserverRecord = {
    state: 'idle',
    attempts: [],
    connected: [],
    disconnected: [],
    subscribed: [],
    recovered: [],
    messages: [],
    gaps: [],
    published: [],
    failed: null,
    errors: [],
  };
  const jitter = options.jitter;
  const client = new Hub(options.url, {
    ...(WebSocket ? { WebSocket } : {}),
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    ...(options.heartbeatTimeout ? { heartbeatTimeout: options.heartbeatTimeout } : {}),
    ...(options.connectTimeout ? { connectTimeout: options.connectTimeout } : {}),
    ...(jitter === undefined ? {} : { random: () => jitter }),
  });
  client.on('state', (state) => {
    record.state = state;
  });
  client.on('connecting', () => record.attempts.push(Date.now()));
  client.on('connected', (event) =>
    record.connected.push({ reconnected: event.reconnected, ping: event.ping, at: Date.now() }),
  );
  client.on('disconnected', (event) =>
    record.disconnected.push({
      code: event.code,
      reason: event.reason,
      willReconnect: event.willReconnect,
      at: Date.now(),
    }),
  );
  client.on('recovered', (event) => record.recovered.push(event.complete));
  client.on('failed', (error) => {
    record.failed = { code: error.code, message: error.message };
  });
  client.on('error', (error) => record.errors.push(error.message));
  const subscription = client.subscribe(options.topic);
  subscription.on('subscribed', (event) =>
    record.subscribed.push({
      resubscribed: event.resubscribed,
      recovered: event.recovered ?? null,
      reason: event.reason ?? null,
      position: { offset: event.position.offset, epoch: event.position.epoch },
    }),
  );
  subscription.on('message', (message) =>
    record.messages.push({ offset: message.offset, epoch: message.epoch, data: message.data }),
  );
  subscription.on('gap', (event) => record.gaps.push({ after: event.after.offset, reason: event.reason }));
  subscription.on('error', (error) => record.errors.push(`subscription: ${error.code}`));
  client.connect();
  return {
    record,
    publish(data) {
      client.publish(options.topic, data).then(
        (ack) => record.published.push({ data, offset: ack.offset }),
        (error: { code?: string; message: string }) =>
          record.published.push({ data, error: error.code ?? error.message }),
      );
    },
    close: () => client.close(),
  };
}
