// `serve --mode hub --redis URL --workers 2`: two node:cluster workers on one port share topics
// through a real redis-server; subscribers on both receive every publication, in order.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { after, describe, test } from 'node:test';
import { killAllHubProcesses, startHubProcess } from '../helpers/hub-process.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { HubPeer } from './harness/hub-peer.js';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;

/** How many connections are subscribed to `channel` in Redis (PUBSUB NUMSUB), over a raw socket. */
function numsub(port: number, channel: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let reply = '';
    socket.once('connect', () =>
      socket.write(`*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$${Buffer.byteLength(channel)}\r\n${channel}\r\n`),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const match = /\r\n:(\d+)\r\n$/.exec(reply);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.once('error', reject);
  });
}

describe('hub: --workers 2 on one port', { skip: redisMissing(), timeout: 120_000 }, () => {
  let redis: RedisServer | undefined;
  const peers: HubPeer[] = [];
  after(async () => {
    for (const peer of peers) peer.terminate();
    killAllHubProcesses();
    await redis?.stop();
  });

  test('--workers 2 without --redis is a usage error that says why', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--mode', 'hub', '--workers', '2', '--port', '0']);
    let errors = '';
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(errors, /--workers .*needs --redis/);
  });

  test('subscribers on both workers receive every publication in order; SIGTERM stops every worker', async () => {
    redis = await startRedis();
    const hub = await startHubProcess(['--redis', redis.url, '--workers', '2']);
    for (let index = 0; index < 8; index++) {
      const peer = await HubPeer.open(hub.url);
      peers.push(peer);
      assert.equal((await peer.subscribe('ticks')).op, 'subscribed');
    }
    // Both worker processes hold a subscription to the topic's channel: subscribers are on both.
    assert.equal(await numsub(redis.port, 'fullduplex:{ticks}'), 2);

    const publisher = await HubPeer.open(hub.url);
    peers.push(publisher);
    const count = 200;
    const acks = [];
    for (let index = 0; index < count; index++) acks.push(publisher.publish('ticks', `t${index}`));
    const offsets = (await Promise.all(acks)).map((ack) => ack.offset as number);
    assert.deepEqual(
      offsets,
      offsets.map((_, index) => index + 1),
    );
    const expected = Array.from({ length: count }, (_, index) => `t${index}`);
    for (const peer of peers.slice(0, 8)) {
      await peer.waitFor(() => peer.messages('ticks').length >= count, 20_000);
      assert.deepEqual(
        peer.messages('ticks').map((frame) => frame.data),
        expected,
      );
      assert.deepEqual(
        peer.messages('ticks').map((frame) => frame.offset),
        offsets,
      );
    }

    const closes = peers.map((peer) => peer.waitFor(() => peer.closed, 15_000));
    hub.kill('SIGTERM');
    assert.equal(await hub.exited, 0);
    await Promise.all(closes);
    assert.equal(await numsub(redis.port, 'fullduplex:{ticks}'), 0, 'no worker is left subscribed');
  });
});
