// examples/editor/document-store.mjs on real hubs over the in-process broker, two "processes"
// sharing one MemoryBackend: a document many times longer than the kept history is still whole for a
// process that reads it late, because of the snapshots (and is not without them); a topic whose
// state was lost gets the document back from the process that still has it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as Y from 'yjs';
import { createHub, type Hub, MemoryBackend, MemoryBroker, type Publication } from '../../src/hub/index.js';

interface Store {
  state(topic: string): Promise<{ update: Uint8Array; position: { offset: number; epoch: string } }>;
  compactNow(topic: string): Promise<void>;
}
interface StoreModule {
  DocumentStore: new (hub: Hub, options: { snapshotEvery: number; log?: (message: string) => void }) => Store;
  coversDocument(publications: readonly Publication[]): boolean;
}
interface MessagesModule {
  encodeUpdate(update: Uint8Array): Uint8Array;
}

const EXAMPLE = new URL('../../../examples/editor/', import.meta.url);
const { DocumentStore, coversDocument } = (await import(
  new URL('document-store.mjs', EXAMPLE).href
)) as StoreModule;
const { encodeUpdate } = (await import(new URL('messages.js', EXAMPLE).href)) as MessagesModule;

const TOPIC = 'editor.notes';
const HISTORY = 12;
const SNAPSHOT_EVERY = 4;
const hubs: Hub[] = [];
after(async () => {
  for (const hub of hubs) await hub.close();
});

function hubOn(backend: MemoryBackend, historyTtlMs = 60_000): Hub {
  const hub = createHub({
    broker: new MemoryBroker({ backend }),
    topic: { historySize: HISTORY, historyTtlMs },
  });
  hubs.push(hub);
  return hub;
}

/** What a process that reads the topic now makes of it. */
async function textFor(store: Store): Promise<string> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, (await store.state(TOPIC)).update);
  return doc.getText('text').toString();
}

/** A page typing `lines` lines, one publication each; `afterEach` runs after every publication. */
async function type(hub: Hub, lines: number, afterEach: (line: number) => Promise<void>): Promise<string> {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  for (let line = 0; line < lines; line++) {
    let update: Uint8Array | undefined;
    doc.once('update', (bytes: Uint8Array) => {
      update = bytes;
    });
    text.insert(text.length, `line ${line}\n`);
    await hub.publish(TOPIC, encodeUpdate(update!));
    await afterEach(line);
  }
  return text.toString();
}

describe('examples/editor DocumentStore', () => {
  test('a document that outgrew the history is whole for a process that reads it late', async () => {
    const backend = new MemoryBackend();
    const one = hubOn(backend);
    const store = new DocumentStore(one, { snapshotEvery: SNAPSHOT_EVERY });
    // The pages ask for compaction as every 4th offset passes (document-sync.js does the same).
    const written = await type(one, 50, async (line) => {
      if (line % SNAPSHOT_EVERY === SNAPSHOT_EVERY - 1) await store.compactNow(TOPIC);
    });

    const kept = await one.history(TOPIC);
    assert.ok(kept.ok && kept.publications[0]!.offset > 1, 'the history was trimmed');
    assert.equal(coversDocument(kept.publications), true);
    const late = new DocumentStore(hubOn(backend), { snapshotEvery: SNAPSHOT_EVERY });
    assert.equal(await textFor(late), written);
  });

  test('without snapshots the kept history is not the whole document', async () => {
    const backend = new MemoryBackend();
    const one = hubOn(backend);
    const written = await type(one, 50, async () => {});
    const kept = await one.history(TOPIC);
    assert.ok(kept.ok);
    assert.equal(coversDocument(kept.publications), false);
    const logged: string[] = [];
    const late = new DocumentStore(hubOn(backend), {
      snapshotEvery: SNAPSHOT_EVERY,
      log: (message) => logged.push(message),
    });
    assert.notEqual(await textFor(late), written);
    assert.match(logged.join('\n'), /no longer holds the whole document/);
  });

  test('a topic whose state was lost gets the document back from the process that has it', async () => {
    let now = 1_000_000;
    const backend = new MemoryBackend(() => now);
    const one = hubOn(backend, 1000);
    const store = new DocumentStore(one, { snapshotEvery: 1000 });
    const written = await type(one, 6, async () => {});
    assert.equal(await textFor(store), written);
    const before = await one.history(TOPIC);

    now += 5000; // idle past historyTtlMs: the topic starts a new, empty epoch
    await store.compactNow(TOPIC);
    const afterLoss = await one.history(TOPIC);
    assert.ok(afterLoss.ok);
    assert.notEqual(afterLoss.position.epoch, before.position.epoch);
    assert.equal(afterLoss.publications.length, 1, 'one snapshot published into the new epoch');
    const late = new DocumentStore(hubOn(backend, 1000), { snapshotEvery: 1000 });
    assert.equal(await textFor(late), written);
  });
});
