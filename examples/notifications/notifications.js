// The page: log in for a token, then follow `user.ID` with the hub client. What it has seen, and the
// position of the last notification, stay in localStorage, so a tab opened later subscribes from
// there and the hub sends what came in between (from the topic's history) before anything new.
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';

const SESSION_KEY = 'notifications.session';
const inboxKey = (user) => `notifications.inbox.${user}`;
/** Notifications a tab keeps and shows. */
const KEEP = 50;

const $ = (selector) => document.querySelector(selector);

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function show(id, visible) {
  $(id).hidden = !visible;
}

/** Shows why the server refused the session, and the login form. */
function refuse(reason) {
  localStorage.removeItem(SESSION_KEY);
  $('#refused').textContent = `The server refused this session: ${reason}. Log in again.`;
  show('#refused', true);
  show('#session', false);
  show('#inbox', false);
  show('#login', true);
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const user = $('#login-user').value.trim();
  const response = await fetch('/login', { method: 'POST', body: JSON.stringify({ user }) });
  const answer = await response.json();
  if (!response.ok) {
    $('#refused').textContent = answer.error;
    show('#refused', true);
    return;
  }
  localStorage.setItem(SESSION_KEY, JSON.stringify(answer));
  location.reload();
});

$('#logout').addEventListener('click', () => {
  const session = load(SESSION_KEY);
  localStorage.removeItem(SESSION_KEY);
  if (session) localStorage.removeItem(inboxKey(session.user));
  location.reload();
});

/** GET /inbox: what the topic's history still holds, and its position (undefined when refused). */
async function fetchInbox(token) {
  const response = await fetch('/inbox', { headers: { authorization: `Bearer ${token}` } });
  const answer = await response.json();
  if (response.status === 401) {
    refuse(answer.error);
    return undefined;
  }
  if (!response.ok) throw new Error(answer.error);
  return answer;
}

function render(inbox, fresh) {
  const list = $('#list');
  list.replaceChildren(
    ...inbox.items.toReversed().map((item) => {
      const li = document.createElement('li');
      li.dataset.key = item.key;
      li.classList.toggle('new', fresh.has(item.key));
      const time = document.createElement('time');
      time.dateTime = new Date(item.time).toISOString();
      time.textContent = new Date(item.time).toLocaleTimeString();
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = item.text;
      li.append(time, text);
      return li;
    }),
  );
  $('#count').textContent = String(inbox.items.length);
  $('#unread').textContent = fresh.size > 0 ? `· ${fresh.size} new since this tab opened` : '';
}

async function start(session) {
  const { user, token } = session;
  $('#user').textContent = user;
  show('#session', true);
  show('#inbox', true);
  $('#send-hint').textContent =
    `Send one: curl -X POST ${location.origin}/notify -H 'authorization: Bearer NOTIFY_KEY' ` +
    `-d '{"user":"${user}","text":"hello"}'`;

  /** { position, items: [{ key, offset, epoch, text, time }] }, newest last. */
  const inbox = load(inboxKey(user)) ?? { position: null, items: [] };
  const known = new Set(inbox.items.map((item) => item.key));
  /** Keys that arrived since this tab opened: highlighted. */
  const fresh = new Set();
  const save = () => localStorage.setItem(inboxKey(user), JSON.stringify(inbox));
  const add = ({ offset, epoch, data }, isFresh) => {
    const key = `${epoch}:${offset}`;
    if (known.has(key)) return;
    known.add(key);
    if (isFresh) fresh.add(key);
    inbox.items.push({ key, offset, epoch, text: data.text, time: data.time });
    inbox.items.sort((a, b) => a.time - b.time);
    if (inbox.items.length > KEEP) inbox.items.splice(0, inbox.items.length - KEEP);
  };
  render(inbox, fresh);

  // First visit: what history holds, and the position to subscribe from (no gap, no repeat).
  if (!inbox.position) {
    const first = await fetchInbox(token);
    if (!first) return;
    for (const notification of first.notifications) add(notification, false);
    inbox.position = first.position;
    save();
    render(inbox, fresh);
  }

  const client = new HubClient(`${hubUrl()}?token=${encodeURIComponent(token)}`);
  showConnectionStatus(client, $('#status'));
  // A refused token: closed with 1008 before the welcome. The client gives up (no retries); say why.
  client.on('disconnected', ({ code, reason, willReconnect }) => {
    if (code === 1008 && !willReconnect) refuse(reason || 'unauthorized');
  });
  const subscription = client.subscribe(`user.${user}`, { since: inbox.position });
  subscription.on('message', (message) => {
    add(message, true);
    inbox.position = { offset: message.offset, epoch: message.epoch };
    save();
    render(inbox, fresh);
  });
  subscription.on('subscribed', async ({ recovered, reason, position }) => {
    if (recovered !== false) return;
    // Some were not recoverable: the server lost its history (epoch-changed: one process with no
    // Redis restarted) or no longer keeps all of them (history-gap). Show what it still has.
    $('#lost').textContent =
      reason === 'history-gap'
        ? 'Some notifications sent while you were away are no longer kept.'
        : 'The server lost its notification history; notifications sent while you were away may be missing.';
    show('#lost', true);
    inbox.position = position;
    const now = await fetchInbox(token);
    if (!now) return;
    for (const notification of now.notifications) add(notification, true);
    save();
    render(inbox, fresh);
  });
  subscription.on('error', (error) => refuse(`subscription refused (${error.code})`));
  client.connect();
}

const session = load(SESSION_KEY);
if (session?.token && session.user) await start(session);
else show('#login', true);
