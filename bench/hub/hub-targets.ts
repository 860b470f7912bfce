// The two systems the hub benchmark compares, behind one shape: how to start one process of each on
// a Redis, and how a subscriber and a publisher talk to it.
//  - fullduplex: `serve --mode hub --redis URL` (hub protocol clients over `ws`, JSON frames);
//  - Socket.IO 4 with @socket.io/redis-adapter (socket.io-client over WebSocket only).
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { compiledBench, fullduplexCli } from '../load/paths.js';
import type { ServerLaunch } from '../load/server-process.js';

export const TOPIC = 'bench';

/** Called per delivery with the payload's send time (µs of performance.now(), from the payload), or -1 if unreadable. */
export type OnDelivery = (sentAtUs: number) => void;

export interface HubPublisher {
  publish(payload: string): void;
  close(): void;
}

export interface HubTarget {
  readonly name: string;
  launch(redisUrl: string): ServerLaunch;
  subscribe(url: string, onDelivery: OnDelivery): Promise<() => void>;
  publisher(url: string): Promise<HubPublisher>;
}

/** The send time a payload starts with (decimal microseconds, then padding), read without parsing JSON. */
function sentAt(text: string, from: number): number {
  let value = 0;
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return index === from ? -1 : value;
    value = value * 10 + (code - 48);
  }
  return -1;
}

function openWs(url: string, protocol: string): Promise<WebSocket> {
  const socket = new WebSocket(url, protocol, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

const DATA_FIELD = '"data":"';

export const fullduplexHub: HubTarget = {
  name: 'fullduplex',
  launch: (redisUrl) => ({
    args: [
      fullduplexCli,
      'serve',
      '--mode',
      'hub',
      '--redis',
      redisUrl,
      '--port',
      '0',
      '--publish-rate',
      '0',
    ],
  }),
  async subscribe(url, onDelivery) {
    const socket = await openWs(url, 'fullduplex.hub.v1');
    await new Promise<void>((resolve, reject) => {
      const onSubscribed = (data: WebSocket.RawData): void => {
        const text = String(data);
        if (text.includes('"op":"subscribed"')) {
          socket.off('message', onSubscribed);
          socket.on('message', (frame: Buffer) => {
            const text = frame.toString('latin1');
            const at = text.indexOf(DATA_FIELD);
            onDelivery(at < 0 ? -1 : sentAt(text, at + DATA_FIELD.length));
          });
          resolve();
        } else if (text.includes('"op":"error"')) reject(new Error(text));
      };
      socket.on('message', onSubscribed);
      socket.send(JSON.stringify({ op: 'subscribe', id: 1, topic: TOPIC }));
    });
    return () => socket.terminate();
  },
  async publisher(url) {
    const socket = await openWs(url, 'fullduplex.hub.v1');
    const prefix = `{"op":"publish","topic":"${TOPIC}","data":"`;
    return {
      publish: (payload) => socket.send(`${prefix}${payload}"}`),
      close: () => socket.terminate(),
    };
  },
};

function openSocketIo(url: string, query: Record<string, string>): Promise<Socket> {
  const socket = ioClient(url, { transports: ['websocket'], reconnection: false, query, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export const socketIoHub: HubTarget = {
  name: 'socket.io',
  launch: (redisUrl) => ({ args: [`${compiledBench}hub/socketio-hub-server.js`, redisUrl] }),
  async subscribe(url, onDelivery) {
    const socket = await openSocketIo(url, { room: TOPIC });
    socket.on('message', (payload: unknown) =>
      onDelivery(typeof payload === 'string' ? sentAt(payload, 0) : -1),
    );
    // The join happens in the server's connection handler; a round trip makes sure it is done.
    await new Promise<void>((resolve) => socket.emit('ready', () => resolve()));
    return () => socket.disconnect();
  },
  async publisher(url) {
    const socket = await openSocketIo(url, {});
    return {
      publish: (payload) => socket.emit('publish', TOPIC, payload),
      close: () => socket.disconnect(),
    };
  },
};

export const hubTargets: readonly HubTarget[] = [fullduplexHub, socketIoHub];
