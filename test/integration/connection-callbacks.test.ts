// Every connection listener, sync or async: a throw or a rejected promise closes that connection with
// 1011 and reaches onError (a process warning without one); nothing reaches the process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Connection } from '../../src/connection/connection.js';
import { connectionPair, macrotask, until } from '../helpers/connection-pair.js';

type Mode = 'throw' | 'reject';

function failing(error: Error, mode: Mode): () => unknown {
  return mode === 'throw'
    ? () => {
        throw error;
      }
    : async () => {
        await macrotask();
        throw error;
      };
}

interface HookCase {
  readonly hook: string;
  /** Server-side connection options the trigger needs. */
  readonly server?: Parameters<typeof connectionPair>[0];
  install(server: Connection, listener: () => unknown): void;
  trigger(client: Connection, server: Connection): void | Promise<void>;
}

const hooks: readonly HookCase[] = [
  {
    hook: 'onMessage',
    install: (server, listener) => server.onMessage(listener),
    trigger: (client) => void client.send('x'),
  },
  {
    hook: 'onRawMessage',
    install: (server, listener) => server.onRawMessage(listener),
    trigger: (client) => void client.send('x'),
  },
  {
    hook: 'onPing',
    install: (server, listener) => server.onPing(listener),
    trigger: (client) => void client.ping().catch(() => {}),
  },
  {
    hook: 'onPong',
    install: (server, listener) => server.onPong(listener),
    trigger: (_client, server) => void server.ping().catch(() => {}),
  },
  {
    hook: 'onDrain',
    server: { server: { maxBufferedBytes: 1000 }, pipe: { highWaterMark: 100 } },
    install: (server, listener) => server.onDrain(listener),
    trigger: (_client, server) => {
      server.send(Buffer.alloc(600));
      assert.equal(server.send(Buffer.alloc(600)), false, 'over the bound: onDrain is due');
    },
  },
  {
    hook: 'onDrop',
    server: { server: { maxBufferedBytes: 100, backpressure: 'drop-newest' }, pipe: { highWaterMark: 10 } },
    install: (server, listener) => server.onDrop(listener),
    trigger: async (client, server) => {
      client.pause();
      server.send(Buffer.alloc(50));
      await macrotask(); // handed to the transport, which is now over its high-water mark
      server.send(Buffer.alloc(80)); // within the bound with the 50 in the transport
      server.send(Buffer.alloc(80)); // over it: dropped
      client.resume();
    },
  },
];

/** Warnings the process emits while a test runs (Node prints them; here they are also counted). */
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning.message);
};
before(() => {
  process.on('warning', onWarning);
});
after(() => {
  process.off('warning', onWarning);
});

describe('a listener that fails closes its connection with 1011 and reports to onError', () => {
  for (const { hook, server: options, install, trigger } of hooks) {
    for (const mode of ['throw', 'reject'] as const) {
      test(`${hook} that ${mode === 'throw' ? 'throws' : 'returns a rejected promise'}`, async () => {
        const { client, server } = connectionPair(options);
        const error = new Error(`${hook} ${mode}`);
        const reported: unknown[] = [];
        server.onError((caught) => reported.push(caught));
        install(server, failing(error, mode));
        await trigger(client, server);
        const info = await client.closed;
        assert.equal(info.code, 1011);
        assert.deepEqual(reported, [error]);
        assert.equal((await server.closed).code, 1011);
      });
    }
  }
});

describe('errors no handler takes are reported once, never thrown', () => {
  test('without onError, a listener error is a process warning', async () => {
    const { client, server } = connectionPair();
    const before = warnings.length;
    server.onMessage(failing(new Error('unhandled listener error'), 'reject'));
    client.send('x');
    assert.equal((await client.closed).code, 1011);
    await until(() => warnings.length > before);
    for (let turn = 0; turn < 5; turn++) await macrotask();
    const mine = warnings.slice(before).filter((text) => text.includes('unhandled listener error'));
    assert.equal(mine.length, 1);
  });

  for (const mode of ['throw', 'reject'] as const) {
    test(`an onError that ${mode === 'throw' ? 'throws' : 'rejects'} is reported once and not called again`, async () => {
      const { client, server } = connectionPair();
      const before = warnings.length;
      let calls = 0;
      server.onError(() => {
        calls++;
        return failing(new Error(`onError ${mode}`), mode)();
      });
      server.onMessage(failing(new Error('first'), 'throw'));
      client.send('x');
      client.send('y');
      assert.equal((await client.closed).code, 1011);
      await until(() => warnings.length > before);
      for (let turn = 0; turn < 5; turn++) await macrotask();
      assert.equal(calls, 1);
      const mine = warnings.slice(before).filter((text) => text.includes(`onError ${mode}`));
      assert.equal(mine.length, 1);
    });
  }
});

