// The chat page: joins ?room= as ?nick= through the hub client, shows the room's history, its live
// messages (recovered after a reconnect), who is here and who is typing, and the connection's state.
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { Conversation } from './conversation.js';
import { Members } from './members.js';
import { Typing } from './typing.js';

const NICK = /^[\p{L}\p{N}_.-]{1,24}$/u;
const ROOM = /^[A-Za-z0-9_-]{1,40}$/;
const HISTORY_ON_JOIN = 50;

const LOSS = {
  'epoch-changed':
    "The server lost this room's earlier messages (restarted without Redis, or idle for a day).",
  'history-gap': 'More was said while you were away than the room keeps: showing the latest messages.',
};

const $ = (selector) => document.querySelector(selector);

function showJoinForm(room) {
  const form = $('#join');
  form.hidden = false;
  form.nick.value = localStorage.getItem('chat-nick') ?? '';
  if (room) form.room.value = room;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const nick = form.nick.value.trim();
    if (!NICK.test(nick)) {
      form.nick.setCustomValidity('1 to 24 letters, digits, _ . or -');
      form.nick.reportValidity();
      return;
    }
    localStorage.setItem('chat-nick', nick);
    location.search = new URLSearchParams({ room: form.room.value, nick }).toString();
  });
  form.nick.addEventListener('input', () => form.nick.setCustomValidity(''));
}

function join(nick, room) {
  document.title = `#${room} · fullduplex chat`;
  $('#chat').hidden = false;
  $('#room').textContent = room;
  $('#me').textContent = `as ${nick}`;
  const topic = `chat.${room}`;
  const client = new HubClient(hubUrl(`/hub?nick=${encodeURIComponent(nick)}`), {
    reconnect: { initialDelay: 250, maxDelay: 5000 },
  });
  showConnectionStatus(client, $('#status'));
  const conversation = new Conversation($('#conversation'));
  const members = new Members($('#members'), nick);
  // Typing states are news only now: never queued while offline.
  const typing = new Typing($('#typing'), nick, (state) => {
    if (client.state === 'connected') client.publish(`${topic}.typing`, state, { key: nick }).catch(() => {});
  });

  const showHistory = async (query) => {
    const answer = await client.history(topic, query);
    if (answer.ok) for (const message of answer.messages) conversation.add(message);
  };
  const messages = client.subscribe(topic);
  messages.on('message', (message) => conversation.add(message));
  messages.on('subscribed', async ({ recovered, reason }) => {
    try {
      // On joining, or after a loss, show what the room still keeps; after a complete recovery the
      // missed messages are already arriving on the subscription.
      if (recovered === false) conversation.notice(LOSS[reason] ?? `Some messages were lost (${reason}).`);
      if (recovered !== true) await showHistory({ limit: HISTORY_ON_JOIN });
      members.reset(await client.presence(topic));
    } catch {
      // The connection dropped meanwhile: the next `subscribed` does it again.
    }
  });
  // This page fell behind and the server skipped messages for it: fetch them from history.
  messages.on('gap', ({ after }) => showHistory({ since: after }).catch(() => {}));
  messages.on('join', ({ entry }) => members.join(entry));
  messages.on('leave', ({ entry }) => members.leave(entry));
  client.subscribe(`${topic}.typing`).on('message', ({ data }) => typing.received(data));
  client.connect();

  const form = $('#send');
  form.text.addEventListener('input', () => typing.changed(form.text.value.trim()));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = form.text.value.trim();
    if (text.length === 0) return;
    form.text.value = '';
    typing.stopped();
    // While disconnected the client queues it and sends it after reconnecting.
    const line = conversation.pending(nick, text);
    client.publish(topic, { nick, text, time: Date.now() }).then(
      () => line.sent(),
      (error) => line.failed(error.code === 'connection-lost' ? 'the connection dropped first' : error.code),
    );
  });
  form.text.focus();
}

const params = new URLSearchParams(location.search);
const nick = params.get('nick') ?? '';
const room = params.get('room') ?? 'lobby';
if (NICK.test(nick) && ROOM.test(room)) join(nick, room);
else showJoinForm(ROOM.test(room) ? room : undefined);
