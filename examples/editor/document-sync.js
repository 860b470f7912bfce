// Keeps a Y.Doc in step with a document's topic on the hub.
//
// Joining: GET /doc/NAME answers with the document as the server merged it and the topic position
// that covers; the doc applies it and subscribes from that position, so the hub sends every
// publication after it (from history), then live ones. Nothing is missed between the two steps.
//
// Local edits: collected in `pending` and published one batch at a time (merged into one update),
// only while connected. A batch leaves `pending` only when the hub acknowledged it; one that fails
// (the connection dropped before the ack, a refusal) goes back and is sent again. So edits made
// while offline, however many, wait here and go out after the reconnect. Sending an update twice
// is harmless: Yjs applies each change once.
//
// After a reconnect the hub client resubscribes from the last position seen. If the hub can no
// longer replay what was missed (`recovered: false`) the doc fetches the merged state again; if the
// topic itself was lost (`epoch-changed`: a one-process server restarted) the page also publishes
// its whole document, so the topic holds it again. Yjs merges whatever overlaps.
import * as Y from 'yjs';
import { decodeMessage, encodeUpdate, SNAPSHOT } from './messages.js';

/** Transaction origin of updates from the hub: not to be published again. */
const REMOTE = Symbol('hub');
const RETRY_MS = 1000;
/** Keystrokes within this window go out as one publication: fewer, larger history entries. */
const BATCH_MS = 40;

export class DocumentSync {
  /** @type {Uint8Array[]} local updates the hub has not acknowledged yet */
  #pending = [];
  #inFlight = false;
  #joined = false;
  #timer = undefined;
  #client;
  #doc;
  #topic;
  #documentUrl;
  #onChange;
  /** Compaction hints: see #noteOffset. */
  #snapshotEvery = Number.POSITIVE_INFINITY;
  #compactedAt = { offset: 0, epoch: '' };

  /**
   * @param {{ client: import('/client/index.js').HubClient, doc: Y.Doc, topic: string,
   *   documentUrl: string, onChange?: () => void }} options
   *   documentUrl: GET answers the merged state, POST `${documentUrl}/compact` asks for a snapshot;
   *   onChange: called whenever `pendingUpdates`, `joined` or the server label changes
   */
  constructor({ client, doc, topic, documentUrl, onChange = () => {} }) {
    this.#client = client;
    this.#doc = doc;
    this.#topic = topic;
    this.#documentUrl = documentUrl;
    this.#onChange = onChange;
    /** The process that answered the last state request ("pid 1234"). */
    this.server = '';
    doc.on('update', (update, origin) => {
      if (origin === REMOTE) return;
      this.#pending.push(update);
      this.#onChange();
      if (this.#timer === undefined) this.#timer = setTimeout(() => this.#flush(), BATCH_MS);
    });
    client.on('connected', () => this.#flush());
  }

  /** Local updates not acknowledged by the hub yet. */
  get pendingUpdates() {
    return this.#pending.length + (this.#inFlight ? 1 : 0);
  }

  /** Has the document's state arrived? (Before, the page should not let anyone type.) */
  get joined() {
    return this.#joined;
  }

  /** Loads the merged state (retrying until the server answers), then follows the topic. */
  async join() {
    const position = await this.#loadState();
    const subscription = this.#client.subscribe(this.#topic, { since: position });
    subscription.on('message', ({ offset, epoch, data }) => {
      if (this.#applyRemote(data) === SNAPSHOT) this.#compactedAt = { offset, epoch };
      this.#noteOffset(offset, epoch);
    });
    subscription.on('subscribed', (event) => {
      if (event.recovered !== false) return;
      if (event.reason === 'epoch-changed') this.#republish();
      this.#loadState().catch(() => {});
    });
    subscription.on('gap', () => this.#loadState().catch(() => {}));
    this.#joined = true;
    this.#onChange();
  }

  async #loadState() {
    for (;;) {
      try {
        const response = await fetch(this.#documentUrl, { cache: 'no-store' });
        if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
        const state = await response.json();
        Y.applyUpdate(this.#doc, base64ToBytes(state.update), REMOTE);
        this.server = state.server;
        this.#snapshotEvery = state.snapshotEvery;
        this.#onChange();
        return state.position;
      } catch (error) {
        console.warn(`document state not loaded, retrying: ${error.message}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** @returns the message's kind, or undefined when it was not one of ours */
  #applyRemote(bytes) {
    let message;
    try {
      message = decodeMessage(bytes);
      Y.applyUpdate(this.#doc, message.update, REMOTE);
    } catch (error) {
      console.warn(`ignored a message on ${this.#topic}: ${error.message}`);
      return undefined;
    }
    return message.kind;
  }

  /**
   * The history keeps only the newest publications, so the server must publish a snapshot every
   * `snapshotEvery` of them. Its timer may be too slow for fast typing; so every page that sees the
   * count pass since the last snapshot (or since its last hint) tells the server.
   */
  #noteOffset(offset, epoch) {
    if (epoch !== this.#compactedAt.epoch) this.#compactedAt = { offset: 0, epoch };
    if (offset - this.#compactedAt.offset < this.#snapshotEvery) return;
    this.#compactedAt = { offset, epoch };
    if (this.#client.state !== 'connected') return; // the server is probably away: its timer will do
    fetch(`${this.#documentUrl}/compact`, { method: 'POST' }).catch(() => {});
  }

  /** The whole document, first in line: the topic lost it. */
  #republish() {
    this.#pending.unshift(Y.encodeStateAsUpdate(this.#doc));
    this.#flush();
  }

  #flush() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight || this.#pending.length === 0 || this.#client.state !== 'connected') return;
    const batch = this.#pending.length === 1 ? this.#pending[0] : Y.mergeUpdates(this.#pending);
    this.#pending = [];
    this.#inFlight = true;
    this.#client.publish(this.#topic, encodeUpdate(batch)).then(
      ({ offset, epoch }) => {
        this.#inFlight = false;
        this.#noteOffset(offset, epoch);
        this.#onChange();
        this.#flush();
      },
      (error) => {
        // connection-lost, rate-limited, unavailable (Redis down), ...: keep it and try again,
        // at once after the next reconnect or after a pause while still connected.
        this.#inFlight = false;
        this.#pending.unshift(batch);
        this.#onChange();
        console.warn(`edits not sent yet (${error.code ?? error.message}); retrying`);
        this.#timer = setTimeout(() => this.#flush(), RETRY_MS);
      },
    );
  }
}

function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
