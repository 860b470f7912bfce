import type { PresenceEntry, PresenceEvent, Publication } from '../broker.js';

const NEWLINE = 0x0a;

/**
 * Decodes one pub/sub message of a topic's channel (format in redis-scripts.ts): a publication, or
 * a presence join or leave. Returns undefined for a message it cannot read (another writer on the
 * channel), which the broker drops.
 */
export function decodeChannelMessage(
  topic: string,
  message: Buffer,
): Publication | PresenceEvent | undefined {
  const headerEnd = message.indexOf(NEWLINE);
  if (headerEnd < 1) return undefined;
  const flag = message[0];
  if (flag === 0x6a /* j */ || flag === 0x6c /* l */) {
    const entry = parseEntry(message.toString('utf8', headerEnd + 1));
    if (entry === undefined) return undefined;
    return { type: flag === 0x6a ? 'join' : 'leave', topic, entry };
  }
  const header = message.toString('latin1', 0, headerEnd).split(' ');
  if (header.length !== 4) return undefined;
  const flags = header[0] as string;
  const offset = Number(header[1]);
  const epoch = header[2] as string;
  const keyLength = Number(header[3]);
  const dataStart = headerEnd + 1 + keyLength;
  if (!Number.isInteger(offset) || !Number.isInteger(keyLength) || dataStart > message.length)
    return undefined;
  const data = flags[0] === 'b' ? message.subarray(dataStart) : message.toString('utf8', dataStart);
  if (flags.length > 1 && flags[1] === 'k') {
    return { topic, offset, epoch, data, key: message.toString('utf8', headerEnd + 1, dataStart) };
  }
  return { topic, offset, epoch, data };
}

/** Flags of a publication: its type, and whether it carries a key (an empty key is still a key). */
export function publicationFlags(data: string | Buffer, key: string | undefined): string {
  const type = typeof data === 'string' ? 't' : 'b';
  return key === undefined ? type : `${type}k`;
}

export function parseEntry(json: string): PresenceEntry | undefined {
  try {
    const value = JSON.parse(json) as PresenceEntry;
    return typeof value === 'object' && value !== null && typeof value.id === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
