interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * The page's hints that a retry may now succeed: the browser came back online, the tab became
 * visible. Only where the globals exist (not in Node).
 */
export class Lifecycle {
  readonly #window: EventTargetLike;
  readonly #document: (EventTargetLike & { readonly visibilityState?: string }) | undefined;
  readonly #onOnline: () => void;
  readonly #onVisibility: () => void;

  private constructor(
    window: EventTargetLike,
    document: (EventTargetLike & { readonly visibilityState?: string }) | undefined,
    retry: () => void,
  ) {
    this.#window = window;
    this.#document = document;
    this.#onOnline = retry;
    this.#onVisibility = () => {
      if (this.#document?.visibilityState === 'visible') retry();
    };
  }

  static ifAvailable(retry: () => void): Lifecycle | null {
    const global = globalThis as unknown as Partial<EventTargetLike> & { document?: EventTargetLike };
    if (typeof global.addEventListener !== 'function' || typeof global.removeEventListener !== 'function')
      return null;
    const document = typeof global.document?.addEventListener === 'function' ? global.document : undefined;
    return new Lifecycle(global as EventTargetLike, document, retry);
  }

  start(): void {
    this.#window.addEventListener('online', this.#onOnline);
    this.#document?.addEventListener('visibilitychange', this.#onVisibility);
  }

  stop(): void {
    this.#window.removeEventListener('online', this.#onOnline);
    this.#document?.removeEventListener('visibilitychange', this.#onVisibility);
  }
}
