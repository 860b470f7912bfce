// Test tools for code built on fullduplex (re-exports only). Imported as 'fullduplex/testing'.
export type { ConnectionPair, ConnectionPairOptions, PairSideOptions } from './connection-pair.js';
export { connectionPair } from './connection-pair.js';
export { FakeClock } from './fake-clock.js';
export type { PipeOptions } from './pipe.js';
export { createPipe, PipeTransport } from './pipe.js';
export { nextTurn, until } from './until.js';
