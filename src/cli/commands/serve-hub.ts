import { createHub, type Hub } from '../../hub/hub.js';
import { HubEndpoint } from '../../hub/hub-endpoint.js';
import type { WebSocketServerOptions } from '../../server/server-options.js';
import { integerFlag, optionalStringFlag, type ParsedFlags, UsageError } from '../flags.js';
import type { Logger } from '../serve/log.js';
import { openRedisBroker } from './open-redis-broker.js';

/**
 * `serve --mode hub`: a hub on the in-process broker, or on Redis with `--redis`, and the server
 * options that route to it.
 */
export interface ServedHub {
  readonly hub: Hub;
  readonly serverOptions: Pick<
    WebSocketServerOptions,
    'subprotocols' | 'authorize' | 'onConnection' | 'hubFigures'
  >;
  close(): Promise<void>;
}

export async function serveHub(flags: ParsedFlags, logger: Logger): Promise<ServedHub> {
  const redisUrl = optionalStringFlag(flags, 'redis');
  if (integerFlag(flags, 'workers') > 1 && redisUrl === undefined) {
    throw new UsageError('--workers N > 1 needs --redis: workers share topics only through Redis');
  }
  const presenceTtlMs = integerFlag(flags, 'presence-ttl') * 1000;
  const redis = redisUrl === undefined ? undefined : await openRedisBroker(redisUrl, presenceTtlMs);
  const rate = integerFlag(flags, 'publish-rate');
  const hub = createHub({
    ...(redis ? { broker: redis.broker } : {}),
    // Hub-protocol clients (browsers cannot see protocol pings) get the application-level ping as often.
    pingInterval: integerFlag(flags, 'ping-interval'),
    topic: {
      historySize: integerFlag(flags, 'history'),
      historyTtlMs: integerFlag(flags, 'history-ttl') * 1000,
      presence: flags.presence === true,
    },
    limits:
      rate > 0
        ? { publishRate: rate, publishBurst: rate }
        : { publishRate: Infinity, publishBurst: Infinity },
    onError: (error) => logger.log('error', 'hub.error', `hub: ${error.message}`),
  });
  // Operators see the outage and the recovery as they happen (docs/deployment.md).
  hub.onStateChange((state, error) => {
    if (state === 'down')
      logger.log('error', 'hub.broker.down', `hub: ${error?.message ?? 'Redis is unreachable'}`);
    else logger.log('warn', 'hub.broker.up', 'hub: Redis is back; topics resubscribed');
  });
  const endpoint = new HubEndpoint(hub);
  return {
    hub,
    serverOptions: endpoint.serverOptions(),
    async close() {
      endpoint.close();
      await hub.close();
      await redis?.close();
    },
  };
}
