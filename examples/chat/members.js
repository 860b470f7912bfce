// Who is in the room: the hub's presence entries (one per connection, on any process), shown once
// per nickname. Reset from a presence() read after each (re)subscribe, kept current by join/leave.
export class Members {
  #element;
  #me;
  /** presence id -> { nick, process } */
  #entries = new Map();

  constructor(element, me) {
    this.#element = element;
    this.#me = me;
  }

  reset(entries) {
    this.#entries.clear();
    for (const entry of entries) this.join(entry, false);
    this.#render();
  }

  join(entry, render = true) {
    if (typeof entry.info?.nick !== 'string') return;
    this.#entries.set(entry.id, entry.info);
    if (render) this.#render();
  }

  leave(entry) {
    if (this.#entries.delete(entry.id)) this.#render();
  }

  #render() {
    // A nickname may be connected twice (two tabs, or an entry of a crashed process not yet expired).
    const processes = new Map();
    for (const { nick, process } of this.#entries.values()) {
      processes.set(nick, [...(processes.get(nick) ?? []), process]);
    }
    const items = [...processes.keys()].sort().map((nick) => {
      const item = document.createElement('li');
      item.dataset.nick = nick;
      const where = document.createElement('small');
      // Which server process each of its connections is on: pages on two processes see each other.
      where.textContent = [...new Set(processes.get(nick))].join(', ');
      item.append(nick === this.#me ? `${nick} (you) ` : `${nick} `, where);
      return item;
    });
    this.#element.replaceChildren(...items);
  }
}
