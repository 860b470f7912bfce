// The page: one Y.Doc with one Y.Text ("text") shown in the textarea, kept in step with everyone
// else's through the hub (document-sync.js). The document is chosen by ?doc=NAME (default "welcome").

import * as Y from 'yjs';
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { DocumentSync } from './document-sync.js';
import { bytesCodec, DOCUMENT_NAME, PEOPLE_SUFFIX, TOPIC_PREFIX } from './messages.js';
import { People } from './people.js';
import { bindTextarea } from './textarea-binding.js';

const query = new URLSearchParams(location.search);
const requested = query.get('doc') ?? '';
const name = DOCUMENT_NAME.test(requested) ? requested : 'welcome';
// ?name=Ana, else a name this tab keeps.
const ANIMALS = ['Otter', 'Heron', 'Lynx', 'Badger', 'Puffin', 'Marten', 'Ibex', 'Gecko'];
const myName =
  query.get('name')?.trim().slice(0, 24) ||
  sessionStorage.getItem('editor-name') ||
  `${ANIMALS[Math.floor(Math.random() * ANIMALS.length)]} ${Math.floor(Math.random() * 90) + 10}`;
sessionStorage.setItem('editor-name', myName);
const textarea = document.getElementById('text');
const syncStatus = document.getElementById('sync');
document.getElementById('document').textContent = name;
document.title = `${name} · Editor · fullduplex`;

const doc = new Y.Doc();
const client = new HubClient(hubUrl(), {
  codec: bytesCodec,
  // People wait for their edits to show elsewhere: retry soon after a server comes back.
  reconnect: { maxDelay: 5000 },
});
showConnectionStatus(client, document.getElementById('connection'));

const sync = new DocumentSync({
  client,
  doc,
  topic: TOPIC_PREFIX + name,
  documentUrl: `/doc/${encodeURIComponent(name)}`,
  onChange: render,
});

function render() {
  const pending = sync.pendingUpdates;
  syncStatus.dataset.pending = String(pending);
  if (!sync.joined) syncStatus.textContent = 'Loading…';
  else if (pending === 0) syncStatus.textContent = 'All edits sent';
  else if (client.state === 'connected') syncStatus.textContent = `Sending ${pending} edit(s)…`;
  else syncStatus.textContent = `Offline: ${pending} edit(s) kept here, sent when the connection is back`;
  document.getElementById('server').textContent = sync.server ? `served by ${sync.server}` : '';
}
client.on('state', render);

const peopleList = document.getElementById('people');
const people = new People({
  client,
  topic: TOPIC_PREFIX + name + PEOPLE_SUFFIX,
  name: myName,
  onChange: renderPeople,
});
function renderPeople() {
  peopleList.replaceChildren(
    ...people.list().map((person) => {
      const item = document.createElement('li');
      item.textContent = `${person.name} · line ${person.line}`;
      item.style.background = person.color;
      item.className = person.me ? 'me' : '';
      item.title = person.me ? 'you' : '';
      return item;
    }),
  );
}
renderPeople();
document.addEventListener('selectionchange', () => {
  if (document.activeElement !== textarea) return;
  people.moveTo(textarea.value.slice(0, textarea.selectionStart).split('\n').length);
});

client.connect();
await sync.join();
bindTextarea(doc.getText('text'), textarea);
textarea.disabled = false;
textarea.placeholder = 'Type here. Everyone with this page open sees it.';
document.body.dataset.joined = 'true';
render();
