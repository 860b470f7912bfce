// "alice is typing…": each page publishes its own state on the room's typing topic (no history) at
// most every TYPING_EVERY_MS while the input changes, and `typing: false` when it sends or clears.
// A state not renewed within SHOWN_FOR_MS fades, so a page that went away leaves nothing behind.
const TYPING_EVERY_MS = 1500;
const SHOWN_FOR_MS = 4000;

export class Typing {
  #element;
  #me;
  #publish;
  #lastSent = 0;
  /** nick -> when its state stops being shown */
  #until = new Map();

  constructor(element, me, publish) {
    this.#element = element;
    this.#me = me;
    this.#publish = publish;
    setInterval(() => this.#render(), 500);
  }

  /** The input changed: tell the others (throttled), or that we stopped when it is empty. */
  changed(text) {
    if (text.length === 0) return this.stopped();
    const now = Date.now();
    if (now - this.#lastSent < TYPING_EVERY_MS) return;
    this.#lastSent = now;
    this.#publish({ nick: this.#me, typing: true });
  }

  stopped() {
    if (this.#lastSent === 0) return;
    this.#lastSent = 0;
    this.#publish({ nick: this.#me, typing: false });
  }

  /** A state published by someone (ourselves included: ignored). */
  received(data) {
    if (typeof data?.nick !== 'string' || data.nick === this.#me) return;
    if (data.typing === true) this.#until.set(data.nick, Date.now() + SHOWN_FOR_MS);
    else this.#until.delete(data.nick);
    this.#render();
  }

  #render() {
    const now = Date.now();
    for (const [nick, until] of this.#until) if (until <= now) this.#until.delete(nick);
    const nicks = [...this.#until.keys()].sort();
    this.#element.textContent =
      nicks.length === 0 ? '' : `${nicks.join(', ')} ${nicks.length === 1 ? 'is' : 'are'} typing…`;
  }
}
