// The byte pipes under a client handshake: TCP, TLS over it, and reading one HTTP response head.
import { isIP, type LookupFunction, connect as netConnect, type Socket } from 'node:net';
import {
  type TLSSocket,
  type ConnectionOptions as TlsConnectionOptions,
  connect as tlsConnect,
} from 'node:tls';
import { HandshakeError } from '../errors.js';
import { HttpHeadParser, type HttpResponseHead } from '../protocol/handshake/http-head-parser.js';
import type { DialContext } from './dial-context.js';

/**
 * Opens TCP to host:port (a name resolved with `lookup`, default dns.lookup). A failure rejects with
 * HandshakeError (status 0) naming the address and cause.
 */
export function openTcp(
  context: DialContext,
  host: string,
  port: number,
  what: string,
  lookup?: LookupFunction,
): Promise<Socket> {
  const socket = context.adopt(
    netConnect({ host, port, noDelay: true, ...(lookup === undefined ? {} : { lookup }) }),
  );
  return context.wait<Socket>(({ resolve, reject }) => {
    const onConnect = (): void => resolve(socket);
    const onError = (error: Error): void => {
      reject(
        new HandshakeError(
          `could not connect to ${what} (${host}:${port}): ${describe(error)}`,
          0,
          {},
          { cause: error },
        ),
      );
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    return () => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
  });
}

/**
 * Starts TLS over `socket` and waits for the handshake. The certificate is checked against
 * `servername` (default: the host, unless it is an IP literal, which SNI may not carry).
 */
export function startTls(
  context: DialContext,
  socket: Socket,
  host: string,
  options: TlsConnectionOptions,
): Promise<TLSSocket> {
  const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
  const secure = context.adopt(
    tlsConnect({
      ALPNProtocols: ['http/1.1'], // RFC 8441 needs h2; the RFC 6455 handshake is HTTP/1.1 only
      ...options,
      socket,
      host,
      ...(servername === undefined ? {} : { servername }),
    }),
  );
  return context.wait<TLSSocket>(({ resolve, reject }) => {
    const onSecure = (): void => resolve(secure);
    const onError = (error: Error): void => {
      reject(
        new HandshakeError(`TLS handshake with ${host} failed: ${describe(error)}`, 0, {}, { cause: error }),
      );
    };
    secure.once('secureConnect', onSecure);
    secure.once('error', onError);
    return () => {
      secure.off('secureConnect', onSecure);
      secure.off('error', onError);
    };
  });
}

export interface ResponseHead {
  readonly head: HttpResponseHead;
  /** Bytes after the head (WebSocket frames after a 101, or a body). */
  readonly rest: Buffer;
}

/** Reads one HTTP response head. The socket is left paused with no 'data' listener of ours. */
export function readResponseHead(
  context: DialContext,
  socket: Socket,
  maxHeadSize: number,
  what: string,
): Promise<ResponseHead> {
  const parser = new HttpHeadParser('response', { maxHeadSize, maxLineLength: maxHeadSize });
  return context.wait<ResponseHead>(({ resolve, reject }) => {
    const onData = (chunk: Buffer): void => {
      try {
        const parsed = parser.push(chunk);
        if (parsed !== null) resolve(parsed);
      } catch (error) {
        reject(
          new HandshakeError(
            `${what} sent an invalid HTTP response: ${(error as Error).message}`,
            0,
            {},
            { cause: error },
          ),
        );
      }
    };
    const onEnd = (): void => {
      reject(new HandshakeError(`${what} closed the connection before answering the handshake`, 0));
    };
    const onError = (error: Error): void => {
      reject(new HandshakeError(`connection to ${what} failed: ${describe(error)}`, 0, {}, { cause: error }));
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
    return () => {
      // Pause first: a flowing socket without a 'data' listener would drop the next bytes.
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
  });
}

/**
 * Best effort at a refusal's body, for the error message: at most `limit` bytes, waiting only while
 * Content-Length says more is coming and the socket is open. Never rejects.
 */
export async function readShortBody(
  context: DialContext,
  socket: Socket,
  head: HttpResponseHead,
  rest: Buffer,
  limit: number,
): Promise<string> {
  const declared = Number(head.headers['content-length']);
  const want =
    Number.isInteger(declared) && declared >= 0 ? Math.min(declared, limit) : Math.min(rest.length, limit);
  let body = rest;
  if (body.length < want && !socket.destroyed) {
    try {
      body = await context.wait<Buffer>(({ resolve }) => {
        const parts = [rest];
        let size = rest.length;
        const onData = (chunk: Buffer): void => {
          parts.push(chunk);
          size += chunk.length;
          if (size >= want) resolve(Buffer.concat(parts));
        };
        const onEnd = (): void => resolve(Buffer.concat(parts));
        // The body only decorates the error message: never let it hold the refusal up for long.
        const timer = setTimeout(onEnd, 1000);
        socket.on('data', onData);
        socket.once('end', onEnd);
        socket.once('close', onEnd);
        socket.once('error', onEnd);
        socket.resume();
        return () => {
          clearTimeout(timer);
          socket.pause();
          socket.off('data', onData);
          socket.off('end', onEnd);
          socket.off('close', onEnd);
          socket.off('error', onEnd);
        };
      });
    } catch {
      // The deadline passed while reading a courtesy body: report what we have.
    }
  }
  return body.subarray(0, want).toString('utf8').trim();
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
}
