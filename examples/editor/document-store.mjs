// The server's side of a document: it merges the topic's publications into a Y.Doc, answers a
// joining page with the merged state and the position it covers, and keeps the topic's history
// holding the whole document by publishing a SNAPSHOT every `snapshotEvery` updates. (The history
// keeps the newest `historySize` publications; a snapshot every `snapshotEvery` of them, with
// historySize >= 3 x snapshotEvery, leaves the latest snapshot and everything after it in there.)
//
// It reads the topic through hub.history() (from the position it has merged through), so it needs
// no subscription of its own and works the same on every process: each process merges the
// documents its own pages have open. The topic's history is the only shared state; a process that
// starts (or restarts) rebuilds a document from it.
import * as Y from 'yjs';
import { decodeMessage, encodeSnapshot, SNAPSHOT, UPDATE } from './messages.js';

/**
 * @typedef {{ offset: number, epoch: string }} Position
 * @typedef {{
 *   doc: Y.Doc,
 *   position: Position | null,   // merged through this publication (null: not loaded yet)
 *   updatesSinceSnapshot: number,
 *   busy: Promise<unknown>,      // one catch-up at a time per document
 * }} Entry
 */

export class DocumentStore {
  /** @type {Map<string, Entry>} */
  #documents = new Map();
  #hub;
  #snapshotEvery;
  #log;

  /**
   * @param {import('fullduplex/hub').Hub} hub
   * @param {{ snapshotEvery: number, log?: (message: string) => void }} options
   */
  constructor(hub, { snapshotEvery, log = console.error }) {
    this.#hub = hub;
    this.#snapshotEvery = snapshotEvery;
    this.#log = log;
  }

  /** Starts following `topic` (a page of this process subscribed to it). */
  watch(topic) {
    if (this.#documents.has(topic)) return;
    this.#documents.set(topic, {
      doc: new Y.Doc(),
      position: null,
      updatesSinceSnapshot: 0,
      busy: Promise.resolve(),
    });
  }

  /**
   * The document as of now: every publication up to `position` merged into one Yjs update. A page
   * applies it, then subscribes with `since: position` to get every publication after it.
   * @returns {Promise<{ update: Uint8Array, position: Position }>}
   */
  async state(topic) {
    this.watch(topic);
    const entry = this.#documents.get(topic);
    await this.#serially(topic, entry, () => this.#catchUp(topic, entry));
    return { update: Y.encodeStateAsUpdate(entry.doc), position: entry.position };
  }

  /**
   * Catches `topic` up and publishes a snapshot if `snapshotEvery` updates came since the last one.
   * Pages ask for this (POST /doc/NAME/compact) as they see the count pass; it is cheap when there is
   * nothing to do, and one at a time per document.
   */
  async compactNow(topic) {
    this.watch(topic);
    await this.#compactOne(topic, this.#documents.get(topic));
  }

  /**
   * One round of upkeep, on a timer: compact every followed document, forget those no page of this
   * process has open.
   */
  async compact() {
    for (const [topic, entry] of this.#documents) {
      try {
        await this.#compactOne(topic, entry);
      } catch {
        // logged by #serially; the next round tries again
      }
      if (this.#hub.localSubscribers(topic) === 0) {
        this.#documents.delete(topic);
        entry.doc.destroy();
      }
    }
  }

  #compactOne(topic, entry) {
    return this.#serially(topic, entry, async () => {
      await this.#catchUp(topic, entry);
      if (entry.updatesSinceSnapshot >= this.#snapshotEvery) await this.#publishSnapshot(topic, entry);
    });
  }

  #serially(topic, entry, task) {
    const run = entry.busy.then(task);
    entry.busy = run.catch((error) => this.#log(`editor: ${topic}: ${error.message}`));
    return run;
  }

  /** Merges what was published since `entry.position` (or everything kept, when that is not possible). */
  async #catchUp(topic, entry) {
    if (entry.position !== null) {
      const since = await this.#hub.history(topic, { since: entry.position });
      if (since.ok) {
        this.#merge(entry, since.publications);
        entry.position = since.position;
        return;
      }
      // epoch-changed (the broker lost the topic) or history-gap (we fell behind): read it all again.
    }
    const all = await this.#hub.history(topic);
    if (!all.ok) throw new Error(`history read failed: ${all.reason}`);
    const lostEpoch = entry.position !== null && entry.position.epoch !== all.position.epoch;
    if (!coversDocument(all.publications)) {
      this.#log(`editor: ${topic}: the kept history no longer holds the whole document (raise --history)`);
    }
    entry.updatesSinceSnapshot = 0;
    this.#merge(entry, all.publications);
    entry.position = all.position;
    // The topic's state was lost but this process still has the document: put it back in history.
    if (lostEpoch && entry.doc.share.size > 0) await this.#publishSnapshot(topic, entry);
  }

  #merge(entry, publications) {
    for (const publication of publications) {
      let message;
      try {
        message = decodeMessage(publication.data);
      } catch {
        continue; // not ours (a text message from a stray client): nothing to merge
      }
      try {
        Y.applyUpdate(entry.doc, message.update);
      } catch {
        continue; // a malformed update changes nothing
      }
      if (message.kind === UPDATE) entry.updatesSinceSnapshot++;
      else if (message.kind === SNAPSHOT) entry.updatesSinceSnapshot = 0;
    }
  }

  async #publishSnapshot(topic, entry) {
    const snapshot = encodeSnapshot(Y.encodeStateAsUpdate(entry.doc), entry.position.offset);
    await this.#hub.publish(topic, snapshot);
    entry.updatesSinceSnapshot = 0;
  }
}

/**
 * Does this run of kept publications (oldest first) hold the whole document? Yes when it starts at
 * the epoch's first publication, or when it holds a snapshot whose base reaches back to its start.
 */
export function coversDocument(publications) {
  if (publications.length === 0) return true;
  const first = publications[0].offset;
  if (first === 1) return true;
  return publications.some((publication) => {
    try {
      const message = decodeMessage(publication.data);
      return message.kind === SNAPSHOT && message.base >= first - 1;
    } catch {
      return false;
    }
  });
}
