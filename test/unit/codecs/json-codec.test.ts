import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonCodec } from '../../../src/codecs/json-codec.js';
import { WebSocketError } from '../../../src/errors.js';

describe('jsonCodec', () => {
  test('encodes to text and decodes text or UTF-8 binary', () => {
    const codec = jsonCodec<{ a: number[] }>();
    assert.equal(codec.type, 'text');
    assert.equal(codec.encode({ a: [1, 2] }), '{"a":[1,2]}');
    assert.deepEqual(codec.decode('{"a":[3]}'), { a: [3] });
    assert.deepEqual(codec.decode(Buffer.from('{"a":[4]}')), { a: [4] });
  });

  test('refuses values with no JSON form and input that is not JSON', () => {
    const codec = jsonCodec();
    assert.throws(() => codec.encode(undefined), WebSocketError);
    assert.throws(
      () => codec.decode('{nope'),
      (error: unknown) => {
        assert.ok(error instanceof WebSocketError);
        assert.equal(error.code, 'ERR_DECODE');
        assert.ok(error.cause instanceof SyntaxError);
        return true;
      },
    );
    assert.throws(() => codec.decode(Buffer.from([0xff, 0xfe])), WebSocketError);
  });

  test('a type guard validates; false refuses', () => {
    const isName = (value: unknown): value is { name: string } =>
      typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string';
    const codec = jsonCodec({ validate: isName });
    assert.deepEqual(codec.decode('{"name":"x"}'), { name: 'x' });
    assert.throws(() => codec.decode('{"name":1}'), { code: 'ERR_VALIDATION' });
  });

  test('an async validator refuses the message (ERR_VALIDATION) and its rejection is observed', async () => {
    let rejections = 0;
    const onUnhandled = (): void => {
      rejections++;
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const validate = (async () => Promise.reject(new Error('async refusal'))) as unknown as () => number;
      const codec = jsonCodec<number>({ validate });
      // Before: the promise was taken for the decoded value, and its rejection was left unhandled.
      assert.throws(() => codec.decode('1'), { code: 'ERR_VALIDATION', message: /synchronous/ });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(rejections, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a parser validates by returning the value to use or throwing', () => {
    const codec = jsonCodec<number>({
      validate: (value) => {
        if (typeof value !== 'number') throw new TypeError('not a number');
        return value * 2;
      },
    });
    assert.equal(codec.decode('21'), 42);
    assert.throws(
      () => codec.decode('"x"'),
      (error: unknown) => error instanceof WebSocketError && error.cause instanceof TypeError,
    );
  });

  test('replacer and reviver pass through', () => {
    const codec = jsonCodec<{ when: Date }>({
      replacer: (key, value) => (key === 'secret' ? undefined : value),
      reviver: (key, value) => (key === 'when' ? new Date(value as string) : value),
    });
    assert.equal(
      codec.encode({ when: new Date(0), secret: 1 } as { when: Date }),
      '{"when":"1970-01-01T00:00:00.000Z"}',
    );
    assert.ok(codec.decode('{"when":"1970-01-01T00:00:00.000Z"}').when instanceof Date);
  });
});
