// What a message cut into tiny fragments costs the server while it is in progress: `fullduplex serve
// --mode echo` as a real process, CONNECTIONS raw clients each sending FRAGMENTS one-byte fragments of
// one binary message and never the last one, so the server holds them all. The server's RSS growth
// divided by the connections is what one such message holds, against its FRAGMENTS payload bytes.
//
// Usage (after `npx tsc -p tsconfig.json && npx tsc -p tsconfig.test.json`):
//   node .build/bench/faults/tiny-fragments.js [FRAGMENTS=65536] [CONNECTIONS=8] [serve flags...]
import type { Socket } from 'node:net';
import {
  killChildren,
  MiB,
  maskedFrame,
  mib,
  procAvailable,
  rawWebSocket,
  rss,
  sleep,
  startServe,
  writeAll,
} from '../../test/faults/fault-harness.js';

const fragments = Number(process.argv[2] ?? 65536);
const connections = Number(process.argv[3] ?? 8);
const serveFlags = process.argv.slice(4);

/** `count` one-byte fragments of a binary message, the first with the opcode, none with FIN. */
function unfinishedMessage(count: number): Buffer {
  const byte = Buffer.from('a');
  const frames: Buffer[] = [];
  for (let index = 0; index < count; index++) frames.push(maskedFrame(index === 0 ? 0x2 : 0x0, byte, false));
  return Buffer.concat(frames);
}

async function main(): Promise<void> {
  if (!procAvailable()) throw new Error('needs /proc/PID/status (Linux) to read the server RSS');
  const serve = await startServe(['--mode', 'echo', ...serveFlags]);
  const sockets: Socket[] = [];
  try {
    const message = unfinishedMessage(fragments);
    await sleep(300);
    const before = rss(serve.pid);
    for (let index = 0; index < connections; index++) {
      const { socket } = await rawWebSocket(serve.port);
      sockets.push(socket);
      await writeAll(socket, message);
    }
    // Let the server read everything, then collect what it dropped: what is left is what it holds.
    await sleep(1500);
    const after = rss(serve.pid);
    const growth = after - before;
    const perConnection = growth / connections;
    console.log(
      `${connections} connections x ${fragments} one-byte fragments (${(message.length / MiB).toFixed(2)} MiB ` +
        `on the wire each): server RSS ${mib(before)} -> ${mib(after)}, growth ${mib(growth)}, ` +
        `${(perConnection / 1024).toFixed(0)} KiB per connection for ${(fragments / 1024).toFixed(0)} KiB ` +
        `of payload (${(perConnection / fragments).toFixed(1)}x)`,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    serve.child.kill('SIGTERM');
    await serve.exited;
    killChildren();
  }
}

await main();
