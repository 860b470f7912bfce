import { createHub, type Hub } from '../../hub/hub.js';
import { HubEndpoint } from '../../hub/hub-endpoint.js';
import type { WebSocketServerOptions } from '../../server/server-options.js';
import { integerFlag, optionalStringFlag, type ParsedFlags, UsageError } from '../flags.js';

/** `serve --mode hub`: a hub on the in-process broker, and the server options that route to it. */
export interface ServedHub {
  readonly hub: Hub;
  readonly serverOptions: Pick<WebSocketServerOptions, 'subprotocols' | 'authorize' | 'onConnection'>;
  close(): Promise<void>;
}

export function serveHub(flags: ParsedFlags): ServedHub {
  if (optionalStringFlag(flags, 'redis') !== undefined) {
    throw new UsageError('--redis is not available in this build: the hub runs on its in-process broker');
  }
  if (integerFlag(flags, 'workers') > 1) throw new UsageError('--workers N > 1 needs --redis');
  const rate = integerFlag(flags, 'publish-rate');
  const hub = createHub({
    topic: {
      historySize: integerFlag(flags, 'history'),
      historyTtlMs: integerFlag(flags, 'history-ttl') * 1000,
    },
    limits:
      rate > 0
        ? { publishRate: rate, publishBurst: rate }
        : { publishRate: Infinity, publishBurst: Infinity },
    onError: (error) => console.error(`fullduplex: hub: ${error.message}`),
  });
  const endpoint = new HubEndpoint(hub);
  return {
    hub,
    serverOptions: endpoint.serverOptions(),
    async close() {
      endpoint.close();
      await hub.close();
    },
  };
}
