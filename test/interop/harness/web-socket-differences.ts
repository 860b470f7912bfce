// The deliberate differences between fullduplex's WebSocket and Chromium's (docs/websocket-class.md),
// each as a scenario run in both and a check that the logs differ in exactly the documented way.
import assert from 'node:assert/strict';
import type { ServerSide } from './scenario-server.js';
import type { Scenario } from './web-socket-scenarios.js';

export interface Outcome {
  readonly log: unknown[][];
  readonly server: ServerSide[];
}

export interface Difference {
  readonly scenario: Scenario;
  /** Asserts the documented difference, and that everything else is the same. */
  check(browser: Outcome, node: Outcome): void;
}

/** The entry of `log` whose first element is `label`. */
function entry(log: unknown[][], label: string): unknown[] {
  const found = log.find((item) => item[0] === label);
  assert.ok(found, `no ${label} in ${JSON.stringify(log)}`);
  return found;
}

export const differences: Record<string, Difference> = {
  'close(undefined, reason): Chromium throws InvalidAccessError, fullduplex closes with 1000 and the reason':
    {
      async scenario(env, kit) {
        const ws = new env.WebSocket(kit.url('/echo'));
        const closed = kit.watch(ws);
        await new Promise<void>((resolve) => {
          ws.onopen = () => resolve();
        });
        kit.attempt('close(undefined, reason)', () => ws.close(undefined, 'why'));
        kit.attempt('close(undefined, undefined)', () => ws.close(undefined, undefined));
        await closed;
      },
      check(browser, node) {
        assert.deepEqual(entry(browser.log, 'close(undefined, reason)'), [
          'close(undefined, reason)',
          'InvalidAccessError',
          true,
          15,
        ]);
        assert.deepEqual(entry(node.log, 'close(undefined, reason)'), ['close(undefined, reason)', 'ok']);
        // Chromium's socket was then closed by the second call, with no code.
        assert.deepEqual(browser.server, [['/echo', 1005, '', true]]);
        assert.deepEqual(node.server, [['/echo', 1000, 'why', true]]);
      },
    },

  'fractional close codes: Chromium truncates, fullduplex rounds ([Clamp]: to nearest, ties to even)': {
    async scenario(env, kit) {
      const ws = new env.WebSocket(kit.url('/echo'));
      ws.onerror = () => {};
      for (const code of [2999.5, 2999.6, 4999.4, 4999.5]) kit.attempt(String(code), () => ws.close(code));
    },
    check(browser, node) {
      assert.deepEqual(browser.log, [
        ['2999.5', 'InvalidAccessError', true, 15],
        ['2999.6', 'InvalidAccessError', true, 15],
        ['4999.4', 'ok'],
        ['4999.5', 'ok'],
      ]);
      // 2999.5 and 2999.6 round to 3000; 4999.5 ties to the even 5000.
      assert.deepEqual(node.log, [
        ['2999.5', 'ok'],
        ['2999.6', 'ok'],
        ['4999.4', 'ok'],
        ['4999.5', 'InvalidAccessError', true, 15],
      ]);
    },
  },

  'a relative URL: Chromium resolves it against the page, Node has no base URL (SyntaxError)': {
    async scenario(env, kit) {
      const ws = kit.attempt('relative', () => new env.WebSocket('/echo')) as
        | { close(): void; onerror: unknown }
        | undefined;
      if (ws !== undefined) {
        ws.onerror = () => {};
        ws.close();
      }
    },
    check(browser, node) {
      assert.deepEqual(browser.log, [['relative', 'ok']]);
      assert.deepEqual(node.log, [['relative', 'SyntaxError', true, 12]]);
    },
  },

  'a space in the host: Chromium accepts it, the WHATWG URL parser (Node) does not': {
    async scenario(env, kit) {
      const ws = kit.attempt('space', () => new env.WebSocket('ws://a b/')) as
        | { close(): void; onerror: unknown }
        | undefined;
      if (ws !== undefined) {
        ws.onerror = () => {};
        ws.close();
      }
    },
    check(browser, node) {
      assert.deepEqual(browser.log, [['space', 'ok']]);
      assert.deepEqual(node.log, [['space', 'SyntaxError', true, 12]]);
    },
  },

  'microtasks: Chromium runs them after each listener, Node after the last listener of the event': {
    async scenario(env, kit) {
      const ws = new env.WebSocket(kit.url('/echo'));
      const closed = kit.watch(ws);
      ws.addEventListener('open', () => {
        env.log.push(['first listener']);
        Promise.resolve().then(() => env.log.push(['microtask of the first listener']));
      });
      ws.addEventListener('open', () => env.log.push(['second listener']));
      await new Promise<void>((resolve) => {
        ws.addEventListener('open', () => resolve());
      });
      ws.close(1000);
      await closed;
    },
    check(browser, node) {
      const order = (log: unknown[][]) => log.map((item) => item[0]).slice(1, 4);
      assert.deepEqual(order(browser.log), [
        'first listener',
        'microtask of the first listener',
        'second listener',
      ]);
      assert.deepEqual(order(node.log), [
        'first listener',
        'second listener',
        'microtask of the first listener',
      ]);
    },
  },

  "CloseEvent's reason: Chromium keeps a lone surrogate, fullduplex makes it U+FFFD (USVString)": {
    async scenario(env) {
      const event = new env.CloseEvent('close', { reason: 'a\uD800b' }) as unknown as { reason: string };
      env.log.push(['reason', event.reason]);
    },
    check(browser, node) {
      assert.deepEqual(browser.log, [['reason', 'a\uD800b']]);
      assert.deepEqual(node.log, [['reason', 'a\uFFFDb']]);
    },
  },

  "events are not trusted: Node's Event cannot be made isTrusted from outside its core": {
    async scenario(env, kit) {
      const ws = new env.WebSocket(kit.url('/refuse'));
      await new Promise<void>((resolve) => {
        ws.onclose = (event: Event) => {
          env.log.push(['isTrusted', event.isTrusted]);
          resolve();
        };
      });
    },
    check(browser, node) {
      assert.deepEqual(browser.log, [['isTrusted', true]]);
      assert.deepEqual(node.log, [['isTrusted', false]]);
    },
  },

  "after invalid UTF-8 the client's own Close: Chromium sends 1002, fullduplex 1007 (RFC 6455 7.4.1)": {
    async scenario(env, kit) {
      await kit.watch(new env.WebSocket(kit.url('/invalid-utf8')));
    },
    check(browser, node) {
      assert.deepEqual(node.log, browser.log);
      assert.deepEqual(browser.server, [['/invalid-utf8', 1002, '', true]]);
      assert.deepEqual(node.server, [['/invalid-utf8', 1007, '', true]]);
    },
  },
};
