/** How the client retries: exponential backoff with full jitter. Times in milliseconds. */
export interface ReconnectOptions {
  /** Ceiling of the first retry's delay (default 500). */
  readonly initialDelay?: number;
  /** Largest delay between attempts (default 30000). */
  readonly maxDelay?: number;
  /** Growth of the ceiling per failed attempt (default 2). */
  readonly factor?: number;
  /** Failed attempts in a row before giving up (default Infinity: never give up). */
  readonly maxAttempts?: number;
}

export type ResolvedReconnectOptions = Required<ReconnectOptions>;

export function resolveReconnectOptions(options: ReconnectOptions = {}): ResolvedReconnectOptions {
  const resolved = {
    initialDelay: options.initialDelay ?? 500,
    maxDelay: options.maxDelay ?? 30_000,
    factor: options.factor ?? 2,
    maxAttempts: options.maxAttempts ?? Number.POSITIVE_INFINITY,
  };
  if (!(resolved.initialDelay >= 0)) throw new RangeError('reconnect.initialDelay must be >= 0');
  if (!(resolved.maxDelay >= resolved.initialDelay))
    throw new RangeError('reconnect.maxDelay must be >= reconnect.initialDelay');
  if (!(resolved.factor >= 1)) throw new RangeError('reconnect.factor must be >= 1');
  if (!(resolved.maxAttempts >= 1)) throw new RangeError('reconnect.maxAttempts must be >= 1');
  return resolved;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): uniform in [0, ceiling) with
 * ceiling = min(maxDelay, initialDelay × factor^(attempt-1)). Full jitter spreads many clients that
 * lost the same server over the whole window instead of bunching them at its edge.
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedReconnectOptions,
  random: () => number,
): number {
  const ceiling = Math.min(
    options.maxDelay,
    options.initialDelay * options.factor ** Math.max(0, attempt - 1),
  );
  return Math.floor(random() * ceiling);
}
