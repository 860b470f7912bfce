// `fullduplex serve --tls-cert/--tls-key`: wss:// (and https:// for --page) from PEM files.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type TestCertificate, testCertificate } from '../helpers/certs.js';
import { bin } from '../helpers/cli.js';

describe('fullduplex serve --tls-cert --tls-key', () => {
  let dir: string;
  let certificate: TestCertificate;
  before(async () => {
    certificate = await testCertificate();
    dir = await mkdtemp(join(tmpdir(), 'fullduplex-serve-tls-'));
    await writeFile(join(dir, 'cert.pem'), certificate.cert);
    await writeFile(join(dir, 'key.pem'), certificate.key);
  });
  // Whatever happens in a test, no serve process outlives this file.
  const children = new Set<ChildProcess>();
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  for (const page of [false, true]) {
    test(`serves wss://${page ? ' and the page over https:// (--page)' : ''}; a client trusting the certificate gets its echo`, async () => {
      const args = [
        'serve',
        '--port',
        '0',
        '--tls-cert',
        join(dir, 'cert.pem'),
        '--tls-key',
        join(dir, 'key.pem'),
      ];
      const child = spawn(process.execPath, [bin, ...args, ...(page ? ['--page'] : [])]);
      children.add(child);
      try {
        // An iterator buffers the lines: two lines in one chunk come as two 'line' events in one
        // turn, and a second once(lines, 'line') would miss the second and wait forever.
        const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
        const first = String((await lines.next()).value);
        const match = /^listening (wss:\/\/127\.0\.0\.1:\d+\/)$/.exec(first);
        assert.ok(match, first);
        if (page) {
          const second = String((await lines.next()).value);
          assert.match(second, /^open https:\/\/127\.0\.0\.1:\d+\/ in a browser$/);
        }
        const socket = new WebSocket(match[1] as string, { ca: certificate.cert });
        await once(socket, 'open');
        socket.send('over tls');
        const [data] = (await once(socket, 'message')) as [Buffer];
        assert.equal(data.toString(), 'over tls');
        socket.close();
        await once(socket, 'close');
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
      }
    });
  }
});
