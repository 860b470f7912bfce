/**
 * Ports: the side effects the portable core needs, filled in by a platform layer (src/node/crypto.ts
 * on Node). Plain function types so a hot caller (client masks) pays one call and no method lookup.
 */

/**
 * The 20-byte SHA-1 digest of `input` encoded as UTF-8 (the handshake only ever hashes ASCII). A
 * platform may also give `base64`, the same digest as base64 text, when it can make that text more
 * cheaply than through the bytes (every server handshake needs it: Sec-WebSocket-Accept).
 */
export interface Sha1 {
  (input: string): Uint8Array;
  readonly base64?: ((input: string) => string) | undefined;
}

/** Fills all of `target` with cryptographically strong random bytes (RFC 6455 4.1 and 5.3 need them). */
export type RandomFill = (target: Uint8Array) => void;

/** Both crypto ports together, for layers that pass them around as one value. */
export interface CryptoPorts {
  readonly sha1: Sha1;
  readonly randomFill: RandomFill;
}
