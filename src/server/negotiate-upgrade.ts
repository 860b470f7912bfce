// The server's decisions about one upgrade request, in the order that costs the least for a refusal:
// route, RFC 6455 validity and origin, the application's authorize hook, then subprotocol and
// extensions. No I/O here: the caller writes the response it returns.
import { isThenable } from '../callback-errors.js';
import { HandshakeError } from '../errors.js';
import type { PerMessageExtension } from '../protocol/extensions/extension.js';
import { buildAcceptResponse } from '../protocol/handshake/build-accept-response.js';
import { buildErrorResponse } from '../protocol/handshake/build-error-response.js';
import {
  type UpgradeRequestLike,
  validateUpgradeRequest,
} from '../protocol/handshake/validate-upgrade-request.js';
import type { Sha1 } from '../protocol/ports.js';
import { negotiateServerExtensions } from './negotiate-extensions.js';
import type { AuthorizeResult, HandshakeRequest, WebSocketServerOptions } from './server-options.js';

export type UpgradeDecision =
  | {
      readonly kind: 'accept';
      /** The 101 response, ready to write. */
      readonly response: string;
      readonly protocol: string;
      readonly extensions: string;
      readonly extension: PerMessageExtension | null;
    }
  | { readonly kind: 'refuse'; readonly response: string; readonly error: HandshakeError }
  /** The path is not this server's (a sibling attached to the same http server may take it). */
  | { readonly kind: 'not-mine'; readonly response: string; readonly error: HandshakeError };

/** The request as the validator needs it plus what the hooks see. */
export type NegotiableRequest = UpgradeRequestLike & HandshakeRequest;

/**
 * Decides one upgrade. Never throws or rejects: a hook that throws becomes a 500 refusal (and is
 * passed to `report`), so a server built on this cannot crash on a request.
 */
export async function negotiateUpgrade(
  request: NegotiableRequest,
  options: WebSocketServerOptions,
  sha1: Sha1,
  report: (error: Error) => void,
): Promise<UpgradeDecision> {
  try {
    let matches = pathMatches(request, options.path);
    if (typeof matches !== 'boolean') matches = await matches;
    if (!matches) {
      const error = new HandshakeError(
        `no WebSocket endpoint at ${pathnameOf(request.url) ?? request.url}`,
        404,
      );
      return { kind: 'not-mine', response: errorResponse(error), error };
    }
    const origins = options.origins;
    const valid = validateUpgradeRequest(
      request,
      origins === undefined || typeof origins === 'function' ? {} : { verifyOrigin: originList(origins) },
    );
    // RFC 6455 10.2: a function decides after the request is known valid; it may be async.
    if (typeof origins === 'function') {
      let allowed = origins(valid.origin, request);
      if (isThenable(allowed)) allowed = await allowed;
      if (!allowed) throw new HandshakeError('origin not allowed', 403);
    }
    // Without the hook, no promise to await (a microtask per upgrade).
    const refusal =
      options.authorize === undefined ? undefined : await runAuthorize(options, request, report);
    if (refusal !== undefined) return refuse(refusal.error, refusal.body);
    let protocol = chooseSubprotocol(options.subprotocols, valid.protocols, request);
    if (typeof protocol !== 'string') protocol = await protocol;
    const negotiated = negotiateServerExtensions(valid.extensions, options.perMessageDeflate);
    let response: string;
    try {
      response = buildAcceptResponse(
        {
          key: valid.key,
          protocol: protocol === '' ? undefined : protocol,
          extensions: negotiated.header,
        },
        sha1,
      );
    } catch (error) {
      negotiated.extension?.dispose();
      throw error;
    }
    return {
      kind: 'accept',
      response,
      protocol,
      extensions: negotiated.header,
      extension: negotiated.extension,
    };
  } catch (error) {
    if (error instanceof HandshakeError) return refuse(error);
    report(error as Error);
    return refuse(
      new HandshakeError('the server failed while accepting the WebSocket', 500, {}, { cause: error }),
    );
  }
}

