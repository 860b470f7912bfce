import type { LoadProgress } from './echo-load.js';

/** A live status line on a terminal, rewritten in place; `clear()` removes it before the report. */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #seconds: number;
  #lastVerified = 0;
  #lastSeconds = 0;

  constructor(stream: NodeJS.WriteStream, seconds: number) {
    this.#stream = stream;
    this.#seconds = seconds;
  }

  update(progress: LoadProgress): void {
    const interval = progress.elapsedSeconds - this.#lastSeconds;
    const rate = interval > 0 ? (progress.verified - this.#lastVerified) / interval : 0;
    this.#lastVerified = progress.verified;
    this.#lastSeconds = progress.elapsedSeconds;
    this.#stream.write(
      `\r\x1b[K${progress.elapsedSeconds.toFixed(0)}/${this.#seconds} s  ${Math.round(rate)} messages/s  ${progress.verified} verified  ${progress.open} open`,
    );
  }

  clear(): void {
    this.#stream.write('\r\x1b[K');
  }
}
