import type { FlagTable } from '../flags.js';

/** `fullduplex connect` flags, named after the wscat/websocat habits they follow where they exist. */
export const connectFlags = {
  subprotocol: {
    type: 'string',
    short: 's',
    placeholder: 'NAME',
    multiple: true,
    help: 'a subprotocol to offer (NAME,NAME offers several)',
  },
  protocol: { type: 'string', multiple: true, hidden: true, help: 'old name of --subprotocol' },
  header: {
    type: 'string',
    short: 'H',
    placeholder: "'NAME: VALUE'",
    multiple: true,
    help: 'an extra request header',
  },
  origin: { type: 'string', placeholder: 'ORIGIN', help: 'the Origin header to send' },
  execute: {
    type: 'string',
    short: 'x',
    placeholder: 'MESSAGE',
    multiple: true,
    help: 'send MESSAGE instead of reading input, wait --wait seconds, close and exit',
  },
  wait: {
    type: 'number',
    short: 'w',
    placeholder: 'SECONDS',
    help: 'after the last message sent (end of input or --execute), keep printing replies this long before closing (default with --execute: 2)',
  },
  'show-ping-pong': {
    type: 'boolean',
    short: 'P',
    default: false,
    help: 'print pings and pongs that arrive; a line /ping then sends a ping and prints its round trip',
  },
  compress: { type: 'boolean', default: false, help: 'offer permessage-deflate' },
  binary: { type: 'boolean', default: false, help: 'send each line as a binary message' },
  insecure: { type: 'boolean', short: 'k', default: false, help: 'accept any TLS certificate (wss://)' },
} as const satisfies FlagTable;
