// The page: one Y.Doc with one Y.Text ("text") shown in the textarea, kept in step with everyone
// else's through the hub (document-sync.js). The document is chosen by ?doc=NAME (default "welcome").

import * as Y from 'yjs';
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { DocumentSync } from './document-sync.js';
import { bytesCodec, DOCUMENT_NAME, TOPIC_PREFIX } from './messages.js';
import { bindTextarea } from './textarea-binding.js';

const requested = new URLSearchParams(location.search).get('doc') ?? '';
const name = DOCUMENT_NAME.test(requested) ? requested : 'welcome';
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

client.connect();
await sync.join();
bindTextarea(doc.getText('text'), textarea);
textarea.disabled = false;
textarea.placeholder = 'Type here. Everyone with this page open sees it.';
document.body.dataset.joined = 'true';
render();
