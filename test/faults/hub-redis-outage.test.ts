// redis-server killed and restarted (empty) on the same port under two `serve --mode hub --redis`
// processes: the outage is reported, publishes fail clearly, the hubs resubscribe by themselves,
// and subscribers are told that what happened in between cannot be recovered.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { HubPeer } from './harness/hub-peer.js';

describe('hub: Redis killed and restarted', { skip: redisMissing(), timeout: 120_000 }, () => {
  let redis: RedisServer | undefined;
  const peers: HubPeer[] = [];
  after(async () => {
    for (const peer of peers) peer.terminate();
    killAllHubProcesses();
    await redis?.stop();
  });
  async function peer(url: string): Promise<HubPeer> {
    const opened = await HubPeer.open(url);
    peers.push(opened);
    return opened;
  }

  test('outage reported, publish fails with `unavailable`, resubscribed after, gap told to subscribers', async () => {
    redis = await startRedis();
    const a = await startHubProcess(['--redis', redis.url, '--history', '100']);
    const b = await startHubProcess(['--redis', redis.url, '--history', '100']);
    const subscriber = await peer(a.url);
    await subscriber.subscribe('prices');
    const publisher = await peer(b.url);
    const first = await publisher.publish('prices', 'p1');
    await subscriber.waitFor((frame) => frame.op === 'message' && frame.data === 'p1');

    await redis.kill();
    for (const hub of [a, b]) {
      await subscriber.waitFor(() => /Redis is unreachable/.test(hub.stderr()), 10_000);
    }
    const refused = await publisher.publish('prices', 'p2');
    assert.equal(refused.op, 'error');
    assert.equal(refused.code, 'unavailable');

    await redis.restart();
    for (const hub of [a, b]) await subscriber.waitFor(() => /Redis is back/.test(hub.stderr()), 15_000);

    // Redis came back empty: the topic starts a new epoch, and the subscriber on the other process
    // (resubscribed by its hub, nobody asked) gets it, told first that p1's epoch cannot continue.
    const next = await publisher.publish('prices', 'p3');
    assert.equal(next.op, 'published');
    assert.equal(next.offset, 1);
    assert.notEqual(next.epoch, first.epoch);
    await subscriber.waitFor((frame) => frame.op === 'message' && frame.data === 'p3', 10_000);
    const seen = subscriber.frames.filter((frame) => frame.op === 'message' || frame.op === 'gap');
    assert.deepEqual(
      seen.map((frame) => (frame.op === 'gap' ? `gap:${frame.reason}` : frame.data)),
      ['p1', 'gap:epoch-changed', 'p3'],
    );
    assert.equal(
      seen.find((frame) => frame.op === 'message' && frame.data === 'p2'),
      undefined,
    );

    // A client that comes back with the old position is told clearly that recovery is not possible.
    const late = await peer(b.url);
    const answer = await late.subscribe('prices', { offset: first.offset, epoch: first.epoch });
    assert.equal(answer.recovered, false);
    assert.equal(answer.reason, 'epoch-changed');
  });
});
