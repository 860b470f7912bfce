// connect(url): the client's opening handshake over TCP or TLS, directly or through an HTTP proxy,
// following redirects when asked, and the Connection that comes out of it.
import type { Socket } from 'node:net';
import { Connection } from '../connection/connection.js';
import { HandshakeError, WebSocketError } from '../errors.js';
import { nodeRandomFill, nodeSha1 } from '../node/crypto.js';
import { SocketTransport } from '../node/socket-transport.js';
import { buildUpgradeRequest } from '../protocol/handshake/build-upgrade-request.js';
import { createClientKey } from '../protocol/handshake/create-client-key.js';
import { flattenHeaders, headerValue } from '../protocol/handshake/header-fields.js';
import { validateUpgradeResponse } from '../protocol/handshake/validate-upgrade-response.js';
import {
  type ConnectOptions,
  DEFAULT_CLIENT_HANDSHAKE_TIMEOUT,
  DEFAULT_RESPONSE_HEAD_BYTES,
} from './client-options.js';
import { takeConnectingTurn } from './connecting-gate.js';
import { DialContext } from './dial-context.js';
import { acceptClientExtensions, offerClientExtensions } from './negotiate-client-extensions.js';
import { openTcp, readResponseHead, readShortBody, startTls } from './open-socket.js';
import { openTunnel } from './open-tunnel.js';
import { parseWebSocketUrl, type WebSocketTarget } from './parse-web-socket-url.js';
import { proxyForUrl } from './proxy-for-url.js';
import { redirectTarget, withoutCredentials } from './redirect-target.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Opens a WebSocket connection to a ws:// or wss:// URL. Resolves once the server's 101 response is
 * validated. Rejects, with every socket it opened destroyed, with:
 * - WebSocketError `ERR_INVALID_ARGUMENT`: a bad URL or option (no socket is opened);
 * - HandshakeError: the server (or proxy) refused, `status` being its HTTP status; status 0 when no
 *   response came (connection refused or reset, TLS failure: see the message and `cause`); status
 *   101 when the 101 response itself is invalid;
 * - TimeoutError: `handshakeTimeout` passed;
 * - WebSocketError `ERR_ABORTED`: `signal` aborted (its reason is the `cause`).
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<Connection> {
  let target = parseWebSocketUrl(url);
  const timeout = options.handshakeTimeout ?? DEFAULT_CLIENT_HANDSHAKE_TIMEOUT;
  const followRedirects = options.followRedirects ?? 0;
  const maxHeadSize = options.maxHeaderBytes ?? DEFAULT_RESPONSE_HEAD_BYTES;
  checkNumber(timeout, 'handshakeTimeout', 1);
  checkNumber(followRedirects, 'followRedirects', 0);
  checkNumber(maxHeadSize, 'maxHeaderBytes', 1);
  const protocols =
    typeof options.protocols === 'string' ? [options.protocols] : [...(options.protocols ?? [])];
  const offer = offerClientExtensions(options.perMessageDeflate);
  let headers = options.headers;
  // Build one request up front so that invalid headers or subprotocols reject before any socket opens.
  buildRequest(target, createClientKey(nodeRandomFill), options, protocols, offer.header, headers);
  const context = new DialContext(timeout, options.signal, target.url.href);
  try {
    for (let redirects = 0; ; redirects++) {
      const turn =
        options.exclusiveHandshake === false ? undefined : takeConnectingTurn(target.hostname, target.port);
      try {
        if (turn !== undefined)
          await context.wait<void>((settle) => {
            turn.ready.then(() => settle.resolve(undefined));
            return () => undefined;
          });
        const socket = await openSocket(context, target, options, maxHeadSize);
        const key = createClientKey(nodeRandomFill);
        socket.write(buildRequest(target, key, options, protocols, offer.header, headers), 'latin1');
        const { head, rest } = await readResponseHead(context, socket, maxHeadSize, target.url.host);
        if (head.statusCode === 101) {
          const result = validateUpgradeResponse(head, { key, protocols, extensions: offer.names }, nodeSha1);
          const extension = acceptClientExtensions(result.extensions, options.perMessageDeflate);
          context.check();
          context.releaseAll();
          try {
            return new Connection(new SocketTransport(socket), {
              ...options.connection,
              ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
              role: 'client',
              protocol: result.protocol ?? '',
              extensions: headerValue(head.headers, 'sec-websocket-extensions') ?? '',
              extension,
              request: null,
              head: rest,
            });
          } catch (error) {
            extension?.dispose();
            socket.destroy();
            throw error;
          }
        }
        const location = headerValue(head.headers, 'location');
        if (REDIRECT_STATUSES.has(head.statusCode) && location !== undefined && redirects < followRedirects) {
          const next = redirectTarget(
            target,
            location,
            head.statusCode,
            options.allowInsecureRedirects === true,
          );
          // Credentials meant for one origin are not handed to another (as fetch does for redirects).
          if (next.url.origin !== target.url.origin) headers = withoutCredentials(headers);
          context.destroySockets();
          target = next;
          continue;
        }
        const body = await readShortBody(context, socket, head, rest, 1024);
        const detail = REDIRECT_STATUSES.has(head.statusCode)
          ? location === undefined
            ? ' (a redirect without Location)'
            : ` (redirect to ${location}; set followRedirects to follow it)`
          : '';
        throw new HandshakeError(
          `${target.url.href} refused the WebSocket handshake: ${head.statusCode} ${head.statusMessage}`.trimEnd() +
            (body === '' ? '' : `: ${body.slice(0, 200)}`) +
            detail,
          head.statusCode,
          flattenHeaders(head.headers),
        );
      } finally {
        turn?.leave();
      }
    }
  } catch (error) {
    context.fail(error as Error);
    throw error;
  } finally {
    context.dispose();
  }
}

function buildRequest(
  target: WebSocketTarget,
  key: string,
  options: ConnectOptions,
  protocols: readonly string[],
  extensions: string,
  headers: Readonly<Record<string, string>> | undefined,
): string {
  return buildUpgradeRequest({
    host: target.host,
    path: target.resource,
    key,
    origin: options.origin,
    protocols,
    extensions: extensions === '' ? undefined : extensions,
    headers,
  });
}

async function openSocket(
  context: DialContext,
  target: WebSocketTarget,
  options: ConnectOptions,
  maxHeadSize: number,
): Promise<Socket> {
  const proxy = proxyForUrl(target, options.proxy, options.env ?? process.env);
  const socket =
    proxy === undefined
      ? await openTcp(context, target.hostname, target.port, target.url.host, options.lookup)
      : await openTunnel(context, proxy, target.hostname, target.port, maxHeadSize, options.lookup);
  if (!target.secure) return socket;
  return startTls(context, socket, target.hostname, {
    ...options.tls,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
}

function checkNumber(value: number, name: string, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new WebSocketError('ERR_INVALID_ARGUMENT', `${name} must be a number >= ${min}`);
  }
}
