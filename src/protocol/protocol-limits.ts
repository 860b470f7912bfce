import type { MaskFunction } from './mask.js';
import type { MaskSource } from './mask-source.js';
import {
  checkLimit,
  compressedFrameBound,
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  type ProtocolOptions,
} from './protocol-options.js';

/**
 * A core's limits and framing choices, checked and with defaults applied: one frozen object shared
 * by every core built with the same values (every connection of a server), instead of eight fields
 * in each. `maxFragments` is Infinity by default, which as a field of its own would cost every
 * connection a boxed number.
 */
export interface ProtocolLimits {
  readonly isServer: boolean;
  readonly maxPayload: number;
  readonly maxFragments: number;
  readonly maxFrameSize: number;
  /** The most a frame of a compressed message may declare (compressedFrameBound of maxFrameSize). */
  readonly maxCompressedFrameSize: number;
  /** Outgoing frames are split at this payload size; 0 = never. */
  readonly fragmentSize: number;
  readonly maskSource: MaskSource | null;
  readonly applyMask: MaskFunction;
  /** ProtocolOptions.leaveBinaryMasked. */
  readonly leaveBinaryMasked: boolean;
}

/** The limits made last, newest first: a few distinct sets per process in practice. */
const recent: ProtocolLimits[] = [];
const RECENT_LIMIT = 8;

/** The shared limits for `options` (validated here: a bad value throws WebSocketError). */
export function protocolLimits(options: ProtocolOptions, defaultMask: MaskFunction): ProtocolLimits {
  const isServer = options.role === 'server';
  const maxPayload = checkLimit('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD, 0);
  const maxFragments = checkLimit('maxFragments', options.maxFragments, DEFAULT_MAX_FRAGMENTS, 1);
  const maxFrameSize = checkLimit('maxFrameSize', options.maxFrameSize, maxPayload, 0);
  const fragmentSize = checkLimit('fragmentSize', options.fragmentSize, 0, 0);
  const maskSource = options.maskSource ?? null;
  const applyMask = options.applyMask ?? defaultMask;
  const leaveBinaryMasked = options.leaveBinaryMasked === true;
  for (let index = 0; index < recent.length; index++) {
    const limits = recent[index] as ProtocolLimits;
    if (
      limits.isServer === isServer &&
      limits.maxPayload === maxPayload &&
      limits.maxFragments === maxFragments &&
      limits.maxFrameSize === maxFrameSize &&
      limits.fragmentSize === fragmentSize &&
      limits.maskSource === maskSource &&
      limits.applyMask === applyMask &&
      limits.leaveBinaryMasked === leaveBinaryMasked
    ) {
      if (index > 0) {
        recent.splice(index, 1);
        recent.unshift(limits);
      }
      return limits;
    }
  }
  const limits: ProtocolLimits = Object.freeze({
    isServer,
    maxPayload,
    maxFragments,
    maxFrameSize,
    maxCompressedFrameSize: compressedFrameBound(maxFrameSize),
    fragmentSize,
    maskSource,
    applyMask,
    leaveBinaryMasked,
  });
  recent.unshift(limits);
  if (recent.length > RECENT_LIMIT) recent.pop();
  return limits;
}
