import type { HeartbeatOptions } from './connection-options.js';
import type { ConnectionSettings } from './connection-settings.js';
import { type Deadline, DeadlineScheduler } from './deadline-scheduler.js';

/** What the heartbeat needs from its connection (the connection's engine, connection-engine.ts: no closures). */
export interface HeartbeatHost {
  /** 'open', 'closing' or 'closed'. */
  readonly readyState: string;
  /** True while the connection does not read its transport (the pong may sit unread). */
  readonly readingPaused: boolean;
  /** Bytes the transport holds that the OS has not taken. */
  readonly pendingWriteBytes: number;
  /** Bytes handed to the OS so far, when the transport counts them (else 0). */
  readonly flushedBytes: number;
  /** Queue a heartbeat ping. */
  sendHeartbeatPing(): void;
  /** The peer is gone: terminate with this reason (1006). */
  expire(reason: string): void;
  /** No data message either way for idleTimeout: close with 1001. */
  closeIdle(): void;
}

/** No deadline (a time field's "never"): Infinity would make every connection box its times as heap numbers. */
const NEVER = -1;

/**
 * The clock's now as a whole millisecond, rounded up: deadlines computed from it are never early, and
 * integer times stay small integers (unboxed) in every connection's fields, where the fractional
 * times of performance.now() would cost a 16-byte heap number each.
 */
function wholeNow(settings: ConnectionSettings): number {
  return Math.ceil(settings.clock.now());
}

/**
 * A connection's liveness: pings every `pingInterval`, a pong (or any frame) deadline of
 * `pongTimeout`, and the idle timeout. It holds numbers only; one DeadlineScheduler per clock drives
 * every connection's deadlines (no timer per connection). Created only when a heartbeat or an idle
 * timeout is configured.
 */
export class Heartbeat implements Deadline {
  due = 0;
  slot = -1;
  order = 0;
  readonly #host: HeartbeatHost;
  /** The connection's shared settings: clock, heartbeat and idle timeout are read from there. */
  readonly #settings: ConnectionSettings;
  /** Whole ms, or NEVER. */
  #nextPing = NEVER;
  #pongDeadline = NEVER;
  /** 0 when the idle timeout is off or has fired. */
  #lastActivity = 0;
  #idle: boolean;
  /** Transport drains so far: write progress for transports without `flushedBytes`. */
  #drains = 0;
  /** Write progress when the pong deadline was (re)armed: a paused connection is judged by it. */
  #progressAtPing = 0;
  /** Whether the transport then held bytes the OS had not taken (so progress was due). */
  #waitingAtPing = false;

  constructor(host: HeartbeatHost, settings: ConnectionSettings) {
    this.#host = host;
    this.#settings = settings;
    this.#idle = settings.idleTimeout > 0;
    const now = wholeNow(settings);
    if (settings.heartbeat) this.#nextPing = now + settings.heartbeat.pingInterval;
    this.#lastActivity = now;
    this.#reschedule();
  }

  /** The clock's shared scheduler, looked up rather than kept (a field in every connection). */
  get #scheduler(): DeadlineScheduler {
    return DeadlineScheduler.for(this.#settings.clock);
  }

  /** Any frame proves the peer alive (issue 5: "no pong (or any frame)"). Lazy: no rescheduling here. */
  frameReceived(): void {
    this.#pongDeadline = NEVER;
  }

  /** A data message went either way: the idle deadline moves (checked lazily when it comes due). */
  activity(): void {
    if (this.#idle) this.#lastActivity = wholeNow(this.#settings);
  }

  drained(): void {
    this.#drains++;
  }

  stop(): void {
    this.#scheduler.remove(this);
  }

  expire(now: number): void {
    const host = this.#host;
    const state = host.readyState;
    if (state === 'closed') return;
    const options = this.#settings.heartbeat;
    if (options !== null && this.#pongDeadline !== NEVER && this.#pongDeadline <= now) {
      this.#pongDeadline = NEVER;
      if (!this.#pongOverdue(options, now)) return;
    }
    if (state !== 'open') {
      // Pings and the idle timeout stop once closing; a pong deadline still stands.
      this.#nextPing = NEVER;
      this.#idle = false;
    }
    if (options !== null && this.#nextPing !== NEVER && this.#nextPing <= now) {
      const whole = Math.ceil(now);
      host.sendHeartbeatPing();
      if (this.#pongDeadline === NEVER) {
        this.#markProgress();
        this.#pongDeadline = whole + options.pongTimeout;
      }
      this.#nextPing = whole + options.pingInterval;
    }
    if (this.#idle && this.#lastActivity + this.#settings.idleTimeout <= now) {
      this.#idle = false;
      host.closeIdle();
    }
    this.#reschedule();
  }

  /** The pong deadline passed: false when the connection was terminated. */
  #pongOverdue(options: HeartbeatOptions, now: number): boolean {
    const host = this.#host;
    if (host.readingPaused) {
      // We stopped reading, so the pong may be sitting unread in the socket: judge by the write side.
      // The transport held bytes at the ping and the OS took none of them since: the peer reads
      // nothing at all (frozen, or never reading) and is gone. Bytes taken mean it reads, slowly;
      // nothing waiting means there was nothing to judge by: look again after another deadline.
      if (!this.#waitingAtPing || this.#writeProgress() !== this.#progressAtPing) {
        this.#markProgress();
        this.#pongDeadline = Math.ceil(now) + options.pongTimeout;
        return true;
      }
      host.expire(`peer stopped reading: no bytes written and no pong within ${options.pongTimeout} ms`);
      return false;
    }
    host.expire(`pong not received within ${options.pongTimeout} ms`);
    return false;
  }

  #reschedule(): void {
    let due = earlier(this.#nextPing, this.#pongDeadline);
    if (this.#idle) due = earlier(due, this.#lastActivity + this.#settings.idleTimeout);
    if (due === NEVER) this.#scheduler.remove(this);
    else this.#scheduler.set(this, due);
  }

  #markProgress(): void {
    this.#progressAtPing = this.#writeProgress();
    this.#waitingAtPing = this.#host.pendingWriteBytes > 0;
  }

  /** A number that changes whenever the transport hands bytes to the OS (or drains). */
  #writeProgress(): number {
    return this.#host.flushedBytes + this.#drains;
  }
}

/** The earlier of two deadlines, either of which may be NEVER. */
function earlier(a: number, b: number): number {
  if (a === NEVER) return b;
  if (b === NEVER) return a;
  return Math.min(a, b);
}
