// The fake clock is public API (fullduplex/testing); the suite uses the same code.
export { FakeClock } from '../../src/testing/fake-clock.js';
