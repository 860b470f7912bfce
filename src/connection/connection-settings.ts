import type { BufferBudget } from './buffer-budget.js';
import { type Clock, timerClock } from './clock.js';
import type { ConnectionObserver } from './connection-observer.js';
import {
  type BackpressurePolicy,
  type ConnectionOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  type HeartbeatOptions,
} from './connection-options.js';

/** Messages this small are not worth deflating by default (the frame would barely shrink). */
const COMPRESS_THRESHOLD = 1024;

/**
 * What every connection of a server (or of one options object) shares, defaults applied: one frozen
 * object the connections point to instead of a dozen fields copied into each.
 */
export interface ConnectionSettings {
  readonly role: 'client' | 'server';
  readonly clock: Clock;
  readonly maxBufferedBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly closeTimeout: number;
  readonly autoPong: boolean;
  readonly backpressure: BackpressurePolicy;
  readonly backpressureCloseCode: number;
  readonly budget: BufferBudget | null;
  readonly heartbeat: HeartbeatOptions | null;
  /** 0 = never. */
  readonly idleTimeout: number;
  readonly fragmentSize: number;
  readonly compressThreshold: number;
  readonly observer: ConnectionObserver | null;
}

/** By options object (filled on a miss only): values that changed since are not seen, as before. */
const byOptions = new WeakMap<ConnectionOptions, ConnectionSettings>();
/**
 * The settings made last, newest first: a server spreads its merged options into a new object per
 * upgrade (adding head, request, protocol), so the values, not the object, identify its settings.
 */
const recent: ConnectionSettings[] = [];
const RECENT_LIMIT = 8;

function derive(options: ConnectionOptions): ConnectionSettings {
  const heartbeat = options.heartbeat;
  return Object.freeze({
    role: options.role,
    clock: options.clock ?? timerClock,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
    maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    closeTimeout: options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
    autoPong: options.autoPong ?? true,
    backpressure: options.backpressure ?? 'wait',
    backpressureCloseCode: options.backpressureCloseCode ?? 1013,
    budget: options.budget ?? null,
    // A copy: the caller's object may change later, the settings must not.
    heartbeat: heartbeat
      ? Object.freeze({ pingInterval: heartbeat.pingInterval, pongTimeout: heartbeat.pongTimeout })
      : null,
    idleTimeout: options.idleTimeout ?? 0,
    fragmentSize: options.fragmentSize ?? 0,
    compressThreshold: options.extension?.threshold ?? COMPRESS_THRESHOLD,
    observer: options.observer ?? null,
  });
}

/** Whether `settings` is what `options` asks for (defaults applied), without building an object. */
function matches(settings: ConnectionSettings, options: ConnectionOptions): boolean {
  const heartbeat = options.heartbeat;
  return (
    settings.role === options.role &&
    settings.clock === (options.clock ?? timerClock) &&
    settings.maxBufferedBytes === (options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES) &&
    settings.maxQueuedMessages === (options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES) &&
    settings.maxQueuedBytes === (options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES) &&
    settings.closeTimeout === (options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT) &&
    settings.autoPong === (options.autoPong ?? true) &&
    settings.backpressure === (options.backpressure ?? 'wait') &&
    settings.backpressureCloseCode === (options.backpressureCloseCode ?? 1013) &&
    settings.budget === (options.budget ?? null) &&
    (heartbeat
      ? settings.heartbeat?.pingInterval === heartbeat.pingInterval &&
        settings.heartbeat.pongTimeout === heartbeat.pongTimeout
      : settings.heartbeat === null) &&
    settings.idleTimeout === (options.idleTimeout ?? 0) &&
    settings.fragmentSize === (options.fragmentSize ?? 0) &&
    settings.compressThreshold === (options.extension?.threshold ?? COMPRESS_THRESHOLD) &&
    settings.observer === (options.observer ?? null)
  );
}

/**
 * The shared settings for `options`: the same frozen object for every connection built with the
 * same values. A hit costs a few comparisons and no allocation.
 */
export function connectionSettings(options: ConnectionOptions): ConnectionSettings {
  const cached = byOptions.get(options);
  if (cached !== undefined) return cached;
  for (let index = 0; index < recent.length; index++) {
    const candidate = recent[index] as ConnectionSettings;
    if (matches(candidate, options)) {
      if (index > 0) {
        recent.splice(index, 1);
        recent.unshift(candidate);
      }
      return candidate;
    }
  }
  const settings = derive(options);
  recent.unshift(settings);
  if (recent.length > RECENT_LIMIT) recent.pop();
  // Only on a miss: a per-upgrade options object would otherwise cost a WeakMap entry per connection.
  byOptions.set(options, settings);
  return settings;
}