function refuse(error: HandshakeError, body?: string): UpgradeDecision {
  return { kind: 'refuse', response: errorResponse(error, body), error };
}

/**
 * The refusal bytes for any HandshakeError: its message (plus a newline, for people using curl) is
 * the body unless one is given. A status outside 4xx/5xx (a hook's mistake) becomes 500.
 */
export function errorResponse(error: HandshakeError, body = `${error.message}\n`): string {
  const status = error.status >= 400 && error.status <= 599 ? error.status : 500;
  try {
    return buildErrorResponse(status, body, error.headers);
  } catch {
    // Headers a hook supplied that cannot be written (CR/LF, reserved names): drop them, keep the status.
    return buildErrorResponse(status, body);
  }
}

export function pathnameOf(url: string): string | undefined {
  if (url.startsWith('/')) {
    const query = url.indexOf('?');
    return query === -1 ? url : url.slice(0, query);
  }
  try {
    // absolute-form (RFC 9112 3.2.2), as sent through some proxies.
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

// The hooks below may be async: a promise they return is awaited by negotiateUpgrade, so its
// rejection lands in its catch (a 500) instead of being left unhandled; a plain value costs no microtask.

function pathMatches(
  request: NegotiableRequest,
  path: WebSocketServerOptions['path'],
): boolean | PromiseLike<boolean> {
  if (path === undefined) return true;
  const pathname = pathnameOf(request.url);
  if (pathname === undefined) return false;
  if (typeof path === 'string') return pathname === path;
  const matches = path(pathname, request);
  return isThenable(matches) ? matches : Boolean(matches);
}

function originList(origins: readonly string[]): (origin: string | undefined) => boolean {
  // RFC 6455 10.2 / RFC 6454 6.2: origins are compared as ASCII-lower-cased serializations.
  const allowed = new Set(origins.map((origin) => origin.toLowerCase()));
  return (origin) => origin === undefined || allowed.has(origin.toLowerCase());
}

async function runAuthorize(
  options: WebSocketServerOptions,
  request: HandshakeRequest,
  report: (error: Error) => void,
): Promise<{ error: HandshakeError; body?: string } | undefined> {
  if (options.authorize === undefined) return undefined;
  let result: AuthorizeResult;
  try {
    result = (await options.authorize(request)) ?? undefined;
  } catch (error) {
    if (error instanceof HandshakeError) return { error };
    report(error as Error);
    return { error: new HandshakeError('authorization failed', 500, {}, { cause: error }) };
  }
  if (result === true || result === undefined) return undefined;
  if (result === false) return { error: new HandshakeError('not authorized', 401) };
  const error = new HandshakeError(result.body ?? 'refused', result.status, { ...result.headers });
  // An empty body makes buildErrorResponse send the reason phrase.
  return { error, body: result.body ?? '' };
}

function chooseSubprotocol(
  subprotocols: WebSocketServerOptions['subprotocols'],
  offered: readonly string[],
  request: HandshakeRequest,
): string | Promise<string> {
  if (subprotocols === undefined || offered.length === 0) return '';
  if (typeof subprotocols !== 'function') {
    return subprotocols.find((protocol) => offered.includes(protocol)) ?? '';
  }
  const chosen = subprotocols(offered, request);
  if (isThenable(chosen)) return Promise.resolve(chosen).then((value) => offeredChoice(value, offered));
  return offeredChoice(chosen, offered);
}

function offeredChoice(chosen: string | undefined, offered: readonly string[]): string {
  if (chosen === undefined || chosen === '') return '';
  // RFC 6455 4.2.2 step 5.5: the value MUST be one the client offered.
  if (!offered.includes(chosen)) {
    throw new Error(`subprotocols() chose ${JSON.stringify(chosen)}, which the client did not offer`);
  }
  return chosen;
}
