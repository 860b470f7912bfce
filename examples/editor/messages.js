// The publications on a document's topic, shared by the page and the server. Each is binary: one
// kind byte, then the kind's fields. The hub carries the bytes as they are (base64 on the wire).
//
//   UPDATE    [0] [Yjs update]                     an edit (or a batch of edits) made in a page
//   SNAPSHOT  [1] [base: float64 BE] [Yjs update]  the whole document as the server had merged it
//                                                  through offset `base` of the topic's epoch

export const UPDATE = 0;
export const SNAPSHOT = 1;
const SNAPSHOT_HEADER = 9;

/** @param {Uint8Array} update */
export function encodeUpdate(update) {
  const bytes = new Uint8Array(1 + update.length);
  bytes[0] = UPDATE;
  bytes.set(update, 1);
  return bytes;
}

/**
 * @param {Uint8Array} update the merged document
 * @param {number} base the offset of the last publication merged into it
 */
export function encodeSnapshot(update, base) {
  const bytes = new Uint8Array(SNAPSHOT_HEADER + update.length);
  bytes[0] = SNAPSHOT;
  new DataView(bytes.buffer).setFloat64(1, base);
  bytes.set(update, SNAPSHOT_HEADER);
  return bytes;
}

/**
 * @param {Uint8Array} bytes a publication's payload
 * @returns {{ kind: 0, update: Uint8Array } | { kind: 1, base: number, update: Uint8Array }}
 * @throws {TypeError} for anything else (a stray text message, an unknown kind)
 */
export function decodeMessage(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1) throw new TypeError('not a document message');
  if (bytes[0] === UPDATE) return { kind: UPDATE, update: bytes.subarray(1) };
  if (bytes[0] === SNAPSHOT && bytes.length >= SNAPSHOT_HEADER) {
    const base = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getFloat64(1);
    return { kind: SNAPSHOT, base, update: bytes.subarray(SNAPSHOT_HEADER) };
  }
  throw new TypeError(`unknown document message kind ${bytes[0]}`);
}

/** The hub client's codec for these messages: bytes in, bytes out. */
export const bytesCodec = {
  type: 'binary',
  encode: (bytes) => bytes,
  decode: (data) => (typeof data === 'string' ? new TextEncoder().encode(data) : data),
};

/** Document names: the page's `?doc=` and the topic `editor.NAME`. */
export const DOCUMENT_NAME = /^[A-Za-z0-9_-]{1,40}$/;
export const TOPIC_PREFIX = 'editor.';
/** `editor.NAME.people`: who has the document open (people.js); no history. */
export const PEOPLE_SUFFIX = '.people';
