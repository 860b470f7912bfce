/**
 * Incremental UTF-8 validation (RFC 3629 section 4, as RFC 6455 section 8.1 requires for text
 * messages and close reasons). Input may be cut anywhere: across chunks, frames and fragments. It
 * fails at the first byte that cannot continue a well-formed sequence, which rejects overlong forms,
 * UTF-16 surrogates (U+D800-U+DFFF) and code points above U+10FFFF; `end()` rejects a sequence
 * truncated by the end of the message.
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current sequence; -1 once invalid input was seen. */
  #needed = 0;
  /** Allowed range of the next continuation byte (narrower than 0x80-0xBF right after some leads). */
  #lower = 0x80;
  #upper = 0xbf;

  /** True when no invalid byte was seen and the input so far ends on a character boundary. */
  get complete(): boolean {
    return this.#needed === 0;
  }

  /** True once invalid input was seen; the validator then stays failed until `reset()`. */
  get failed(): boolean {
    return this.#needed < 0;
  }

  /** Validate `data[start, end)` after everything written before. False at the first invalid byte. */
  write(data: Uint8Array, start = 0, end = data.length): boolean {
    let needed = this.#needed;
    if (needed < 0) return false;
    let lower = this.#lower;
    let upper = this.#upper;
    let i = start;
    while (i < end) {
      let byte = data[i]!;
      if (needed === 0) {
        // Fast path: runs of ASCII need no state at all.
        while (byte < 0x80) {
          if (++i === end) {
            // The range may still be a narrowed one stored by the previous write (a lead such as
            // F4 at its end): it was consumed in this call, so store the reset one.
            this.#needed = 0;
            this.#lower = lower;
            this.#upper = upper;
            return true;
          }
          byte = data[i]!;
        }
        i++;
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          needed = 2;
          if (byte === 0xe0)
            lower = 0xa0; // overlong 3-byte forms
          else if (byte === 0xed) upper = 0x9f; // surrogates U+D800-U+DFFF
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          needed = 3;
          if (byte === 0xf0)
            lower = 0x90; // overlong 4-byte forms
          else if (byte === 0xf4) upper = 0x8f; // above U+10FFFF
        } else {
          // 0x80-0xC1 (stray continuation, overlong 2-byte lead) or 0xF5-0xFF.
          this.#needed = -1;
          return false;
        }
      } else {
        if (byte < lower || byte > upper) {
          this.#needed = -1;
          return false;
        }
        i++;
        needed--;
        lower = 0x80;
        upper = 0xbf;
      }
    }
    this.#needed = needed;
    this.#lower = lower;
    this.#upper = upper;
    return true;
  }

  /** Finish the message: true when it ended on a character boundary. Resets for the next message. */
  end(): boolean {
    const complete = this.#needed === 0;
    this.reset();
    return complete;
  }

  reset(): void {
    this.#needed = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }
}

const shared = new Utf8Validator();

/** One-shot check of a whole byte sequence. */
export function isValidUtf8(data: Uint8Array): boolean {
  shared.reset();
  const valid = shared.write(data) && shared.complete;
  shared.reset();
  return valid;
}
