import { createInterface } from 'node:readline';
import { connect } from '../../client/connect.js';
import type { Connection } from '../../connection/connection.js';
import type { Command } from '../command.js';
import { type FlagTable, type ParsedFlags, UsageError } from '../flags.js';

const connectFlags = {
  protocol: { type: 'string', placeholder: 'NAME[,NAME]', help: 'subprotocols to offer, comma-separated' },
  header: { type: 'string', placeholder: "'NAME: VALUE'", help: 'an extra request header' },
  origin: { type: 'string', placeholder: 'ORIGIN', help: 'the Origin header to send' },
  compress: { type: 'boolean', default: false, help: 'offer permessage-deflate' },
  binary: { type: 'boolean', default: false, help: 'send each line as a binary message' },
  insecure: { type: 'boolean', default: false, help: 'accept any TLS certificate (wss://)' },
} as const satisfies FlagTable;

/** `fullduplex connect URL`: exit 0 after a normal closure, 1 otherwise. */
export const connectCommand: Command = {
  usage: `Usage: fullduplex connect [options] URL

Opens a WebSocket connection, sends each line of standard input as a message and prints each message
that arrives (binary ones as hex). End of input closes the connection with 1000.`,
  flags: connectFlags,
  positionals: 1,
  run: connectAndRelay,
};

async function connectAndRelay(flags: ParsedFlags, positionals: readonly string[]): Promise<number> {
  const url = positionals[0];
  if (!url) throw new UsageError('connect needs a URL, e.g. ws://127.0.0.1:8080/');
  const headers: Record<string, string> = {};
  if (typeof flags.header === 'string') {
    const colon = flags.header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must look like 'Name: value', got ${flags.header}`);
    headers[flags.header.slice(0, colon).trim()] = flags.header.slice(colon + 1).trim();
  }
  const connection = await connect(url, {
    protocols: typeof flags.protocol === 'string' ? flags.protocol.split(',').map((name) => name.trim()) : [],
    headers,
    ...(typeof flags.origin === 'string' ? { origin: flags.origin } : {}),
    perMessageDeflate: flags.compress === true,
    rejectUnauthorized: flags.insecure !== true,
  });
  console.error(
    `connected${connection.protocol ? `, protocol ${connection.protocol}` : ''}${
      connection.extensions ? `, extensions ${connection.extensions}` : ''
    }`,
  );
  printMessages(connection);
  const lines = createInterface({ input: process.stdin, terminal: false });
  // The server may close first: stop reading input then.
  const stopReading = (): void => lines.close();
  connection.closed.then(stopReading, stopReading);
  for await (const line of lines) {
    if (connection.readyState !== 'open') break;
    await connection.write(line, { binary: flags.binary === true });
  }
  if (connection.readyState === 'open') await connection.close(1000, 'end of input');
  const info = await connection.closed;
  console.error(
    `closed: ${info.code}${info.reason ? ` ${info.reason}` : ''}${info.wasClean ? '' : ' (not clean)'}`,
  );
  return info.wasClean && (info.code === 1000 || info.code === 1001 || info.code === 1005) ? 0 : 1;
}

function printMessages(connection: Connection): void {
  connection.onMessage((message) => {
    console.log(message.type === 'text' ? message.data : message.data.toString('hex'));
  });
}
