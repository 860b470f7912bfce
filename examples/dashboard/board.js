// The ticker board: a tile per symbol, in symbol order, created the first time the symbol is seen.
// A quote replaces the tile's only when it is newer (its `t`), so a snapshot read late never undoes
// a live update. The DOM is written DRAW_EVERY_MS with the latest quote of each symbol: faster than a
// person reads, and light enough that drawing never holds up reading the socket.
const DRAW_EVERY_MS = 250;
const formatPrice = (price) => price.toFixed(2);

export class Board {
  #element;
  /** symbol -> { tile, price, change, quote } */
  #tiles = new Map();
  /** symbol -> the newest quote not yet drawn */
  #pending = new Map();
  /** tiles flashed by the last draw, cleared by the next */
  #flashed = [];
  #timer = 0;

  constructor(element) {
    this.#element = element;
  }

  get size() {
    return this.#tiles.size;
  }

  /** A quote `{ s, p, o, t }`; returns false when the board already has a newer one. */
  apply(quote) {
    const held = this.#pending.get(quote.s) ?? this.#tiles.get(quote.s)?.quote;
    if (held && held.t >= quote.t) return false;
    this.#pending.set(quote.s, quote);
    this.#timer ||= setTimeout(() => this.#draw(), DRAW_EVERY_MS);
    return true;
  }

  #draw() {
    this.#timer = 0;
    for (const tile of this.#flashed) delete tile.dataset.flash;
    this.#flashed = [];
    for (const [symbol, quote] of this.#pending) {
      const entry = this.#tiles.get(symbol) ?? this.#create(symbol);
      const previous = entry.quote;
      entry.quote = quote;
      entry.price.textContent = formatPrice(quote.p);
      const change = ((quote.p - quote.o) / quote.o) * 100;
      entry.change.textContent = `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`;
      entry.tile.dataset.trend = change >= 0 ? 'up' : 'down';
      if (previous && previous.p !== quote.p) {
        entry.tile.dataset.flash = quote.p > previous.p ? 'up' : 'down';
        this.#flashed.push(entry.tile);
      }
    }
    this.#pending.clear();
  }

  #create(symbol) {
    const tile = document.createElement('div');
    tile.className = 'tile';
    tile.dataset.symbol = symbol;
    const name = document.createElement('b');
    name.textContent = symbol;
    const price = document.createElement('span');
    price.className = 'price';
    const change = document.createElement('span');
    change.className = 'change';
    tile.append(name, price, change);
    // In symbol order: tiles are created once each, a linear scan is fine.
    const after = [...this.#element.children].find((other) => other.dataset.symbol > symbol) ?? null;
    this.#element.insertBefore(tile, after);
    const entry = { tile, price, change, quote: null };
    this.#tiles.set(symbol, entry);
    return entry;
  }
}
