// A small process-wide pool of reset zlib contexts for the no-context-takeover case (RFC 7692 7.1.1).
// When a side resets its context after every message, nothing ties a context to a connection, so
// 50,000 connections can share a handful: a context is taken at a message's first byte and given back,
// reset, at its last. Processing is synchronous, so a whole message never holds one across a turn;
// only a fragmented message (streamed out, or arriving in several frames) keeps one until it ends.
import { ZlibContext, type ZlibContextKind } from './zlib-context.js';

// Idle contexts kept per configuration. Whole messages need one; more only serve fragmented messages
// that overlap, which then allocate and free their own beyond this.
const MAX_IDLE_PER_KEY = 4;

const idle = new Map<string, ZlibContext[]>();

function keyOf(kind: ZlibContextKind, windowBits: number, level: number, memLevel: number): string {
  return kind === 'inflate' ? `i${windowBits}` : `d${windowBits}.${level}.${memLevel}`;
}

/** A pooled context for one message; give it back with `releasePooledContext` with the same arguments. */
export function takePooledContext(
  kind: ZlibContextKind,
  windowBits: number,
  level: number,
  memLevel: number,
): ZlibContext {
  const stack = idle.get(keyOf(kind, windowBits, level, memLevel));
  return stack?.pop() ?? new ZlibContext(kind, windowBits, level, memLevel);
}

/** Resets `context` and keeps it for the next message, or frees it when the pool is full. */
export function releasePooledContext(
  context: ZlibContext,
  windowBits: number,
  level: number,
  memLevel: number,
): void {
  const key = keyOf(context.kind, windowBits, level, memLevel);
  let stack = idle.get(key);
  if (stack === undefined) {
    stack = [];
    idle.set(key, stack);
  }
  if (stack.length >= MAX_IDLE_PER_KEY) {
    context.close();
    return;
  }
  context.reset();
  stack.push(context);
}

/** How many idle contexts the pool holds (for tests and diagnostics). */
export function pooledContextCount(): number {
  let count = 0;
  for (const stack of idle.values()) count += stack.length;
  return count;
}

/** Frees every idle context (for tests and orderly shutdown). */
export function drainContextPool(): void {
  for (const stack of idle.values()) for (const context of stack) context.close();
  idle.clear();
}
