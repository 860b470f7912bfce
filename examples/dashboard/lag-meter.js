// How old each price is when it reaches the page (now minus the time the feed set it; the server and
// the browser share a clock here), summed up per second: updates per second, median and worst lag.
// `globalThis.tickerStats` holds the figures for tests and the curious.
export class LagMeter {
  #element;
  #window = [];
  stats = { received: 0, lastLag: 0, perSecond: 0, p50: 0, max: 0 };

  constructor(element) {
    this.#element = element;
    globalThis.tickerStats = this.stats;
    setInterval(() => this.#summarize(), 1000);
  }

  /** A quote set by the feed at `t` arrived now. */
  arrived(t) {
    const lag = Date.now() - t;
    this.stats.received++;
    this.stats.lastLag = lag;
    this.#window.push(lag);
  }

  #summarize() {
    const lags = this.#window.sort((a, b) => a - b);
    this.#window = [];
    Object.assign(this.stats, {
      perSecond: lags.length,
      p50: lags.length ? lags[Math.floor(lags.length / 2)] : 0,
      max: lags.length ? lags[lags.length - 1] : 0,
    });
    this.#element.textContent = lags.length
      ? `${lags.length} updates/s · lag ${this.stats.p50} ms median, ${this.stats.max} ms worst`
      : 'no updates';
  }
}
