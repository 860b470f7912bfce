import type { RandomFill } from './ports.js';

/**
 * Where client frame masks come from (RFC 6455 section 5.3: a fresh, unpredictable 32-bit key per
 * frame, from a strong source of entropy). A port, so tests can pass a fixed mask.
 */
export interface MaskSource {
  /** Four fresh mask bytes. The view may be reused by the next call: copy it out before calling again. */
  next(): Uint8Array;
}

const POOL_SIZE = 4096; // 1024 masks per refill; getRandomValues accepts at most 65536 bytes

function defaultRandomFill(target: Uint8Array): void {
  // WebCrypto is a global in Node 20+, Bun, Deno and Workers, so the core needs no node: import.
  globalThis.crypto.getRandomValues(target);
}

/**
 * The default MaskSource: random bytes drawn in 4 KiB blocks, so a frame costs a 4-byte copy rather
 * than a call into the random source.
 */
export class PooledMaskSource implements MaskSource {
  readonly #fill: RandomFill;
  readonly #pool = new Uint8Array(POOL_SIZE);
  readonly #mask = new Uint8Array(4);
  #offset = POOL_SIZE;

  constructor(fill: RandomFill = defaultRandomFill) {
    this.#fill = fill;
  }

  next(): Uint8Array {
    if (this.#offset === POOL_SIZE) {
      this.#fill(this.#pool);
      this.#offset = 0;
    }
    const pool = this.#pool;
    const offset = this.#offset;
    const mask = this.#mask;
    mask[0] = pool[offset]!;
    mask[1] = pool[offset + 1]!;
    mask[2] = pool[offset + 2]!;
    mask[3] = pool[offset + 3]!;
    this.#offset = offset + 4;
    return mask;
  }
}
