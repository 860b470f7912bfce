// The hub wire protocol (docs/hub-protocol.md): JSON text frames, parsed and written here only.
import type { HistoryResult, PresenceEntry, PresenceEvent, Publication, StreamPosition } from './broker.js';
import { topicNameProblem } from './topic-name.js';

/** The subprotocol a hub-protocol client offers in Sec-WebSocket-Protocol. */
export const HUB_SUBPROTOCOL = 'fullduplex.hub.v1';

/** A request id the client chose; echoed in the answer. */
export type RequestId = string | number;

export type ClientFrame =
  | { op: 'subscribe'; id?: RequestId; topic: string; since?: StreamPosition }
  | { op: 'unsubscribe'; id?: RequestId; topic: string }
  | { op: 'publish'; id?: RequestId; topic: string; data: string | Buffer; key?: string }
  | { op: 'history'; id?: RequestId; topic: string; since?: StreamPosition; limit?: number }
  | { op: 'presence'; id?: RequestId; topic: string }
  | { op: 'ping'; id?: RequestId }
  | { op: 'pong'; id?: RequestId };

/** Error codes of `error` frames (stable: clients branch on them). */
export type WireErrorCode =
  | 'bad-request'
  | 'unknown-op'
  | 'invalid-topic'
  | 'forbidden'
  | 'too-many-topics'
  | 'rate-limited'
  | 'too-big'
  | 'not-subscribed'
  | 'unavailable'
  | 'internal';

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: WireErrorCode; message: string; id?: RequestId; topic?: string };

const OPS = new Set(['subscribe', 'unsubscribe', 'publish', 'history', 'presence', 'ping', 'pong']);
const MAX_ID_LENGTH = 64;
const MAX_KEY_LENGTH = 200;

/** Parse one text frame from a client; never throws. `maxDataBytes` bounds a publish's payload. */
export function parseClientFrame(text: string, maxDataBytes: number): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad-request', message: 'a hub frame is one JSON object' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad-request', message: 'a hub frame is one JSON object' };
  }
  const raw = value as Record<string, unknown>;
  const id = raw.id;
  if (id !== undefined && !isRequestId(id)) {
    return {
      ok: false,
      code: 'bad-request',
      message: `"id" is a string of at most ${MAX_ID_LENGTH} characters or a number`,
    };
  }
  const fail = (code: WireErrorCode, message: string, topic?: string): ParseResult =>
    id === undefined
      ? { ok: false, code, message, ...(topic ? { topic } : {}) }
      : { ok: false, code, message, id, ...(topic ? { topic } : {}) };
  const op = raw.op;
  if (typeof op !== 'string') return fail('bad-request', '"op" is missing');
  if (!OPS.has(op)) return fail('unknown-op', `unknown op ${JSON.stringify(op).slice(0, 40)}`);
  const withId = id === undefined ? {} : { id: id as RequestId };
  if (op === 'ping' || op === 'pong') return { ok: true, frame: { op, ...withId } };
  const topic = raw.topic;
  const problem = topicNameProblem(topic);
  if (problem) return fail('invalid-topic', problem);
  const name = topic as string;
  const since = raw.since === undefined ? undefined : position(raw.since);
  if (since === null)
    return fail('bad-request', '"since" is {"offset": integer >= 0, "epoch": string}', name);
  const withSince = since ? { since } : {};
  switch (op) {
    case 'subscribe':
      return { ok: true, frame: { op, ...withId, topic: name, ...withSince } };
    case 'unsubscribe':
    case 'presence':
      return { ok: true, frame: { op, ...withId, topic: name } };
    case 'history': {
      const limit = raw.limit;
      if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 0)) {
        return fail('bad-request', '"limit" is an integer >= 0', name);
      }
      return {
        ok: true,
        frame: {
          op,
          ...withId,
          topic: name,
          ...withSince,
          ...(limit === undefined ? {} : { limit: limit as number }),
        },
      };
    }
    default: {
      const data = raw.data;
      if (typeof data !== 'string')
        return fail('bad-request', '"data" is a string (base64 with "binary": true)', name);
      const binary = raw.binary;
      if (binary !== undefined && typeof binary !== 'boolean')
        return fail('bad-request', '"binary" is a boolean', name);
      const key = raw.key;
      if (key !== undefined && !(typeof key === 'string' && key.length <= MAX_KEY_LENGTH)) {
        return fail('bad-request', `"key" is a string of at most ${MAX_KEY_LENGTH} characters`, name);
      }
      let payload: string | Buffer = data;
      if (binary) {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
          return fail('bad-request', '"data" is not base64', name);
        }
        payload = Buffer.from(data, 'base64');
      }
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      if (size > maxDataBytes)
        return fail('too-big', `a publication carries at most ${maxDataBytes} bytes`, name);
      return {
        ok: true,
        frame: {
          op: 'publish',
          ...withId,
          topic: name,
          data: payload,
          ...(key === undefined ? {} : { key: key as string }),
        },
      };
    }
  }
}

