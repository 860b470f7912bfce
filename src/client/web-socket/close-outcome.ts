// What a WebSocket's close event reports, from how its Connection ended (RFC 6455 7.1.5-7.1.7 as the
// WHATWG WebSockets standard uses them).
import type { CloseInfo } from '../../connection/message.js';
import { ProtocolError } from '../../errors.js';

export interface CloseOutcome {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /** The connection was failed (or flagged as full): an error event comes before the close event. */
  readonly failed: boolean;
  /** Why, when known (a HandshakeError, a Blob that could not be read...): for Node users only. */
  readonly error: unknown;
}

/**
 * `info` is null when there never was a Connection (the opening handshake failed or was abandoned).
 * `failure` is set when the socket itself failed the connection (close() while CONNECTING, the send
 * buffer over its bound, an unreadable Blob, no subprotocol chosen).
 */
export function closeOutcome(info: CloseInfo | null, failure: { error: unknown } | null): CloseOutcome {
  if (failure !== null || info === null) {
    return { code: 1006, reason: '', wasClean: false, failed: true, error: failure?.error };
  }
  if (info.code === 1006) {
    // Closed without a Close frame (the server dropped TCP, or the close handshake timed out): not a
    // failure, so no error event; the reason stays empty, as the standard asks not to tell why.
    return { code: 1006, reason: '', wasClean: false, failed: false, error: undefined };
  }
  // Connection reports the code it failed the connection with (1002, 1007, 1009...) and wasClean
  // false; the WebSocket's close code is then 1006, no Close frame having been received (7.1.5).
  if (!info.wasClean) {
    return {
      code: 1006,
      reason: '',
      wasClean: false,
      failed: true,
      error: new ProtocolError(info.reason, info.code),
    };
  }
  return { code: info.code, reason: info.reason, wasClean: true, failed: false, error: undefined };
}
