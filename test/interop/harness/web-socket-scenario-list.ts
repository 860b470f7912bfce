// The scenarios of the WebSocket class cross-check (see web-socket-scenarios.ts for the rules: each
// function is sent to the browser as source text, so it uses only `env` and `kit`). Server routes
// (scenario-server.ts): /echo, /close, /close-empty, /terminate, /refuse, /invalid-utf8, /protocol,
// /burst.
import type { Scenario } from './web-socket-scenarios.js';

export const scenarios: Record<string, Scenario> = {
  async 'open, echo text, close from the client'(env, kit) {
    const ws = kit.attempt('construct', () => new env.WebSocket(kit.url('/echo'))) as InstanceType<
      typeof env.WebSocket
    >;
    env.log.push(['initial', ws.url === kit.url('/echo'), ws.readyState, ws.protocol, ws.extensions]);
    env.log.push(['binaryType', ws.binaryType, ws.bufferedAmount]);
    const closed = kit.watch(ws);
    ws.onopen = () => {
      ws.send('héllo wörld');
      ws.send('');
      env.log.push(['buffered after sends', ws.bufferedAmount]);
    };
    await kit.messages(ws, 2);
    ws.close(1000, 'done');
    env.log.push(['after close()', ws.readyState]);
    await closed;
  },

  async 'close() without arguments sends a Close frame with no status code'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.close();
    env.log.push(['after close()', ws.readyState]);
    await closed;
  },

  async 'binary echo as ArrayBuffer: ArrayBuffer, views, DataView'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    ws.binaryType = 'arraybuffer';
    const closed = kit.watch(ws);
    ws.onopen = () => {
      ws.send(new Uint8Array([1, 2, 3, 255]).buffer);
      const backing = new Uint8Array([9, 9, 10, 11, 12, 9]);
      ws.send(backing.subarray(2, 5));
      ws.send(new DataView(new Uint8Array([0xca, 0xfe, 0xba, 0xbe]).buffer, 1, 2));
      ws.send(new Uint16Array([0x0102, 0x0304]));
      ws.send(new ArrayBuffer(0));
      env.log.push(['buffered', ws.bufferedAmount]);
    };
    await kit.messages(ws, 5);
    ws.close(3000);
    await closed;
  },

  async 'binary echo as Blob, Blob sends keep their order'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    ws.onopen = () => {
      ws.send(new env.Blob([new Uint8Array([1, 2, 3])]));
      ws.send('after the first blob');
      ws.send(new env.Blob(['te', 'xt'], { type: 'text/plain' }));
      ws.send(new Uint8Array([4, 5]));
      ws.send(new env.Blob([]));
      ws.send('last');
      env.log.push(['buffered', ws.bufferedAmount]);
    };
    await kit.messages(ws, 6);
    ws.binaryType = 'arraybuffer';
    ws.send(new env.Blob([new Uint8Array([6, 7])]));
    await kit.messages(ws, 1);
    ws.close(4999, 'blob');
    await closed;
    await kit.settle();
  },

  async 'bufferedAmount counts sends, also after close'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    env.log.push(['connecting', ws.bufferedAmount]);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.send('abc');
    env.log.push(['string', ws.bufferedAmount]);
    ws.send('é€😀');
    env.log.push(['utf-8 bytes', ws.bufferedAmount]);
    ws.send(new ArrayBuffer(5));
    env.log.push(['arraybuffer', ws.bufferedAmount]);
    ws.send(new Uint16Array(2));
    env.log.push(['view', ws.bufferedAmount]);
    ws.send(new env.Blob([new Uint8Array(4)]));
    env.log.push(['blob', ws.bufferedAmount]);
    await kit.messages(ws, 5);
    await kit.turns(2);
    env.log.push(['echoed', ws.bufferedAmount]);
    ws.close(1000);
    env.log.push(['after close()', ws.readyState, ws.bufferedAmount]);
    kit.attempt('send while closing', () => ws.send('xyz'));
    env.log.push(['while closing', ws.bufferedAmount]);
    await closed;
    kit.attempt('send when closed', () => ws.send(new Uint8Array(2)));
    env.log.push(['when closed', ws.readyState, ws.bufferedAmount]);
  },

  async 'a large message: bufferedAmount at once, then drained'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    ws.binaryType = 'arraybuffer';
    const closed = kit.watch(ws);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.send(new Uint8Array(1 << 20));
    env.log.push(['just sent', ws.bufferedAmount]);
    await kit.messages(ws, 1);
    await kit.turns(2);
    env.log.push(['echoed', ws.bufferedAmount]);
    ws.close(1000);
    await closed;
  },

  async 'send() while CONNECTING throws InvalidStateError'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    kit.attempt('send', () => ws.send('too early'));
    kit.attempt('send blob', () => ws.send(new env.Blob(['x'])));
    env.log.push(['state', ws.readyState, ws.bufferedAmount]);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.close(1000);
    await closed;
  },

  async 'close() argument checks'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    for (const code of [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, 65535, 65536, -1, 'x', null, true, NaN]) {
      kit.attempt(`close(${String(code)})`, () => ws.close(code));
    }
    kit.attempt('close(1001, long reason)', () => ws.close(1001, 'x'.repeat(200)));
    kit.attempt('close(1000, 124 bytes)', () => ws.close(1000, 'x'.repeat(124)));
    kit.attempt('close(1000, 62 two-byte chars)', () => ws.close(1000, 'é'.repeat(62)));
    kit.attempt('close(4000, lone surrogates)', () => ws.close(4000, '\uD800'.repeat(42)));
    env.log.push(['still', ws.readyState]);
    kit.attempt("close('3999', 123 bytes)", () => ws.close('3999', `${'é'.repeat(61)}x`));
    env.log.push(['closing', ws.readyState]);
    kit.attempt('close again', () => ws.close(5000));
    kit.attempt('close again, valid', () => ws.close(4000, 'second'));
    await closed;
  },

  async 'close codes from the server'(env, kit) {
    for (const [query, label] of [
      ['code=4001&reason=server%20bye', 'with reason'],
      ['code=1000', 'normal'],
      ['code=1011&reason=oops', 'internal error'],
    ]) {
      const ws = new env.WebSocket(kit.url('/close', query as string));
      await kit.watch(ws, label as string);
    }
    const empty = new env.WebSocket(kit.url('/close-empty'));
    await kit.watch(empty, 'no status');
  },

  async 'the server sends messages then closes'(env, kit) {
    const ws = new env.WebSocket(kit.url('/burst', 'count=3'));
    ws.binaryType = 'arraybuffer';
    await kit.watch(ws);
  },

  async 'the server drops TCP after the handshake'(env, kit) {
    const ws = new env.WebSocket(kit.url('/terminate'));
    await kit.watch(ws);
  },

  async 'the server refuses the handshake'(env, kit) {
    const ws = new env.WebSocket(kit.url('/refuse'));
    await kit.watch(ws);
    env.log.push(['after', ws.readyState, ws.protocol, ws.extensions]);
  },

  async 'the server sends invalid UTF-8'(env, kit) {
    const ws = new env.WebSocket(kit.url('/invalid-utf8'));
    await kit.watch(ws);
  },

  async 'close() while CONNECTING'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    ws.close();
    env.log.push(['after close()', ws.readyState]);
    kit.attempt('send while closing', () => ws.send('abc'));
    env.log.push(['buffered', ws.bufferedAmount]);
    kit.attempt('close again', () => ws.close(4000));
    await closed;
    const second = new env.WebSocket(kit.url('/echo'));
    const secondClosed = kit.watch(second, 'with code');
    second.close(4000, 'never mind');
    await secondClosed;
  },

  async 'subprotocols: negotiated, and required'(env, kit) {
    const ws = new env.WebSocket(kit.url('/protocol'), ['chat', 'superchat']);
    const closed = kit.watch(ws, 'offered');
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    env.log.push(['protocol', ws.protocol]);
    ws.close(1000);
    await closed;
    const single = new env.WebSocket(kit.url('/protocol'), 'superchat');
    const singleClosed = kit.watch(single, 'string');
    await new Promise<void>((resolve) => {
      single.onopen = () => resolve();
    });
    single.close(1000);
    await singleClosed;
    // The server picks none of these: the browser fails the connection (WHATWG, not RFC 6455).
    const ignored = new env.WebSocket(kit.url('/protocol'), ['other']);
    await kit.watch(ignored, 'not chosen');
    env.log.push(['protocol after failure', ignored.protocol]);
  },

  async 'constructor argument checks'(env, kit) {
    const attempts: Array<[string, unknown[]]> = [
      ['no arguments', []],
      ['not a URL', ['ws://[::1/']],
      ['no host', ['ws:///path']],
      ['ftp scheme', ['ftp://127.0.0.1/']],
      ['file scheme', ['file:///tmp/x']],
      ['fragment', [`${kit.url('/echo')}#frag`]],
      ['empty fragment', [`${kit.url('/echo')}#`]],
      ['duplicate protocols', [kit.url('/echo'), ['a', 'a']]],
      ['duplicates by case', [kit.url('/echo'), ['chat', 'Chat']]],
      ['empty protocol', [kit.url('/echo'), '']],
      ['protocol with a space', [kit.url('/echo'), 'a b']],
      ['protocol with a comma', [kit.url('/echo'), ['a,b']]],
      ['protocol with a separator', [kit.url('/echo'), ['a/b']]],
      ['non-ASCII protocol', [kit.url('/echo'), ['é']]],
      ['control character', [kit.url('/echo'), ['a\u0001']]],
      ['protocols from an iterable', [kit.url('/echo'), new Set(['x', 'y'])]],
      ['protocols null', [kit.url('/echo'), null]],
      ['protocols undefined', [kit.url('/echo'), undefined]],
      ['protocols a number', [kit.url('/echo'), 42]],
      ['protocols an object', [kit.url('/echo'), {}]],
    ];
    for (const [label, args] of attempts) {
      const ws = kit.attempt(label, () => Reflect.construct(env.WebSocket, args)) as
        | InstanceType<typeof env.WebSocket>
        | undefined;
      if (ws !== undefined) {
        env.log.push([`${label}: state`, ws.readyState]);
        ws.close();
      }
    }
    kit.attempt('called without new', () =>
      (env.WebSocket as unknown as (url: string) => unknown)(kit.url('/echo')),
    );
  },

  async 'http: and https: URLs become ws: and wss:'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo').replace('ws:', 'http:'));
    env.log.push(['url', ws.url === kit.url('/echo'), ws.url.slice(0, 5)]);
    const closed = kit.watch(ws);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.close(1000);
    await closed;
    const secure = new env.WebSocket('HTTPS://Example.INVALID:443/a/../b?q');
    env.log.push(['never opened', secure.url]);
    secure.onerror = () => {};
    secure.close();
  },

  async 'url serialization'(env, kit) {
    const urls = [
      'ws://127.0.0.1:1/',
      'WS://127.0.0.1:1',
      'ws://127.0.0.1:80/path?query=1',
      'wss://127.0.0.1:443/',
      'ws://127.0.0.1:1/a b',
      'ws://[::1]:1/',
    ];
    for (const url of urls) {
      const ws = kit.attempt(url, () => new env.WebSocket(url)) as
        | InstanceType<typeof env.WebSocket>
        | undefined;
      if (ws !== undefined) {
        env.log.push([url, ws.url]);
        ws.onerror = () => {};
        ws.close();
      }
    }
  },

  async 'readyState constants and binaryType values'(env, kit) {
    const C = env.WebSocket;
    env.log.push(['class', C.CONNECTING, C.OPEN, C.CLOSING, C.CLOSED]);
    env.log.push([
      'prototype',
      C.prototype.CONNECTING,
      C.prototype.OPEN,
      C.prototype.CLOSING,
      C.prototype.CLOSED,
    ]);
    const ws = new env.WebSocket(kit.url('/echo'));
    env.log.push(['instance', ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]);
    env.log.push(['assign constant', Reflect.set(ws, 'OPEN', 7), Reflect.set(C, 'OPEN', 7)]);
    env.log.push(['constant kept', ws.OPEN, Object.prototype.toString.call(ws)]);
    env.log.push(['binaryType', ws.binaryType]);
    ws.binaryType = 'arraybuffer';
    env.log.push(['binaryType', ws.binaryType]);
    ws.binaryType = 'text';
    env.log.push(['binaryType', ws.binaryType]);
    ws.binaryType = 'Blob';
    env.log.push(['binaryType', ws.binaryType]);
    ws.binaryType = 'blob';
    env.log.push(['binaryType', ws.binaryType]);
    const closed = kit.watch(ws);
    ws.close();
    await closed;
  },

  async 'on... handlers and listeners, in order'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    env.log.push(['defaults', ws.onopen, ws.onmessage, ws.onerror, ws.onclose]);
    ws.addEventListener('message', () => env.log.push(['listener A']));
    ws.onmessage = function (this: unknown) {
      env.log.push(['handler 1', this === ws]);
    };
    ws.addEventListener('message', () => env.log.push(['listener B']));
    ws.onopen = () => ws.send('one');
    await kit.messages(ws, 1);
    ws.onmessage = () => env.log.push(['handler 2']);
    ws.send('two');
    await kit.messages(ws, 1);
    ws.onmessage = null;
    ws.onmessage = () => env.log.push(['handler 3']);
    ws.send('three');
    await kit.messages(ws, 1);
    ws.onmessage = 'not a function';
    env.log.push(['string handler', ws.onmessage]);
    const object = { handleEvent: () => env.log.push(['handleEvent called']) };
    ws.onmessage = object;
    env.log.push(['object handler kept', ws.onmessage === object]);
    ws.send('four');
    await kit.messages(ws, 1);
    ws.onclose = (event: Event) => env.log.push(['onclose', event.type]);
    ws.close(1000);
    await closed;
  },

  async 'a message that arrives after close() is not delivered'(env, kit) {
    const ws = new env.WebSocket(kit.url('/echo'));
    const closed = kit.watch(ws);
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    ws.send('echoed after close()');
    ws.close(1000);
    await closed;
  },

  async 'close() inside a message handler drops the messages queued behind it'(env, kit) {
    const ws = new env.WebSocket(kit.url('/burst', 'count=3&close=0'));
    const closed = kit.watch(ws);
    let first = true;
    ws.addEventListener('message', () => {
      if (first) ws.close(4002, 'enough');
      first = false;
    });
    await closed;
  },

  async 'events are tasks: microtasks run between them'(env, kit) {
    // Listeners that queue microtasks come after the kit's: Node runs microtasks after the last
    // listener of an event, a browser after each one (docs/websocket-class.md).
    const ws = new env.WebSocket(kit.url('/burst', 'count=2'));
    const closed = kit.watch(ws);
    ws.addEventListener('open', () => {
      Promise.resolve().then(() => env.log.push(['microtask after open', ws.readyState]));
    });
    ws.addEventListener('message', () => {
      Promise.resolve().then(() => env.log.push(['microtask after message']));
    });
    await closed;
    const failing = new env.WebSocket(kit.url('/refuse'));
    const failed = kit.watch(failing, 'refused');
    failing.addEventListener('error', () => {
      Promise.resolve().then(() => env.log.push(['microtask after error', failing.readyState]));
      setTimeout(() => env.log.push(['timer after error']), 0);
    });
    await failed;
    await kit.turns(2);
  },

  async 'interface shape'(env) {
    const shape = (object: object): unknown[] =>
      Object.getOwnPropertyNames(object).map((name) => {
        const descriptor = Object.getOwnPropertyDescriptor(object, name) as PropertyDescriptor;
        return [
          name,
          descriptor.enumerable,
          descriptor.configurable,
          'value' in descriptor ? typeof descriptor.value : 'accessor',
          typeof descriptor.set,
        ];
      });
    const C = env.WebSocket as unknown as { prototype: object; length: number; name: string };
    env.log.push(['WebSocket', C.name, C.length]);
    env.log.push(['static', ...Object.keys(C)]);
    env.log.push(['prototype', ...shape(C.prototype)]);
    const methods = C.prototype as unknown as Record<string, { length: number }>;
    env.log.push(['lengths', methods.send?.length, methods.close?.length]);
    env.log.push(['tag', (C.prototype as Record<symbol, unknown>)[Symbol.toStringTag]]);
    env.log.push(['extends EventTarget', C.prototype instanceof EventTarget]);
    const E = env.CloseEvent as unknown as { prototype: object; length: number };
    env.log.push(['CloseEvent', E.length, ...shape(E.prototype)]);
    const event = new env.CloseEvent('close', { code: 66536.7, reason: 'bye', wasClean: 1, bubbles: true });
    const close = event as unknown as { code: number; reason: string; wasClean: boolean };
    env.log.push(['CloseEvent values', close.code, close.reason, close.wasClean, event.bubbles, event.type]);
    const plain = new env.CloseEvent('x') as unknown as { code: number; reason: string; wasClean: boolean };
    env.log.push(['CloseEvent defaults', plain.code, plain.reason, plain.wasClean]);
    env.log.push(['CloseEvent tag', Object.prototype.toString.call(event), event instanceof Event]);
  },
};
