// Node's implementations of the crypto ports of src/protocol/ports.ts.
import * as crypto from 'node:crypto';
import type { CryptoPorts, RandomFill, Sha1 } from '../protocol/ports.js';

const { createHash, randomFillSync } = crypto;

/**
 * crypto.hash (Node 20.12 and later): one call without a Hash object, about 4x cheaper than
 * createHash for a digest as short as the handshake's. Read from the namespace, as a named import
 * would fail to link on an older Node.
 */
const oneShotHash = (crypto as Partial<Pick<typeof crypto, 'hash'>>).hash;

/** SHA-1 through node:crypto; returns the 20-byte digest as a Buffer (or, by `base64`, as text). */
export const nodeSha1: Sha1 = Object.assign(
  (input: string): Uint8Array => createHash('sha1').update(input, 'utf8').digest(),
  {
    base64:
      oneShotHash === undefined
        ? (input: string): string => createHash('sha1').update(input, 'utf8').digest('base64')
        : (input: string): string => oneShotHash('sha1', input, 'base64'),
  },
);

/** Fills `target` from the OS CSPRNG (randomFillSync), as RFC 6455 4.1 and 10.3 require. */
export const nodeRandomFill: RandomFill = (target) => {
  randomFillSync(target);
};

export const nodeCrypto: CryptoPorts = { sha1: nodeSha1, randomFill: nodeRandomFill };
