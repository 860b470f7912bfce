// CloseEvent (WHATWG WebSockets, "The CloseEvent interface"): Node 20 has Event and MessageEvent as
// globals but not CloseEvent, so the WebSocket class brings its own, shaped like the browser's.
import { shapeInterface } from './interface-shape.js';
import { toUnsignedShort, toUSVString } from './web-idl.js';

export interface CloseEventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** The event of a WebSocket's `close`: whether the close was clean, its code and reason. */
export class CloseEvent extends Event {
  readonly #wasClean: boolean;
  readonly #code: number;
  readonly #reason: string;

  constructor(type: string, init: CloseEventInit = {}) {
    // biome-ignore lint/complexity/noArguments: Web IDL tells a missing argument from undefined.
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'CloseEvent': 1 argument required, but only 0 present.");
    }
    super(type, init);
    this.#wasClean = Boolean(init.wasClean);
    this.#code = init.code === undefined ? 0 : toUnsignedShort(init.code);
    this.#reason = init.reason === undefined ? '' : toUSVString(init.reason);
  }

  /** True when a Close frame went each way and the transport then closed (RFC 6455 7.1.4, "cleanly"). */
  get wasClean(): boolean {
    return this.#wasClean;
  }

  /** The WebSocket connection close code (RFC 6455 7.1.5): 1005 for a Close without one, 1006 for none. */
  get code(): number {
    return this.#code;
  }

  /** The WebSocket connection close reason (RFC 6455 7.1.6). */
  get reason(): string {
    return this.#reason;
  }

  static {
    shapeInterface(CloseEvent, { members: ['wasClean', 'code', 'reason'], length: 1, tag: 'CloseEvent' });
  }
}
