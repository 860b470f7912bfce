// Node's implementations of the crypto ports of src/protocol/ports.ts.
import { createHash, randomFillSync } from 'node:crypto';
import type { CryptoPorts, RandomFill, Sha1 } from '../protocol/ports.js';

/** SHA-1 through node:crypto; returns the 20-byte digest as a Buffer. */
export const nodeSha1: Sha1 = (input) => createHash('sha1').update(input, 'utf8').digest();

/** Fills `target` from the OS CSPRNG (randomFillSync), as RFC 6455 4.1 and 10.3 require. */
export const nodeRandomFill: RandomFill = (target) => {
  randomFillSync(target);
};

export const nodeCrypto: CryptoPorts = { sha1: nodeSha1, randomFill: nodeRandomFill };