describe('how reading ends (docs/connection.md "When reading ends")', () => {
  for (const code of [1000, 1001, 4000]) {
    test(`for await ends normally when the peer closes cleanly with ${code}`, async () => {
      const { client, server } = connectionPair();
      client.send('a');
      void client.close(code);
      const seen: unknown[] = [];
      for await (const message of server) seen.push(message.data);
      assert.deepEqual(seen, ['a']);
      assert.equal((await server.closed).code, code);
    });
  }

  test('for await ends normally on a Close without a code (1005)', async () => {
    const { clientEnd, server } = connectionPair();
    clientEnd.write([Buffer.from([0x88, 0x80, 0, 0, 0, 0])]); // masked Close, empty body
    const seen: unknown[] = [];
    for await (const message of server) seen.push(message.data);
    assert.deepEqual(seen, []);
    assert.equal((await server.closed).code, 1005);
  });

  test('for await also ends when our own close is answered', async () => {
    const { client, server } = connectionPair();
    const loop = (async () => {
      const seen: unknown[] = [];
      for await (const message of server) seen.push(message.data);
      return seen;
    })();
    client.send('a');
    await until(() => server.bufferedAmount === 0);
    await macrotask();
    void server.close(4001);
    assert.deepEqual(await loop, ['a']);
  });

  test('for await throws on a protocol failure (1002) and on a close handshake timeout (1006)', async () => {
    const failed = connectionPair();
    const failedLoop = (async () => {
      for await (const _ of failed.server) {
      }
    })();
    failed.clientEnd.write([Buffer.from([0x83, 0x80, 0, 0, 0, 0])]); // reserved opcode 3
    await assert.rejects(failedLoop, (error: unknown) => {
      assert.equal((error as { wasClean: boolean }).wasClean, false);
      assert.equal((error as { closeCode: number }).closeCode, 1002);
      return true;
    });

    const silent = connectionPair({ server: { closeTimeout: 20 } });
    silent.client.pause(); // never answers our Close
    const silentLoop = (async () => {
      for await (const _ of silent.server) {
      }
    })();
    void silent.server.close(1000);
    await assert.rejects(silentLoop, (error: unknown) => {
      assert.equal((error as { closeCode: number }).closeCode, 1006);
      return true;
    });
    silent.client.terminate();
  });

  test('read() and readStream() reject after any end; wasClean tells a clean close from a drop', async () => {
    const clean = connectionPair();
    const read = clean.server.read();
    const stream = clean.server.readStream();
    void clean.client.close(4000, 'bye');
    for (const pending of [read, stream]) {
      await assert.rejects(pending, (error: unknown) => {
        assert.equal((error as { wasClean: boolean }).wasClean, true);
        assert.equal((error as { closeCode: number }).closeCode, 4000);
        return true;
      });
    }

    const dropped = connectionPair();
    const dropRead = dropped.server.read();
    const dropStream = dropped.server.readStream();
    dropped.client.terminate();
    for (const pending of [dropRead, dropStream]) {
      await assert.rejects(pending, (error: unknown) => {
        assert.equal((error as { wasClean: boolean }).wasClean, false);
        assert.equal((error as { closeCode: number }).closeCode, 1006);
        return true;
      });
    }
  });

  test('stream.readable closes on a clean close with any code, and errors on a drop', async () => {
    const clean = connectionPair();
    clean.client.send('a');
    void clean.client.close(4000);
    const seen: unknown[] = [];
    for await (const message of clean.server.stream.readable) seen.push(message.data);
    assert.deepEqual(seen, ['a']);

    const dropped = connectionPair();
    const reader = dropped.server.stream.readable.getReader();
    const pending = reader.read();
    dropped.client.terminate();
    await assert.rejects(pending, (error: unknown) => (error as { closeCode: number }).closeCode === 1006);
  });
});
