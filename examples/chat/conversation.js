// The messages of a room as the page shows them: one section per epoch (a topic's epoch changes when
// its history was lost), messages in offset order inside it, each offset shown once however many
// times it arrives (live, from history, from recovery), and lines still waiting to be sent.

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function isChatLine(data) {
  return typeof data?.nick === 'string' && typeof data.text === 'string' && typeof data.time === 'number';
}

export class Conversation {
  #element;
  /** epoch -> the <ol> of that epoch */
  #sections = new Map();
  #shown = new Set();

  constructor(element) {
    this.#element = element;
  }

  /** A publication `{ epoch, offset, data }` of the room; false when it was shown already. */
  add({ epoch, offset, data }) {
    const key = `${epoch}:${offset}`;
    if (this.#shown.has(key) || !isChatLine(data)) return false;
    this.#shown.add(key);
    const item = document.createElement('li');
    item.dataset.offset = String(offset);
    const when = document.createElement('time');
    when.textContent = time(data.time);
    const nick = document.createElement('b');
    nick.textContent = data.nick;
    item.append(when, nick, document.createTextNode(data.text));
    const list = this.#section(epoch);
    // Usually the newest: walk back from the end to the first older message.
    let before = null;
    for (let other = list.lastElementChild; other; other = other.previousElementSibling) {
      if (Number(other.dataset.offset) < offset) break;
      before = other;
    }
    list.insertBefore(item, before);
    this.#scrollToEnd();
    return true;
  }

  /** A line typed here and not yet acknowledged; returns how to settle it. */
  pending(nick, text) {
    const item = document.createElement('p');
    item.className = 'pending';
    item.textContent = `${nick}: ${text} (sending…)`;
    this.#element.append(item);
    this.#scrollToEnd();
    return {
      sent: () => item.remove(),
      failed: (reason) => {
        item.className = 'failed';
        item.textContent = `${nick}: ${text} (not sent: ${reason})`;
      },
    };
  }

  /** A line from the page itself (history lost, messages skipped). */
  notice(text) {
    const item = document.createElement('p');
    item.className = 'notice';
    item.textContent = text;
    this.#element.append(item);
    this.#scrollToEnd();
  }

  #section(epoch) {
    let list = this.#sections.get(epoch);
    if (!list) {
      list = document.createElement('ol');
      list.className = 'messages';
      list.dataset.epoch = epoch;
      this.#sections.set(epoch, list);
      // Pending lines stay last.
      this.#element.insertBefore(list, this.#element.querySelector('.pending'));
    }
    return list;
  }

  #scrollToEnd() {
    this.#element.scrollTop = this.#element.scrollHeight;
  }
}
