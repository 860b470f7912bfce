/**
 * Items (connections) with a flush due at the next microtask: one microtask, and no closure, per
 * batch rather than per connection, which is what a broadcast to thousands of connections schedules.
 */
export class FlushBatch<T> {
  #list: T[] = [];
  readonly #flush: (item: T) => void;
  readonly #run = (): void => this.#runAll();

  constructor(flush: (item: T) => void) {
    this.#flush = flush;
  }

  add(item: T): void {
    if (this.#list.length === 0) queueMicrotask(this.#run);
    this.#list.push(item);
  }

  #runAll(): void {
    const list = this.#list;
    // Flushes scheduled while these run go to a new list and a new microtask, as with queueMicrotask.
    this.#list = [];
    for (let index = 0; index < list.length; index++) {
      try {
        this.#flush(list[index] as T);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
