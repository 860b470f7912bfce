// The in-memory pipe is public API (fullduplex/testing); the suite uses the same code.
export { createPipe, type PipeOptions, PipeTransport } from '../../src/testing/pipe.js';
