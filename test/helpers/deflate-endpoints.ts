// Protocol cores of each role with the real zlib permessage-deflate extension, recording what they
// deliver: the set-up shared by the RFC 7692 conformance tests and the corrupt-data unit tests.
import { PerMessageDeflate } from '../../src/node/deflate.js';
import type { DeflateParameters } from '../../src/protocol/extensions/permessage-deflate.js';
import { Protocol } from '../../src/protocol/protocol.js';
import { fixedMaskSource, RecordingHandler } from './frames.js';

/** Context takeover both ways, 15-bit windows: what a peer gets when it asks for nothing else. */
export const TAKEOVER: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

export function deflateClient(params = TAKEOVER) {
  const handler = new RecordingHandler();
  const extension = new PerMessageDeflate('client', params);
  const protocol = new Protocol(handler, { role: 'client', extension, maskSource: fixedMaskSource() });
  return { handler, protocol, extension };
}

export function deflateServer(params = TAKEOVER) {
  const handler = new RecordingHandler();
  const extension = new PerMessageDeflate('server', params);
  const protocol = new Protocol(handler, { role: 'server', extension });
  return { handler, protocol, extension };
}
