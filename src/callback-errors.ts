/**
 * Where an error from application code goes. Every hook the library calls (onConnection, authorize,
 * origins, onMessage, onPing, onError...) may throw or return a promise that rejects; either way the
 * error is routed here, never left to end the process. One mechanism for every hook: call it inside
 * try/catch, and pass what it returned to `routeRejection`.
 */

/** Receives an error a callback threw or rejected with. */
export type ErrorRoute = (error: unknown) => void;

/** True for a value with a callable `then`: what an async callback returns. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Observe what a callback returned: a thenable's rejection goes to `route` (its value is ignored).
 * A plain return (undefined, the common case) costs one comparison, so hot paths call it every time.
 */
export function routeRejection(result: unknown, route: ErrorRoute): void {
  if (result !== undefined && isThenable(result)) result.then(undefined, route);
}

/**
 * Hand `error` to an onError hook. Without one, or when the hook itself throws or rejects, the error
 * is reported once (a process warning) and never rethrown, so no callback can take the process down
 * and an onError that fails is never called again for its own error.
 */
export function deliverError(
  hook: ((error: never) => unknown) | null | undefined,
  error: unknown,
  source: string,
): void {
  if (hook === null || hook === undefined) {
    reportUnhandled(error, source);
    return;
  }
  let result: unknown;
  try {
    result = (hook as (error: unknown) => unknown)(error);
  } catch (second) {
    reportUnhandled(second, 'onError');
    return;
  }
  routeRejection(result, onErrorRejected);
}

function onErrorRejected(error: unknown): void {
  reportUnhandled(error, 'onError');
}

/**
 * Report an error no handler took: a warning on the process (`process.on('warning')` sees it; Node
 * prints it to stderr), or the console where there is no `process`.
 */
export function reportUnhandled(error: unknown, source: string): void {
  const text = `fullduplex: ${source} failed and no onError handler took the error: ${describe(error)}`;
  const host = (globalThis as { process?: { emitWarning?: (warning: string, options: object) => void } })
    .process;
  if (typeof host?.emitWarning === 'function') {
    host.emitWarning(text, { type: 'UnhandledCallbackError', code: 'FULLDUPLEX_UNHANDLED_CALLBACK_ERROR' });
  } else {
    console.error(text);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'an error that cannot be printed';
  }
}
