import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { HandshakeError, WebSocketError } from '../../../../src/errors.js';
import { HttpHeadParser } from '../../../../src/protocol/handshake/http-head-parser.js';

const REQUEST =
  'GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

function parseRequest(text: string, options = {}) {
  return new HttpHeadParser('request', options).push(Buffer.from(text, 'latin1'));
}

function rejects(
  text: string,
  status: number,
  kind: 'request' | 'response' = 'request',
  options = {},
): HandshakeError {
  let caught: unknown;
  try {
    new HttpHeadParser(kind, options).push(Buffer.from(text, 'latin1'));
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HandshakeError, `expected HandshakeError for ${JSON.stringify(text)}`);
  assert.equal(caught.status, status, caught.message);
  return caught;
}

describe('HttpHeadParser: request heads', () => {
  test('parses method, target, version and lower-cased headers', () => {
    const parsed = parseRequest(REQUEST);
    assert.ok(parsed);
    const { head, rest } = parsed;
    assert.equal(head.kind, 'request');
    assert.equal(head.method, 'GET');
    assert.equal(head.url, '/chat?x=1');
    assert.equal(head.httpVersion, '1.1');
    assert.deepEqual(
      { ...head.headers },
      {
        host: 'server.example.com',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    );
    assert.deepEqual(head.fields[0], ['Host', 'server.example.com']);
    assert.equal(rest.length, 0);
  });

  test('returns the bytes after CRLFCRLF as leftover (early WebSocket frames)', () => {
    const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const chunk = Buffer.concat([Buffer.from(REQUEST), frame]);
    const parsed = new HttpHeadParser('request').push(chunk);
    assert.ok(parsed);
    assert.deepEqual(parsed.rest, frame);
    assert.equal(parsed.rest.buffer, chunk.buffer, 'leftover is a view, not a copy');
  });

  test('one byte at a time gives the same result as one chunk', () => {
    const bytes = Buffer.from(`${REQUEST}tail`);
    const parser = new HttpHeadParser('request');
    let result = null;
    let i = 0;
    for (; i < bytes.length && result === null; i++) result = parser.push(bytes.subarray(i, i + 1));
    assert.ok(result);
    assert.equal(i, REQUEST.length);
    assert.deepEqual(result.head, parseRequest(REQUEST)?.head);
    assert.equal(result.rest.length, 0);
  });

  test('does not alias earlier chunks (callers may reuse their buffers)', () => {
    const parser = new HttpHeadParser('request');
    const first = Buffer.from('GET /a HTTP/1.1\r\nHost: h\r\n');
    assert.equal(parser.push(first), null);
    first.fill(0x41);
    const parsed = parser.push(Buffer.from('\r\n'));
    assert.equal(parsed?.head.url, '/a');
  });

  test('the end of head split across chunks at every position', () => {
    for (let cut = 1; cut < REQUEST.length; cut++) {
      const parser = new HttpHeadParser('request');
      assert.equal(parser.push(Buffer.from(REQUEST.slice(0, cut))), null);
      const parsed = parser.push(Buffer.from(`${REQUEST.slice(cut)}xy`));
      assert.equal(parsed?.rest.toString(), 'xy');
    }
  });

  test('combines repeated fields with ", " and keeps them separable in fields', () => {
    const parsed = parseRequest(
      'GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n',
    );
    assert.equal(parsed?.head.headers['x-a'], '1, 2');
    assert.deepEqual(parsed?.head.headers['set-cookie'], ['a=1', 'b=2']);
    assert.deepEqual(parsed?.head.fields, [
      ['X-A', '1'],
      ['x-a', '2'],
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });

  test('trims optional whitespace around values and keeps empty values', () => {
    const parsed = parseRequest('GET / HTTP/1.1\r\nA:  \t x y \t\r\nB:\r\n\r\n');
    assert.equal(parsed?.head.headers.a, 'x y');
    assert.equal(parsed?.head.headers.b, '');
  });

  test('a header named __proto__ is stored as data, not as a prototype', () => {
    const parsed = parseRequest('GET / HTTP/1.1\r\n__proto__: x\r\nconstructor: y\r\n\r\n');
    assert.equal(Object.getOwnPropertyDescriptor(parsed?.head.headers, '__proto__')?.value, 'x');
    assert.equal(parsed?.head.headers.constructor, 'y');
  });

  test('accepts obs-text in values (latin1) and ignores leading empty lines (RFC 9112 2.2)', () => {
    const parsed = parseRequest('\r\n\r\nGET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n');
    assert.equal(parsed?.head.headers.x, 'caf\xe9');
    assert.equal(parsed?.head.method, 'GET');
  });

  test('rejects a bare LF (justified in the source: smuggling) and a bare CR', () => {
    rejects('GET / HTTP/1.1\nHost: a\n\n', 400);
    rejects('GET / HTTP/1.1\r\nHost: a\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n', 400);
  });

  test('rejects obs-fold, bad names, space before colon, control chars in values', () => {
    rejects('GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA B: c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA : c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\n: c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nno-colon\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA(b): c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA: b\0c\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA: b\x7fc\r\n\r\n', 400);
    rejects('GET / HTTP/1.1\r\nA: b\x01\r\n\r\n', 400);
  });

  test('rejects malformed request lines', () => {
    const missing = rejects('GET HTTP/1.1\r\nHost: a\r\n\r\n', 400);
    assert.match(missing.message, /request-target/);
    rejects('GET  / HTTP/1.1\r\n\r\n', 400);
    rejects('GET / HTTP/1.1 x\r\n\r\n', 400);
    rejects('G(T / HTTP/1.1\r\n\r\n', 400);
    rejects('GET / HTTP/11\r\n\r\n', 400);
    rejects('GET / http/1.1\r\n\r\n', 400);
    rejects('GET /\xe9 HTTP/1.1\r\n\r\n', 400);
  });

  test('enforces the head size limit with 431 (default 8 KiB)', () => {
    const big = `GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(2000)}\r\n`;
    rejects(big, 431, 'request', { maxHeaderCount: 10_000 });
    const error = rejects(`GET / HTTP/1.1\r\nA: ${'b'.repeat(100)}\r\n\r\n`, 431, 'request', {
      maxHeadSize: 64,
    });
    assert.match(error.message, /64 bytes/);
    // Exactly at the limit passes.
    const exact = 'GET / HTTP/1.1\r\n\r\n';
    assert.ok(parseRequest(exact, { maxHeadSize: exact.length }));
  });

  test('fails as soon as the limit is passed, without waiting for the end of head', () => {
    const parser = new HttpHeadParser('request', { maxHeadSize: 100 });
    assert.equal(parser.push(Buffer.from('GET / HTTP/1.1\r\n')), null);
    assert.throws(
      () => parser.push(Buffer.alloc(200, 0x61)),
      (e: unknown) => e instanceof HandshakeError && e.status === 431,
    );
  });

  test('over-long lines: 414 for the request line, 431 for a field line', () => {
    rejects(`GET /${'a'.repeat(50)} HTTP/1.1\r\n\r\n`, 414, 'request', { maxLineLength: 32 });
    rejects(`GET / HTTP/1.1\r\nA: ${'b'.repeat(50)}\r\n\r\n`, 431, 'request', { maxLineLength: 32 });
  });

  test('line length, field count, CR state and size carry across chunks', () => {
    const pushAll = (chunks: string[], options = {}) => {
      const parser = new HttpHeadParser('request', options);
      let result: ReturnType<typeof parser.push> = null;
      for (const chunk of chunks) result = parser.push(Buffer.from(chunk, 'latin1'));
      return { parser, result };
    };
    const status = (chunks: string[], options = {}) => {
      try {
        pushAll(chunks, options);
      } catch (error) {
        return (error as HandshakeError).status;
      }
      return 'parsed';
    };
    // A request line of 40 bytes in two chunks of 20 is over a 32-byte limit.
    assert.equal(
      status([`GET /${'a'.repeat(15)}`, `${'a'.repeat(11)} HTTP/1.1\r\n\r\n`], { maxLineLength: 32 }),
      414,
    );
    // Four fields over two chunks against a limit of three.
    assert.equal(
      status(['GET / HTTP/1.1\r\nA: b\r\nA: b\r\n', 'A: b\r\nA: b\r\n\r\n'], { maxHeaderCount: 3 }),
      431,
    );
    assert.equal(
      status(['GET / HTTP/1.1\r\nA: b\r\nA: b\r\n', 'A: b\r\n\r\n'], { maxHeaderCount: 3 }),
      'parsed',
    );
    // A CR at the end of one chunk and a non-LF at the start of the next is a bare CR.
    assert.equal(status(['GET / HTTP/1.1\r', 'X: y\r\n\r\n']), 400);
    // The size limit counts every chunk.
    assert.equal(status(['GET / HTTP/1.1\r\n', 'A: bbbbbbbbbb\r\n', '\r\n'], { maxHeadSize: 30 }), 431);
    const { parser, result } = pushAll(['GET / HTTP/1.1\r', '\nA: b\r\n\r', '\nrest']);
    assert.equal(parser.bytesRead, 'GET / HTTP/1.1\r\nA: b\r\n\r\n'.length);
    assert.equal(result?.head.headers.a, 'b');
    assert.equal(result?.rest.toString(), 'rest');
  });

  test('too many header fields -> 431', () => {
    rejects(`GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(4)}\r\n`, 431, 'request', { maxHeaderCount: 3 });
    assert.ok(parseRequest(`GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(3)}\r\n`, { maxHeaderCount: 3 }));
  });

  test('a failed parser keeps failing; a finished one refuses more input', () => {
    const failed = new HttpHeadParser('request');
    assert.throws(() => failed.push(Buffer.from('\n')), HandshakeError);
    assert.throws(() => failed.push(Buffer.from('GET / HTTP/1.1\r\n\r\n')), HandshakeError);
    const done = new HttpHeadParser('request');
    assert.ok(done.push(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    assert.throws(
      () => done.push(Buffer.from('x')),
      (e: unknown) => e instanceof WebSocketError && e.code === 'ERR_INVALID_ARGUMENT',
    );
  });

  test('accepts a Uint8Array view', () => {
    const backing = new Uint8Array(Buffer.from(`xx${REQUEST}`));
    assert.equal(new HttpHeadParser('request').push(backing.subarray(2))?.head.url, '/chat?x=1');
  });
});

describe('HttpHeadParser: response heads', () => {
  test('parses status code, reason and headers', () => {
    const parsed = new HttpHeadParser('response').push(
      Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00', 'latin1'),
    );
    assert.ok(parsed);
    assert.equal(parsed.head.kind, 'response');
    assert.equal(parsed.head.statusCode, 101);
    assert.equal(parsed.head.statusMessage, 'Switching Protocols');
    assert.equal(parsed.head.httpVersion, '1.1');
    assert.equal(parsed.head.headers.upgrade, 'websocket');
    assert.deepEqual(parsed.rest, Buffer.from([0x81, 0x00]));
  });

  test('tolerates a missing or empty reason phrase', () => {
    assert.equal(
      new HttpHeadParser('response').push(Buffer.from('HTTP/1.1 101\r\n\r\n'))?.head.statusMessage,
      '',
    );
    assert.equal(
      new HttpHeadParser('response').push(Buffer.from('HTTP/1.1 302 \r\n\r\n'))?.head.statusCode,
      302,
    );
  });

  test('errors on the response side carry status 0 (no valid status received)', () => {
    rejects('HTTP/1.1 1011 X\r\n\r\n', 0, 'response');
    rejects('HTTP/1.1 abc\r\n\r\n', 0, 'response');
    rejects('\r\nHTTP/1.1 101 X\r\n\r\n', 0, 'response');
    rejects('HTTP/1.1 101 X\r\nA: \x01\r\n\r\n', 0, 'response');
    rejects(`HTTP/1.1 101 X\r\n${'A: b\r\n'.repeat(3000)}\r\n`, 0, 'response');
    rejects('HTTP/1.1 101 X\x00\r\n\r\n', 0, 'response');
  });
});

describe('HttpHeadParser: arbitrary bytes (fast-check)', () => {
  const check = (kind: 'request' | 'response', chunks: Uint8Array[]) => {
    const parser = new HttpHeadParser(kind, { maxHeadSize: 512 });
    try {
      for (const chunk of chunks) if (parser.push(chunk) !== null) return;
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
    }
  };

  test('random bytes in random chunks never throw anything but HandshakeError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('request' as const, 'response' as const),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }),
        check,
      ),
      { numRuns: 2000 },
    );
  });

  test('mutated valid heads never throw anything but HandshakeError', () => {
    const base = Buffer.from(REQUEST);
    const arbitraryHead = fc
      .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })
      .map((edits) => {
        const copy = Buffer.from(base);
        for (const [at, byte] of edits) copy[at] = byte;
        return copy;
      });
    fc.assert(
      fc.property(arbitraryHead, fc.nat(REQUEST.length), (head, cut) => {
        check('request', [head.subarray(0, cut), head.subarray(cut)]);
      }),
      { numRuns: 2000 },
    );
  });

  test('any split of a valid head parses to the same head', () => {
    const whole = parseRequest(REQUEST)?.head;
    fc.assert(
      fc.property(fc.array(fc.nat(REQUEST.length), { maxLength: 8 }), (cuts) => {
        const points = [...new Set([0, ...cuts, REQUEST.length])].sort((a, b) => a - b);
        const parser = new HttpHeadParser('request');
        const bytes = Buffer.from(REQUEST);
        let result = null;
        for (let i = 0; i + 1 < points.length; i++)
          result = parser.push(bytes.subarray(points[i], points[i + 1]));
        assert.deepEqual(result?.head, whole);
      }),
      { numRuns: 300 },
    );
  });
});
