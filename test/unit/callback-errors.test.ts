import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deliverError, isThenable, routeRejection } from '../../src/callback-errors.js';

const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};
before(() => {
  process.on('warning', onWarning);
});
after(() => {
  process.off('warning', onWarning);
});

/** Warnings are emitted on the next tick; a macrotask lets them and settled promises land. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('callback errors', () => {
  test('isThenable: promises and objects with a callable then; nothing else', () => {
    // Built with defineProperty: a literal `then` key is what the linter rightly flags elsewhere.
    const withThen = <T extends object>(target: T, then: unknown): T =>
      Object.defineProperty(target, 'then', { value: then });
    assert.equal(isThenable(Promise.resolve()), true);
    assert.equal(isThenable(withThen({}, () => {})), true);
    assert.equal(
      isThenable(
        withThen(
          () => {},
          () => {},
        ),
      ),
      true,
    );
    for (const value of [undefined, null, 0, 'then', {}, withThen({}, 1), () => {}]) {
      assert.equal(isThenable(value), false, String(value));
    }
  });

  test('routeRejection: a rejection goes to the route; a value or a plain return does not', async () => {
    const routed: unknown[] = [];
    const route = (error: unknown): void => {
      routed.push(error);
    };
    const error = new Error('rejected');
    routeRejection(Promise.reject(error), route);
    routeRejection(Promise.resolve('value'), route);
    routeRejection(undefined, route);
    routeRejection('a returned string', route);
    await settle();
    assert.deepEqual(routed, [error]);
  });

  test('deliverError: to the hook; without one, or when it throws or rejects, one warning', async () => {
    const given: unknown[] = [];
    deliverError((error: unknown) => given.push(error), 'to the hook', 'test');
    assert.deepEqual(given, ['to the hook']);

    const before = warnings.length;
    deliverError(null, new Error('nobody listens'), 'a test hook');
    deliverError(
      () => {
        throw new Error('hook threw');
      },
      'first',
      'test',
    );
    deliverError(() => Promise.reject(new Error('hook rejected')), 'first', 'test');
    await settle();
    await settle();
    const texts = warnings.slice(before).map((warning) => warning.message);
    assert.equal(texts.length, 3, texts.join(' | '));
    assert.match(texts[0] as string, /a test hook failed .*nobody listens/);
    assert.match(texts[1] as string, /onError failed .*hook threw/);
    assert.match(texts[2] as string, /onError failed .*hook rejected/);
    assert.equal(warnings[before]?.name, 'UnhandledCallbackError');
  });
});
