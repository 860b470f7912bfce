import { type ErrorRoute, routeRejection } from '../callback-errors.js';
import type { MessageType } from '../protocol/types.js';
import type { Connection } from './connection.js';
import { toMessage } from './incoming-message.js';
import type { Message } from './message.js';

/** Listeners are called with `this` set to their connection (a shared function then needs no closure). */
export type MessageListener = (this: Connection, message: Message) => void;
export type RawMessageListener = (this: Connection, data: Buffer, type: MessageType) => void;

/** The listeners after the first of each kind: copy-on-write arrays. */
export interface MoreListeners {
  message: readonly MessageListener[];
  raw: readonly RawMessageListener[];
}

/**
 * Where a connection keeps its message listeners (Inbound's own fields: no object per connection).
 * Every `onMessage` and `onRawMessage` callback added runs for every message, in the order added,
 * raw listeners first. The first of each kind sits in its own field, so the usual single listener
 * is one call with no array walk; `moreListeners` stays null until a second one is added. The
 * arrays are copy-on-write: a listener added or removed while a message is being delivered takes
 * effect from the next message.
 */
export interface ListenerSlots {
  onMessage: MessageListener | null;
  onRawMessage: RawMessageListener | null;
  moreListeners: MoreListeners | null;
}

export function addMessageListener(slots: ListenerSlots, listener: MessageListener): void {
  if (slots.onMessage === null) slots.onMessage = listener;
  else {
    const more = moreOf(slots);
    more.message = [...more.message, listener];
  }
}

export function addRawListener(slots: ListenerSlots, listener: RawMessageListener): void {
  if (slots.onRawMessage === null) slots.onRawMessage = listener;
  else {
    const more = moreOf(slots);
    more.raw = [...more.raw, listener];
  }
}

/** Remove one registration of `listener` (the most recent); the next one added moves up. */
export function removeMessageListener(slots: ListenerSlots, listener: MessageListener): void {
  const more = slots.moreListeners;
  const index = more === null ? -1 : more.message.lastIndexOf(listener);
  if (more !== null && index >= 0) more.message = without(more.message, index);
  else if (slots.onMessage === listener) {
    slots.onMessage = more?.message[0] ?? null;
    if (more !== null && more.message.length > 0) more.message = more.message.slice(1);
  }
  settle(slots);
}

export function removeRawListener(slots: ListenerSlots, listener: RawMessageListener): void {
  const more = slots.moreListeners;
  const index = more === null ? -1 : more.raw.lastIndexOf(listener);
  if (more !== null && index >= 0) more.raw = without(more.raw, index);
  else if (slots.onRawMessage === listener) {
    slots.onRawMessage = more?.raw[0] ?? null;
    if (more !== null && more.raw.length > 0) more.raw = more.raw.slice(1);
  }
  settle(slots);
}

export function clearMessageListeners(slots: ListenerSlots): void {
  slots.onMessage = null;
  if (slots.moreListeners !== null) slots.moreListeners.message = [];
  settle(slots);
}

export function clearRawListeners(slots: ListenerSlots): void {
  slots.onRawMessage = null;
  if (slots.moreListeners !== null) slots.moreListeners.raw = [];
  settle(slots);
}

/**
 * Deliver one message to every listener, in order: the path for more than one listener of a kind,
 * and for queued messages handed over when a listener is set. A throw stops the rest for this
 * message and propagates (the caller fails the connection); a returned promise's rejection goes to
 * `failed`. Listeners get `target` as `this`. `message` is the decoded form when the caller has it already.
 */
export function deliverToAll(
  slots: ListenerSlots,
  target: Connection,
  type: MessageType,
  data: Buffer,
  message: Message | null,
  failed: ErrorRoute,
): void {
  // Taken before any runs: changes made by a listener count from the next message.
  const firstRaw = slots.onRawMessage;
  const first = slots.onMessage;
  const moreRaw = slots.moreListeners?.raw;
  const moreMessage = slots.moreListeners?.message;
  if (firstRaw !== null) routeRejection(firstRaw.call(target, data, type), failed);
  if (moreRaw !== undefined) for (const raw of moreRaw) routeRejection(raw.call(target, data, type), failed);
  if (first === null) return;
  const decoded = message ?? toMessage(type, data);
  routeRejection(first.call(target, decoded), failed);
  if (moreMessage !== undefined)
    for (const listener of moreMessage) routeRejection(listener.call(target, decoded), failed);
}

function moreOf(slots: ListenerSlots): MoreListeners {
  slots.moreListeners ??= { message: [], raw: [] };
  return slots.moreListeners;
}

/** Back to the single-listener fast path once no second listener of either kind is left. */
function settle(slots: ListenerSlots): void {
  const more = slots.moreListeners;
  if (more !== null && more.message.length === 0 && more.raw.length === 0) slots.moreListeners = null;
}

function without<T>(list: readonly T[], index: number): readonly T[] {
  return [...list.slice(0, index), ...list.slice(index + 1)];
}
