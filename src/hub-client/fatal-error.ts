import { HubClientError } from './hub-client-error.js';
import { HUB_PROTOCOL } from './hub-client-options.js';

/** Errors that another attempt cannot fix: the client stops instead of retrying forever. */
export function fatalError(
  failure: unknown,
  code: number,
  reason: string,
  wasWelcomed: boolean,
): HubClientError | null {
  const status = (failure as { status?: unknown } | undefined)?.status;
  if (status === 401 || status === 403)
    return new HubClientError('unauthorized', `the server refused the connection (HTTP ${status})`, {
      cause: failure,
    });
  // fullduplex's WebSocket fails the handshake itself when no offered subprotocol was selected.
  if (status === 101)
    return new HubClientError('protocol-mismatch', `the server did not select ${HUB_PROTOCOL}`, {
      cause: failure,
    });
  if (code === 1008 && !wasWelcomed)
    return new HubClientError(
      'unauthorized',
      `the server closed the connection with 1008 (policy violation)${reason ? `: ${reason}` : ''}`,
    );
  return null;
}
