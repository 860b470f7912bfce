// The simulated market: SYMBOLS names made up from a fixed seed (every process agrees on them), split
// into groups, each group's prices a random walk. Pure state and arithmetic: feed.mjs publishes it.

/** mulberry32: a tiny seeded generator, so names and opening prices are the same in every process. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `count` distinct 3-4 letter symbols with an opening price each, in `groups` groups. */
export function makeMarket(count, groups) {
  const random = seeded(20261206);
  const names = new Set();
  while (names.size < count) {
    const length = random() < 0.5 ? 3 : 4;
    let name = '';
    for (let i = 0; i < length; i++) name += LETTERS[Math.floor(random() * LETTERS.length)];
    names.add(name);
  }
  const symbols = [...names].sort().map((symbol, index) => ({
    symbol,
    group: index % groups,
    open: Math.round((5 + random() * 495) * 100) / 100,
  }));
  return Array.from({ length: groups }, (_, group) => symbols.filter((s) => s.group === group));
}

const VOLATILITY = 0.002; // per move, as a fraction of the price

/** The next price of a random walk (rounded to cents, never below one). */
export function nextPrice(price) {
  const shock = (Math.random() + Math.random() + Math.random() - 1.5) * 2 * VOLATILITY;
  return Math.max(0.01, Math.round(price * (1 + shock) * 100) / 100);
}
