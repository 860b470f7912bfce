// The services the multi-process hub tests run on: a real redis-server that can be killed and
// restarted on the same port, and Debian's nginx proxying WebSockets to two of our servers.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { nginxMissing, startNginx } from '../helpers/nginx.js';
import { type RedisServer, redisMissing, startRedis } from '../helpers/redis-server.js';
import { type EchoServer, startEchoServer } from '../interop/harness/our-server.js';

/** Sends one inline command and resolves with the first reply line. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    let reply = '';
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('error', reject);
  });
}

describe('redis-server helper', { skip: redisMissing(), timeout: 30_000 }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  test('SIGKILL and restart on the same port comes back empty', async () => {
    assert.equal(await redisCommand(redis.port, 'SET fullduplex:probe 1'), '+OK');
    await redis.kill();
    await assert.rejects(redisCommand(redis.port, 'PING'));
    await redis.restart();
    assert.equal(await redisCommand(redis.port, 'EXISTS fullduplex:probe'), ':0');
  });
});

describe('nginx helper', { skip: nginxMissing(), timeout: 30_000 }, () => {
  const servers: EchoServer[] = [];
  let stopNginx: () => Promise<void> = async () => {};
  after(async () => {
    await stopNginx();
    await Promise.all(servers.map((server) => server.close()));
  });

  test('proxies WebSocket upgrades round-robin to both upstreams, both directions', async () => {
    servers.push(await startEchoServer(), await startEchoServer());
    const nginx = await startNginx(servers.map((server) => server.port));
    stopNginx = nginx.stop;
    for (let index = 0; index < 4; index++) {
      const socket = new WebSocket(`${nginx.url}/`);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const echoed = new Promise<string>((resolve) =>
        socket.once('message', (data) => resolve(String(data))),
      );
      socket.send(`hello ${index}`);
      assert.equal(await echoed, `hello ${index}`);
      socket.close();
    }
    assert.deepEqual(
      servers.map((server) => server.received.length),
      [2, 2],
    );
  });
});
