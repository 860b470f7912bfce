// `serve`'s log: one line per notable event on stderr, plain text on a terminal and JSON lines
// otherwise (for log collectors). Server events come from the diagnostics channels
// (docs/observability.md), subscribed only for the levels that show them, so at the default level
// nothing is done per message or per connection.
import diagnostics from 'node:diagnostics_channel';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'text' | 'json';

type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

export class Logger {
  readonly #rank: number;
  readonly #format: LogFormat;
  readonly #write: (line: string) => void;

  constructor(level: LogLevel, format: LogFormat, write: (line: string) => void) {
    this.#rank = LOG_LEVELS.indexOf(level);
    this.#format = format;
    this.#write = write;
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.#rank;
  }

  /** `event` names what happened (stable, for filters); `message` says it for a person. */
  log(level: LogLevel, event: string, message: string, fields: Fields = {}): void {
    if (!this.enabled(level)) return;
    const time = new Date().toISOString();
    if (this.#format === 'json') {
      this.#write(`${JSON.stringify({ time, level, event, message, ...fields })}\n`);
      return;
    }
    let line = `${time} ${level.padEnd(5)} ${message}`;
    for (const [name, value] of Object.entries(fields))
      if (value !== undefined)
        line += ` ${name}=${typeof value === 'string' ? JSON.stringify(value) : value}`;
    this.#write(`${line}\n`);
  }
}

/** `--log-format auto`: text on a terminal, JSON lines otherwise. */
export function logFormat(flag: string, stream: { isTTY?: boolean }): LogFormat {
  if (flag === 'text' || flag === 'json') return flag;
  return stream.isTTY === true ? 'text' : 'json';
}

type Event = Record<string, unknown>;

const address = (event: Event): string | undefined =>
  (event.remoteAddress as string | undefined) ??
  (event.connection as { remoteAddress?: string } | undefined)?.remoteAddress;

/**
 * Logs the server events at the logger's level: refusals (warn for the limits and timeouts, info for
 * requests the server turned down), memory-budget shedding (warn), heartbeat timeouts and protocol
 * errors (info), drops and each connection's open and close (debug). Returns the unsubscriber.
 */
export function logServerEvents(logger: Logger): () => void {
  const subscriptions: Array<[string, (message: unknown) => void]> = [];
  const on = (level: LogLevel, channel: string, listener: (event: Event) => void): void => {
    if (!logger.enabled(level)) return;
    const wrapped = (message: unknown): void => listener(message as Event);
    diagnostics.subscribe(channel, wrapped);
    subscriptions.push([channel, wrapped]);
  };
  on('info', 'fullduplex:handshake:refused', (event) => {
    const category = event.category as string;
    const level = category === 'rejected' ? 'info' : 'warn';
    logger.log(level, 'handshake.refused', `handshake refused: ${event.status} ${event.reason}`, {
      status: event.status as number,
      reason: category,
      remoteAddress: address(event),
    });
  });
  on('warn', 'fullduplex:budget:shed', (event) => {
    logger.log('warn', 'budget.shed', `connection closed to keep the memory budget (${event.cause})`, {
      code: event.code as number,
      cause: event.cause as string,
      budgetUsedBytes: event.budgetUsedBytes as number | undefined,
      budgetLimitBytes: event.budgetLimitBytes as number | undefined,
      remoteAddress: address(event),
    });
  });
  on('info', 'fullduplex:heartbeat:timeout', (event) => {
    logger.log('info', 'heartbeat.timeout', `connection dropped: ${event.reason}`, {
      remoteAddress: address(event),
    });
  });
  on('info', 'fullduplex:protocol:error', (event) => {
    logger.log('info', 'protocol.error', `protocol error, closed with ${event.code}: ${event.message}`, {
      code: event.code as number,
      remoteAddress: address(event),
    });
  });
  on('debug', 'fullduplex:message:dropped', (event) => {
    logger.log('debug', 'message.dropped', `${event.messages} message(s) dropped (${event.policy})`, {
      policy: event.policy as string,
      messages: event.messages as number,
      bytes: event.bytes as number,
      remoteAddress: address(event),
    });
  });
  on('debug', 'fullduplex:connection:open', (event) => {
    logger.log('debug', 'connection.open', 'connection open', {
      remoteAddress: address(event),
      protocol: (event.protocol as string) || undefined,
    });
  });
  on('debug', 'fullduplex:connection:close', (event) => {
    logger.log('debug', 'connection.close', `connection closed: ${event.code} (${event.closedBy})`, {
      code: event.code as number,
      reason: (event.reason as string) || undefined,
      closedBy: event.closedBy as string,
      durationMs: typeof event.durationMs === 'number' ? Math.round(event.durationMs) : undefined,
      remoteAddress: address(event),
    });
  });
  return () => {
    for (const [channel, listener] of subscriptions) diagnostics.unsubscribe(channel, listener);
  };
}
