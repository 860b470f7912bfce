// The ticker page: subscribes to every group's price topic (latest-by-key on the server: a page that
// falls behind gets the newest price per symbol, not a backlog) and snapshot topic (who feeds the
// group), fills the board from the snapshots kept in history, and shows how late prices arrive.
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { Board } from './board.js';
import { Feeds } from './feeds.js';
import { LagMeter } from './lag-meter.js';

const $ = (selector) => document.querySelector(selector);
const { groups } = await (await fetch('/ticker/config')).json();

const client = new HubClient(hubUrl(), { reconnect: { initialDelay: 250, maxDelay: 5000 } });
showConnectionStatus(client, $('#status'));
const board = new Board($('#board'));
const feeds = new Feeds($('#feeds'), groups);
const lag = new LagMeter($('#lag'));

function applySnapshot(group, snapshot) {
  feeds.fedBy(group, snapshot.by, snapshot.term);
  for (const [s, p, o, t] of snapshot.quotes) board.apply({ s, p, o, t });
}

for (let group = 0; group < groups; group++) {
  const prices = client.subscribe(`ticker.g${group}`);
  prices.on('message', ({ data }) => {
    lag.arrived(data.t);
    feeds.seen(group);
    board.apply(data);
  });
  const snapshots = client.subscribe(`ticker.g${group}.snapshot`);
  snapshots.on('message', ({ data }) => applySnapshot(group, data));
  // Prices are not kept (no backlog, by design): on (re)subscribing, the board catches up from the
  // group's last snapshot, and only quotes newer than the board's replace them.
  snapshots.on('subscribed', async ({ recovered }) => {
    if (recovered === true) return;
    const last = await client.history(`ticker.g${group}.snapshot`, { limit: 1 }).catch(() => undefined);
    if (last?.ok && last.messages.length > 0) applySnapshot(group, last.messages[0].data);
  });
}
client.connect();
