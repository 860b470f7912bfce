// Who is here: each page announces itself on the document's people topic (`editor.NAME.people`,
// no history) with its name, color and caret line, again when its caret moves, every HEARTBEAT_MS,
// and at once when a newcomer says hello. A page not heard from for EXPIRE_MS is gone (its tab
// crashed or its network went away); a page that closes says so.
const HEARTBEAT_MS = 10_000;
const EXPIRE_MS = 25_000;
const THROTTLE_MS = 300;
const COLORS = ['#0969da', '#8250df', '#bf3989', '#1a7f37', '#9a6700', '#cf222e', '#0a7e8c'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class People {
  /** @type {Map<string, { name: string, color: string, line: number, seen: number }>} */
  #others = new Map();
  #client;
  #topic;
  #me;
  #onChange;
  #lastSent = 0;
  #sendTimer = undefined;

  /**
   * @param {{ client: import('/client/index.js').HubClient, topic: string, name: string,
   *   onChange: () => void }} options
   */
  constructor({ client, topic, name, onChange }) {
    this.#client = client;
    this.#topic = topic;
    this.#onChange = onChange;
    const id = crypto.randomUUID();
    this.#me = { id, name, color: COLORS[Number.parseInt(id.slice(0, 2), 16) % COLORS.length], line: 1 };
    const subscription = client.subscribe(topic);
    subscription.on('subscribed', () => this.#send(true));
    subscription.on('message', ({ data }) => this.#receive(data));
    setInterval(() => this.#send(false), HEARTBEAT_MS);
    setInterval(() => this.#expire(), EXPIRE_MS / 5);
    addEventListener('pagehide', () => this.#publish({ id, gone: true }));
  }

  /** Everyone here, this page first: `{ name, color, line, me }`. */
  list() {
    const others = [...this.#others.values()].sort((a, b) => a.name.localeCompare(b.name));
    return [{ ...this.#me, me: true }, ...others.map((person) => ({ ...person, me: false }))];
  }

  /** This page's caret moved to `line` (1-based). */
  moveTo(line) {
    if (line === this.#me.line) return;
    this.#me.line = line;
    this.#onChange();
    this.#sendSoon();
  }

  #sendSoon() {
    if (this.#sendTimer !== undefined) return;
    const wait = Math.max(0, this.#lastSent + THROTTLE_MS - Date.now());
    this.#sendTimer = setTimeout(() => {
      this.#sendTimer = undefined;
      this.#send(false);
    }, wait);
  }

  #send(hello) {
    if (this.#client.state !== 'connected') return;
    this.#lastSent = Date.now();
    this.#publish(hello ? { ...this.#me, hello: true } : this.#me);
  }

  #publish(value) {
    this.#client.publish(this.#topic, encoder.encode(JSON.stringify(value))).catch(() => {});
  }

  #receive(bytes) {
    let entry;
    try {
      entry = JSON.parse(decoder.decode(bytes));
    } catch {
      return;
    }
    if (typeof entry?.id !== 'string' || entry.id === this.#me.id) return;
    if (entry.gone === true) this.#others.delete(entry.id);
    else if (typeof entry.name === 'string' && typeof entry.color === 'string') {
      this.#others.set(entry.id, {
        name: entry.name.slice(0, 24),
        color: /^#[0-9a-f]{6}$/.test(entry.color) ? entry.color : '#656d76',
        line: Number.isInteger(entry.line) ? entry.line : 1,
        seen: Date.now(),
      });
      if (entry.hello === true) this.#sendSoon();
    }
    this.#onChange();
  }

  #expire() {
    const now = Date.now();
    let changed = false;
    for (const [id, person] of this.#others) {
      if (now - person.seen > EXPIRE_MS) {
        this.#others.delete(id);
        changed = true;
      }
    }
    if (changed) this.#onChange();
  }
}
