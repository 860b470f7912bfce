import type { Interface } from 'node:readline';

/**
 * Where `connect` prints. On a terminal, what arrives is marked `< ` and the input line is the
 * prompt `> `: an arriving line erases the prompt, prints, and puts the prompt (with what was typed
 * so far) back. For scripts, messages are bare lines on stdout and notices go to stderr.
 */
export class SessionOutput {
  readonly #prompt: Interface | undefined;
  #promptClosed = false;

  constructor(prompt: Interface | undefined) {
    this.#prompt = prompt;
    // Prompting again after the input closed would resume stdin and keep the process alive.
    prompt?.once('close', () => {
      this.#promptClosed = true;
    });
  }

  get interactive(): boolean {
    return this.#prompt !== undefined;
  }

  /** A message that arrived. */
  received(line: string): void {
    if (this.#prompt) this.#aboveThePrompt(`< ${line}`);
    else process.stdout.write(`${line}\n`);
  }

  /** A notice (connected, closed, ping...): on stderr for scripts, between the lines on a terminal. */
  notice(line: string): void {
    if (this.#prompt) this.#aboveThePrompt(line);
    else process.stderr.write(`${line}\n`);
  }

  #aboveThePrompt(line: string): void {
    const prompt = this.#prompt as Interface;
    process.stdout.write(`\r\u001b[K${line}\n`);
    if (!this.#promptClosed) prompt.prompt(true);
  }
}
