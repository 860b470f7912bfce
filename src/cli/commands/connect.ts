import { createInterface } from 'node:readline';
import { connect } from '../../client/connect.js';
import type { Connection } from '../../connection/connection.js';
import type { CloseInfo } from '../../connection/message.js';
import type { Command } from '../command.js';
import { controlLine, messageLine } from '../connect/message-lines.js';
import { SessionOutput } from '../connect/session-output.js';
import { listFlag, optionalStringFlag, type ParsedFlags, UsageError } from '../flags.js';
import { connectFlags } from './connect-flags.js';

/** --wait's default with --execute: long enough for a reply on any sane network. */
const EXECUTE_WAIT_SECONDS = 2;

/** `fullduplex connect URL`: exit 0 after a normal closure or Ctrl-C, 1 otherwise. */
export const connectCommand: Command = {
  usage: `Usage: fullduplex connect [options] URL

Opens a WebSocket connection, sends each line of standard input as a message and prints each message
that arrives. On a terminal, what you send follows the '> ' prompt, what arrives is marked '< ', and
binary messages show their size, hex bytes and printable characters; in a pipe, messages are bare
lines (binary ones as hex) and notices go to stderr. End of input, the end of --wait, or Ctrl-C
closes the connection with 1000.`,
  flags: connectFlags,
  positionals: 1,
  run: connectSession,
};

async function connectSession(flags: ParsedFlags, positionals: readonly string[]): Promise<number> {
  const url = positionals[0];
  if (!url) throw new UsageError('connect needs a URL, e.g. ws://127.0.0.1:8080/');
  const execute = listFlag(flags, 'execute');
  const wait = typeof flags.wait === 'number' ? flags.wait : execute.length > 0 ? EXECUTE_WAIT_SECONDS : 0;
  const binary = flags.binary === true;
  const showPingPong = flags['show-ping-pong'] === true;
  const connection = await connect(url, {
    protocols: [...listFlag(flags, 'subprotocol'), ...listFlag(flags, 'protocol')].flatMap((list) =>
      list.split(',').map((name) => name.trim()),
    ),
    headers: parseHeaders(listFlag(flags, 'header')),
    ...(optionalStringFlag(flags, 'origin') === undefined
      ? {}
      : { origin: optionalStringFlag(flags, 'origin') }),
    perMessageDeflate: flags.compress === true,
    rejectUnauthorized: flags.insecure !== true,
  });

  const interactive = execute.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const lines =
    execute.length > 0
      ? undefined
      : createInterface({
          input: process.stdin,
          ...(interactive ? { output: process.stdout } : {}),
          terminal: interactive,
        });
  const output = new SessionOutput(interactive ? lines : undefined);
  // Ctrl-C: on a terminal readline takes it; in a pipe it is the process's SIGINT.
  let interrupted = false;
  const interrupt = (): void => {
    interrupted = true;
    lines?.close();
    if (connection.readyState === 'open') connection.close(1000).catch(() => undefined);
  };
  lines?.on('SIGINT', interrupt);
  process.once('SIGINT', interrupt);
  output.notice(
    `connected to ${url}${connection.protocol ? `, subprotocol ${connection.protocol}` : ''}${
      connection.extensions ? `, extensions ${connection.extensions}` : ''
    }${interactive ? ' (Ctrl-C to close)' : ''}`,
  );
  connection.onRawMessage((data, type) => output.received(messageLine(data, type, interactive)));
  if (showPingPong) {
    connection.onPing((payload) => output.notice(controlLine('ping', payload)));
    connection.onPong((payload) => output.notice(controlLine('pong', payload)));
  }

  // The server may close first: stop reading input then.
  const stopReading = (): void => lines?.close();
  connection.closed.then(stopReading, stopReading);

  try {
    if (lines) {
      // On a terminal the prompt ('> ', readline's default) is already up, after the notice above.
      for await (const line of lines) {
        if (connection.readyState !== 'open') break;
        if (showPingPong && line.startsWith('/ping')) sendPing(connection, line.slice(5).trim(), output);
        else await connection.write(line, { binary });
        if (interactive) lines.prompt();
      }
    } else {
      for (const message of execute) await connection.write(message, { binary });
    }
    if (!interrupted && wait > 0 && connection.readyState === 'open') await waitForClose(connection, wait);
    if (connection.readyState === 'open') await connection.close(1000);
    const info = await connection.closed;
    output.notice(describeClose(info));
    if (interrupted) return 0;
    return info.wasClean && (info.code === 1000 || info.code === 1001 || info.code === 1005) ? 0 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    lines?.close();
  }
}

/** `--header 'Name: value'`, repeatable. */
function parseHeaders(written: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of written) {
    const colon = header.indexOf(':');
    if (colon <= 0)
      throw new UsageError(`--header must look like 'Name: value', got ${JSON.stringify(header)}`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return headers;
}

function sendPing(connection: Connection, data: string, output: SessionOutput): void {
  output.notice(controlLine('ping', Buffer.from(data)).replace(/^ping/, 'sent ping'));
  connection.ping(data).then(
    (milliseconds) => output.notice(`pong after ${milliseconds.toFixed(1)} ms`),
    (error: Error) => output.notice(`fullduplex: ping failed: ${error.message}`),
  );
}

/** Resolves after `seconds`, or earlier when the connection closes. */
function waitForClose(connection: Connection, seconds: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise((resolve) => {
      timer = setTimeout(resolve, seconds * 1000);
    }),
    connection.closed.catch(() => undefined),
  ]).finally(() => clearTimeout(timer));
}

function describeClose(info: CloseInfo): string {
  return `closed: ${info.code}${info.reason ? ` ${info.reason}` : ''}${info.wasClean ? '' : ' (not clean)'}`;
}
