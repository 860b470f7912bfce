// Event handler IDL attributes (HTML "event handlers"): `onopen` and friends. Setting a callback the
// first time adds one listener at that point of the listener list; replacing the callback keeps its
// place; setting null removes it (a later callback goes to the end). Non-objects become null.

export type EventHandlerValue = ((this: EventTarget, event: Event) => unknown) | object | null;

interface Slot {
  value: EventHandlerValue;
  listener: ((event: Event) => void) | null;
}

/** The handler attributes of one event target, for a fixed set of event types. */
export class EventHandlers {
  readonly #target: EventTarget;
  readonly #slots = new Map<string, Slot>();

  constructor(target: EventTarget) {
    this.#target = target;
  }

  get(type: string): EventHandlerValue {
    return this.#slots.get(type)?.value ?? null;
  }

  set(type: string, value: unknown): void {
    // [LegacyTreatNonObjectAsNull]: objects are kept (even when not callable), anything else is null.
    const handler =
      (typeof value === 'object' && value !== null) || typeof value === 'function'
        ? (value as EventHandlerValue)
        : null;
    let slot = this.#slots.get(type);
    if (slot === undefined) {
      if (handler === null) return;
      slot = { value: null, listener: null };
      this.#slots.set(type, slot);
    }
    slot.value = handler;
    if (handler === null) {
      if (slot.listener !== null) this.#target.removeEventListener(type, slot.listener);
      slot.listener = null;
    } else if (slot.listener === null) {
      const target = this.#target;
      const current = slot;
      slot.listener = (event: Event) => {
        const callback = current.value;
        // A non-callable object does nothing when the event comes (it is not a listener object).
        if (typeof callback === 'function')
          (callback as (this: EventTarget, event: Event) => unknown).call(target, event);
      };
      target.addEventListener(type, slot.listener);
    }
  }
}
