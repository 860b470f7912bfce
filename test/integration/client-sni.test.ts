// RFC 6455 4.1: a client connecting with TLS MUST send the host name in SNI (RFC 6066). Observed on
// the server side: our client to a wss:// URL by name, and by IP literal (which SNI cannot carry).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { connect } from '../../src/client/connect.js';
import { testCertificate } from '../helpers/certs.js';

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

test('wss:// sends the URL host as SNI by default, and none for an IP literal', async () => {
  const { key, cert } = await testCertificate();
  const seen: Array<string | false | null> = [];
  // Only the TLS hello matters here: the server records the SNI and hangs up, so connect() rejects.
  const server = createServer({ key, cert }, (socket: TLSSocket) => {
    seen.push(socket.servername);
    socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await connect(`wss://localhost:${port}/`, { ca: cert, handshakeTimeout: 2000 }).catch(() => undefined);
  await connect(`wss://127.0.0.1:${port}/`, {
    ca: cert,
    servername: undefined,
    handshakeTimeout: 2000,
  }).catch(() => undefined);
  assert.deepEqual(seen, ['localhost', false]);
});
