// A TCP tunnel through an HTTP proxy with CONNECT (RFC 9110 9.3.6).
import type { LookupFunction, Socket } from 'node:net';
import { HandshakeError } from '../errors.js';
import { headerLine } from '../protocol/handshake/header-fields.js';
import type { DialContext } from './dial-context.js';
import { openTcp, readResponseHead } from './open-socket.js';

/**
 * Connects to the proxy and asks it for a tunnel to host:port. Resolves with the socket, now a
 * byte pipe to the target. A refusal rejects with HandshakeError whose status is the proxy's.
 */
export async function openTunnel(
  context: DialContext,
  proxy: URL,
  host: string,
  port: number,
  maxHeadSize: number,
  lookup?: LookupFunction,
): Promise<Socket> {
  const proxyPort = proxy.port === '' ? 80 : Number(proxy.port);
  const proxyHost = proxy.hostname.startsWith('[') ? proxy.hostname.slice(1, -1) : proxy.hostname;
  const what = `proxy ${proxy.host}`;
  const socket = await openTcp(context, proxyHost, proxyPort, what, lookup);
  // RFC 9110 9.3.6: CONNECT takes authority-form, host:port, with IPv6 literals in brackets.
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let request = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (proxy.username !== '' || proxy.password !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    request += headerLine('Proxy-Authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  socket.write(`${request}\r\n`, 'latin1');
  const { head, rest } = await readResponseHead(context, socket, maxHeadSize, what);
  // Any 2xx means the tunnel is open (RFC 9110 15.3).
  if (head.statusCode < 200 || head.statusCode > 299) {
    throw new HandshakeError(
      `${what} refused to CONNECT to ${authority}: ${head.statusCode} ${head.statusMessage}`.trimEnd(),
      head.statusCode,
    );
  }
  // Neither TLS nor the WebSocket handshake lets the target speak first, but keep any bytes anyway.
  if (rest.length > 0) socket.unshift(rest);
  return socket;
}
