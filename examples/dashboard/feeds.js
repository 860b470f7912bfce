// Which process feeds each group (from its snapshots) and whether prices are flowing: a group whose
// feeder died shows "paused" until another process takes its lease over.
const PAUSED_AFTER_MS = 2000;

export class Feeds {
  /** group -> { by, term, lastSeen, item } */
  #groups = new Map();

  constructor(element, groups) {
    for (let group = 0; group < groups; group++) {
      const item = document.createElement('li');
      item.dataset.group = String(group);
      element.append(item);
      this.#groups.set(group, { by: '?', term: 0, lastSeen: 0, item });
    }
    setInterval(() => this.#render(), 500);
  }

  /** A price of `group` arrived (now). */
  seen(group) {
    const entry = this.#groups.get(group);
    if (entry) entry.lastSeen = Date.now();
  }

  /** A snapshot of `group` by process `by` holding the lease in `term`. */
  fedBy(group, by, term) {
    const entry = this.#groups.get(group);
    if (!entry || term < entry.term) return; // a late snapshot from a previous holder
    Object.assign(entry, { by, term, lastSeen: Date.now() });
    this.#render();
  }

  #render() {
    const now = Date.now();
    for (const [group, { by, lastSeen, item }] of this.#groups) {
      const paused = now - lastSeen > PAUSED_AFTER_MS;
      item.dataset.state = paused ? 'paused' : 'live';
      item.textContent = `g${group} ${by}${paused ? ` · paused ${Math.round((now - lastSeen) / 1000)} s` : ''}`;
    }
  }
}
