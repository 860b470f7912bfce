// What the scale harness asks of each generator process over IPC, and what it hears back. A generator
// holds its share of the connections for the whole run and grows it step by step.

export interface GeneratorSetup {
  /** This generator's number (0-based) and how many there are: it owns global indices g, g+G, ... */
  index: number;
  of: number;
  host: string;
  port: number;
  /** Loopback source addresses this generator binds in turn (its own, shared with no other generator). */
  localAddresses: string[];
  /** Handshakes pending at once. */
  concurrency: number;
  handshakeTimeoutMs: number;
  /**
   * Request path of the connection with global index i: '/' for every one, or hub topics
   * `/topics/<prefix><i % topics>` when `topics` > 0.
   */
  topics: number;
  topicPrefix: string;
}

export type ToScaleGenerator =
  | { type: 'setup'; setup: GeneratorSetup }
  /**
   * Open connections until this generator holds `connections` (its share of the step's total), or
   * until `until` (epoch ms) passes: then it answers with what it holds.
   */
  | { type: 'grow'; connections: number; until: number }
  /** Each of `sample` connections, spread over the set, sends one binary message; the echo is checked. */
  | { type: 'echo'; sample: number; timeoutMs: number }
  /** Per published message: how many connections got it, first and last arrival; then forget them. */
  | { type: 'deliveries' }
  /** Reset every connection (RST, no TIME_WAIT) and forget them; the process stays for the next phase. */
  | { type: 'drop' };

export interface Grown {
  held: number;
  added: number;
  /** Failed handshakes by reason ('ETIMEDOUT', 'EADDRNOTAVAIL', 'status 503', ...). */
  failures: Record<string, number>;
  seconds: number;
  /** This process's CPU time (user + system) while growing, µs. */
  cpuMicros: number;
}

export interface Echoed {
  sampled: number;
  matched: number;
  /** Why the others did not match (timeout, wrong bytes, closed). */
  problems: string[];
}

/** Arrivals of one published message at this generator's connections (ms on the shared clock). */
export interface MessageArrivals {
  sequence: number;
  sentAt: number;
  count: number;
  first: number;
  last: number;
}

export interface Health {
  held: number;
  /** Connections the server closed or reset since the last drop. */
  closedByPeer: number;
  pingsAnswered: number;
  /** Data frames nobody asked for (idle phase), or frames we could not read. */
  unexpectedFrames: number;
}

export type FromScaleGenerator =
  | { type: 'ready' }
  | { type: 'grown'; grown: Grown; health: Health }
  | { type: 'echoed'; echoed: Echoed; health: Health }
  | { type: 'deliveries'; arrivals: MessageArrivals[]; health: Health }
  | { type: 'dropped'; health: Health }
  | { type: 'error'; message: string };

/** Milliseconds on a clock every process on the machine shares (sub-millisecond resolution). */
export function sharedClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Global connection indices this generator owns, below `total`: g, g+G, g+2G, ... */
export function shareOf(total: number, index: number, of: number): number {
  return total <= index ? 0 : Math.floor((total - index - 1) / of) + 1;
}