function isRequestId(id: unknown): id is RequestId {
  return (
    (typeof id === 'string' && id.length <= MAX_ID_LENGTH) || (typeof id === 'number' && Number.isFinite(id))
  );
}

function position(value: unknown): StreamPosition | null {
  if (typeof value !== 'object' || value === null) return null;
  const { offset, epoch } = value as Record<string, unknown>;
  if (
    !(Number.isSafeInteger(offset) && (offset as number) >= 0) ||
    typeof epoch !== 'string' ||
    epoch.length > 64
  ) {
    return null;
  }
  return { offset: offset as number, epoch };
}

// ---- frames the server sends ----

function dataFields(data: string | Buffer): { data: string; binary?: true } {
  return typeof data === 'string' ? { data } : { data: data.toString('base64'), binary: true };
}

/** A publication as delivered to a subscriber (framed once per process for every subscriber). */
export function messageFrame(publication: Publication): string {
  return JSON.stringify({
    op: 'message',
    topic: publication.topic,
    offset: publication.offset,
    epoch: publication.epoch,
    ...dataFields(publication.data),
  });
}

export function welcomeFrame(client: string, pingInterval: number, limits: object): string {
  return JSON.stringify({
    op: 'welcome',
    protocol: HUB_SUBPROTOCOL,
    client,
    ping: pingInterval / 1000,
    limits,
  });
}

const withOptionalId = (id: RequestId | undefined) => (id === undefined ? {} : { id });

export function subscribedFrame(
  id: RequestId | undefined,
  topic: string,
  position: StreamPosition,
  recovery: { recovered: boolean; reason?: string } | undefined,
): string {
  return JSON.stringify({ op: 'subscribed', ...withOptionalId(id), topic, position, ...(recovery ?? {}) });
}

export function unsubscribedFrame(id: RequestId | undefined, topic: string, reason?: string): string {
  return JSON.stringify({ op: 'unsubscribed', ...withOptionalId(id), topic, ...(reason ? { reason } : {}) });
}

export function publishedFrame(id: RequestId, topic: string, position: StreamPosition): string {
  return JSON.stringify({ op: 'published', id, topic, offset: position.offset, epoch: position.epoch });
}

export function historyFrame(id: RequestId | undefined, topic: string, result: HistoryResult): string {
  if (!result.ok) {
    return JSON.stringify({
      op: 'history',
      ...withOptionalId(id),
      topic,
      ok: false,
      reason: result.reason,
      position: result.position,
    });
  }
  const publications = result.publications.map((p) => ({
    offset: p.offset,
    epoch: p.epoch,
    ...dataFields(p.data),
  }));
  return JSON.stringify({
    op: 'history',
    ...withOptionalId(id),
    topic,
    ok: true,
    publications,
    position: result.position,
  });
}

export function presenceFrame(
  id: RequestId | undefined,
  topic: string,
  entries: readonly PresenceEntry[],
): string {
  return JSON.stringify({ op: 'presence', ...withOptionalId(id), topic, entries });
}

export function presenceEventFrame(event: PresenceEvent): string {
  return JSON.stringify({ op: event.type, topic: event.topic, entry: event.entry });
}

/** Publications after `after` may be missing and could not be recovered (`reason`). */
export function gapFrame(topic: string, after: StreamPosition, reason: string): string {
  return JSON.stringify({ op: 'gap', topic, after, reason });
}

export function errorFrame(code: WireErrorCode, message: string, id?: RequestId, topic?: string): string {
  return JSON.stringify({ op: 'error', ...withOptionalId(id), ...(topic ? { topic } : {}), code, message });
}

export const PING_FRAME = '{"op":"ping"}';
export const PONG_FRAME = '{"op":"pong"}';
