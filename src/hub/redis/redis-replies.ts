import type { HistoryResult, Publication, RecoveryFailure, StreamPosition } from '../broker.js';

/** Redis replies as the links return them: bulk strings as Buffers, integers as numbers. */
function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new TypeError(`unexpected Redis reply element: ${typeof value}`);
}

function integer(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(text(value));
  if (!Number.isSafeInteger(number)) throw new TypeError('unexpected Redis reply: not an integer');
  return number;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new TypeError('unexpected Redis reply: not an array');
  return value;
}

/** PUBLISH_SCRIPT's `{offset, epoch}`. */
export function readPositionReply(reply: unknown): StreamPosition {
  const [offset, epoch] = list(reply);
  return { offset: integer(offset), epoch: text(epoch) };
}

const failures: ReadonlySet<string> = new Set([
  'epoch-changed',
  'history-gap',
  'offset-ahead',
  'limit-exceeded',
]);

/** HISTORY_SCRIPT's `{status, epoch, offset, (offset, flags, key, data)...}`. */
export function readHistoryReply(topic: string, reply: unknown): HistoryResult {
  const items = list(reply);
  const status = text(items[0]);
  const position: StreamPosition = { offset: integer(items[2]), epoch: text(items[1]) };
  if (status !== 'ok') {
    if (!failures.has(status)) throw new TypeError(`unexpected history status: ${status}`);
    return { ok: false, reason: status as RecoveryFailure, position };
  }
  const publications: Publication[] = [];
  for (let index = 3; index + 3 < items.length; index += 4) {
    const offset = integer(items[index]);
    const flags = text(items[index + 1]);
    const raw = items[index + 3];
    const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(text(raw), 'utf8');
    const data = flags[0] === 'b' ? bytes : bytes.toString('utf8');
    const publication: Publication =
      flags[1] === 'k'
        ? { topic, offset, epoch: position.epoch, data, key: text(items[index + 2]) }
        : { topic, offset, epoch: position.epoch, data };
    publications.push(publication);
  }
  return { ok: true, publications, position };
}

/** A list of bulk strings as text. */
export function readStringList(reply: unknown): string[] {
  return list(reply).map(text);
}
