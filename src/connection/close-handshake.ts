import { ConnectionClosedError } from '../errors.js';
import type { CloseInfo } from './message.js';

/**
 * The close handshake's state (RFC 6455 section 7) and what it tells readers and waiters. An open
 * connection points to the shared, frozen OPEN_CLOSE_STATE; its own object is made when closing
 * starts (or `closed` is first asked for), so an idle connection holds none of these fields.
 */
export class CloseHandshake {
  /** The peer's Close arrived (RFC 6455 7.1.5: its code and reason are the connection's). */
  received = false;
  /** The peer's Close came first: it, not we, started the close handshake. */
  remoteFirst = false;
  code = 1006;
  reason = '';
  /** We failed the connection (protocol error, policy, a listener threw): our code, 0 if not. */
  failureCode = 0;
  failureReason = '';
  /** Why the connection ended without a clean close (reported with 1006). */
  abnormalReason = '';
  /** What our own Close carried: reported while the outcome is still unknown. */
  sentCode = 1005;
  sentReason = '';
  unsentMessages = 0;
  /** Bounds the handshake and then the TCP close (closeTimeout). */
  timer: unknown = null;
  /** Set once closed: what `closed` resolves with. */
  info: CloseInfo | null = null;
  promise: Promise<CloseInfo> | null = null;
  resolve: ((info: CloseInfo) => void) | null = null;

  get failed(): boolean {
    return this.failureCode !== 0;
  }

  fail(code: number, reason: string): void {
    this.failureCode = code;
    this.failureReason = reason;
  }

  /** Keep the first reason given: later ones are consequences of it. */
  noteAbnormal(reason: string): void {
    if (!this.abnormalReason) this.abnormalReason = reason;
  }

  /** The outcome as known now (`closeSent`: our Close went out). */
  currentInfo(closeSent: boolean): CloseInfo {
    const unsentMessages = this.unsentMessages;
    if (this.received) return { code: this.code, reason: this.reason, wasClean: closeSent, unsentMessages };
    if (this.failureCode !== 0)
      return { code: this.failureCode, reason: this.failureReason, wasClean: false, unsentMessages };
    return { code: 1006, reason: this.abnormalReason, wasClean: false, unsentMessages };
  }

  /** The error pending and later operations get. */
  closedError(closeSent: boolean): ConnectionClosedError {
    let info = this.info ?? this.currentInfo(closeSent);
    if (this.info === null && info.code === 1006 && closeSent) {
      // Closing at our request, before the outcome is known: report what we sent.
      info = { ...info, code: this.sentCode, reason: this.sentReason };
    }
    const detail = info.reason ? ` (${info.reason})` : '';
    const wasClean = this.received && this.failureCode === 0;
    return new ConnectionClosedError(`connection closed: ${info.code}${detail}`, info.code, info.reason, {
      wasClean,
    });
  }

  /** Resolves once closed; never rejects. */
  closed(): Promise<CloseInfo> {
    if (this.promise === null) {
      const info = this.info;
      this.promise =
        info !== null
          ? Promise.resolve(info)
          : new Promise((resolve) => {
              this.resolve = resolve;
            });
    }
    return this.promise;
  }
}

/** The state every open connection shares until it starts closing. Frozen: a write to it is a bug and throws. */
export const OPEN_CLOSE_STATE: CloseHandshake = Object.freeze(new CloseHandshake());
