import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocketError } from '../../../../src/errors.js';
import { parseExtensionHeader } from '../../../../src/protocol/extensions/extension-header.js';
import {
  acceptDeflateOffers,
  acceptDeflateResponse,
  deflateOffer,
  type PerMessageDeflateOptions,
} from '../../../../src/protocol/extensions/permessage-deflate.js';

/** The server's answer to a request header, as the response string, or null when declined. */
function answer(header: string, options?: PerMessageDeflateOptions): string | null {
  return acceptDeflateOffers(parseExtensionHeader(header), options)?.response ?? null;
}

function agreed(header: string, options?: PerMessageDeflateOptions) {
  const agreement = acceptDeflateOffers(parseExtensionHeader(header), options);
  assert.ok(agreement);
  return agreement.params;
}

function clientAccepts(response: string, options?: PerMessageDeflateOptions) {
  return acceptDeflateResponse(parseExtensionHeader(response), options);
}

function assertClientFails(response: string, options?: PerMessageDeflateOptions): void {
  assert.throws(
    () => clientAccepts(response, options),
    (error: unknown) => error instanceof WebSocketError && error.code === 'ERR_EXTENSION',
  );
}

const DEFAULTS = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

describe('server: accepting an offer (RFC 7692 7.1)', () => {
  test('a bare offer is accepted with a bare response and full windows', () => {
    assert.equal(answer('permessage-deflate'), 'permessage-deflate');
    assert.deepEqual(agreed('permessage-deflate'), DEFAULTS);
  });

  test("Chromium's offer (client_max_window_bits without a value)", () => {
    assert.equal(answer('permessage-deflate; client_max_window_bits'), 'permessage-deflate');
    assert.deepEqual(agreed('permessage-deflate; client_max_window_bits'), DEFAULTS);
  });

  test('server_no_context_takeover offered: the response MUST carry it (7.1.1.1)', () => {
    assert.equal(
      answer('permessage-deflate; server_no_context_takeover'),
      'permessage-deflate; server_no_context_takeover',
    );
    assert.equal(agreed('permessage-deflate; server_no_context_takeover').serverNoContextTakeover, true);
  });

  test('server_no_context_takeover unasked when the server option is set (7.1.1.1 MAY)', () => {
    assert.equal(
      answer('permessage-deflate', { serverNoContextTakeover: true }),
      'permessage-deflate; server_no_context_takeover',
    );
  });

  test('client_no_context_takeover offered is confirmed, so the server may pool its inflater (7.1.1.2)', () => {
    assert.equal(
      answer('permessage-deflate; client_no_context_takeover'),
      'permessage-deflate; client_no_context_takeover',
    );
    assert.equal(agreed('permessage-deflate; client_no_context_takeover').clientNoContextTakeover, true);
  });

  test('client_no_context_takeover required by the server option even when not offered (7.1.1.2)', () => {
    assert.equal(
      answer('permessage-deflate', { clientNoContextTakeover: true }),
      'permessage-deflate; client_no_context_takeover',
    );
  });

  test('server_max_window_bits offered: echoed, or lowered to the server option (7.1.2.1)', () => {
    assert.equal(
      answer('permessage-deflate; server_max_window_bits=10'),
      'permessage-deflate; server_max_window_bits=10',
    );
    assert.equal(
      answer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 9 }),
      'permessage-deflate; server_max_window_bits=9',
    );
    assert.equal(
      answer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 }),
      'permessage-deflate; server_max_window_bits=10',
    );
    assert.equal(agreed('permessage-deflate; server_max_window_bits=8').serverMaxWindowBits, 8);
  });

  test('server_max_window_bits unasked when the server option is below 15 (7.1.2.1 MAY)', () => {
    assert.equal(
      answer('permessage-deflate', { serverMaxWindowBits: 11 }),
      'permessage-deflate; server_max_window_bits=11',
    );
    assert.equal(answer('permessage-deflate', { serverMaxWindowBits: 15 }), 'permessage-deflate');
  });

  test('client_max_window_bits with a value is echoed, or lowered to the server option (7.1.2.2)', () => {
    assert.equal(
      answer('permessage-deflate; client_max_window_bits=12'),
      'permessage-deflate; client_max_window_bits=12',
    );
    assert.equal(
      answer('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }),
      'permessage-deflate; client_max_window_bits=10',
    );
    assert.equal(agreed('permessage-deflate; client_max_window_bits=12').clientMaxWindowBits, 12);
  });

  test('client_max_window_bits without a value takes the server option (7.1.2.2)', () => {
    assert.equal(
      answer('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 9 }),
      'permessage-deflate; client_max_window_bits=9',
    );
    assert.equal(
      agreed('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 9 }).clientMaxWindowBits,
      9,
    );
  });

  test('client_max_window_bits is never sent when the offer lacks it (7.1.2.2 MUST NOT)', () => {
    assert.equal(answer('permessage-deflate', { clientMaxWindowBits: 9 }), 'permessage-deflate');
    assert.equal(agreed('permessage-deflate', { clientMaxWindowBits: 9 }).clientMaxWindowBits, 15);
  });

  test('every parameter at once, in a fixed order', () => {
    const header =
      'permessage-deflate; client_max_window_bits=11; server_max_window_bits=12; client_no_context_takeover; server_no_context_takeover';
    assert.equal(
      answer(header),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11',
    );
    assert.deepEqual(agreed(header), {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 11,
    });
  });

  test('quoted values are accepted after unquoting (7.1)', () => {
    assert.equal(
      answer('permessage-deflate; server_max_window_bits="10"'),
      'permessage-deflate; server_max_window_bits=10',
    );
  });

  test('several offers: the first acceptable one wins', () => {
    assert.equal(
      answer('permessage-deflate; server_max_window_bits=10, permessage-deflate'),
      'permessage-deflate; server_max_window_bits=10',
    );
    assert.equal(
      answer('permessage-deflate; foo, permessage-deflate; client_no_context_takeover, permessage-deflate'),
      'permessage-deflate; client_no_context_takeover',
    );
  });

  test('other extensions are skipped', () => {
    assert.equal(
      answer('x-webkit-deflate-frame, permessage-deflate; client_max_window_bits'),
      'permessage-deflate',
    );
    assert.equal(answer('x-webkit-deflate-frame'), null);
  });

  test('invalid offers are declined (7.1 MUST decline), and none acceptable means no compression', () => {
    const invalid = [
      'permessage-deflate; foo', // unknown parameter
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover', // duplicated
      'permessage-deflate; client_max_window_bits; client_max_window_bits=10', // duplicated, mixed forms
      'permessage-deflate; server_no_context_takeover=1', // value where none is allowed
      'permessage-deflate; client_no_context_takeover=true',
      'permessage-deflate; server_max_window_bits', // needs a value
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=010', // leading zero
      'permessage-deflate; client_max_window_bits=0',
      'permessage-deflate; client_max_window_bits=abc',
      'permessage-deflate; client_max_window_bits=1.5',
    ];
    for (const header of invalid) assert.equal(answer(header), null, header);
    assert.equal(answer(invalid.join(', ')), null);
    assert.equal(answer(`${invalid.join(', ')}, permessage-deflate`), 'permessage-deflate');
  });

  test('invalid server options are refused with ERR_INVALID_ARGUMENT', () => {
    for (const options of [
      { serverMaxWindowBits: 7 },
      { clientMaxWindowBits: 16 },
      { level: 10 },
      { memLevel: 0 },
      { threshold: -1 },
      { serverMaxWindowBits: 9.5 },
    ]) {
      assert.throws(
        () => answer('permessage-deflate', options),
        (error: unknown) => error instanceof WebSocketError && error.code === 'ERR_INVALID_ARGUMENT',
      );
    }
  });
});

describe('client: building the offer (RFC 7692 7.1)', () => {
  test('the default offer declares support for client_max_window_bits, as browsers do', () => {
    assert.equal(deflateOffer(), 'permessage-deflate; client_max_window_bits');
  });

  test('every option maps to its parameter', () => {
    assert.equal(
      deflateOffer({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 9,
      }),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
  });

  test('the offer is one a server accepts, and both sides agree', () => {
    const options = { serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 };
    const agreement = acceptDeflateOffers(parseExtensionHeader(deflateOffer(options)));
    assert.ok(agreement);
    assert.deepEqual(clientAccepts(agreement.response, options), agreement.params);
  });

  test('invalid client options are refused', () => {
    assert.throws(() => deflateOffer({ clientMaxWindowBits: 20 }), WebSocketError);
  });
});

describe("client: checking the server's response (RFC 7692 7.1)", () => {
  test('no permessage-deflate in the response: the server declined, no compression', () => {
    assert.equal(acceptDeflateResponse([]), null);
    assert.equal(clientAccepts('x-other'), null);
  });

  test('a bare response: context takeover and full windows both ways', () => {
    assert.deepEqual(clientAccepts('permessage-deflate'), DEFAULTS);
  });

  test('server_no_context_takeover and client_no_context_takeover in the response are honoured unasked', () => {
    assert.deepEqual(
      clientAccepts('permessage-deflate; server_no_context_takeover; client_no_context_takeover'),
      {
        ...DEFAULTS,
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
      },
    );
  });

  test('client_no_context_takeover offered: the client resets even when the response omits it', () => {
    assert.equal(
      clientAccepts('permessage-deflate', { clientNoContextTakeover: true })?.clientNoContextTakeover,
      true,
    );
  });

  test('server_max_window_bits in the response sets the inflate window', () => {
    assert.equal(clientAccepts('permessage-deflate; server_max_window_bits=9')?.serverMaxWindowBits, 9);
    assert.equal(
      clientAccepts('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 10 })
        ?.serverMaxWindowBits,
      9,
    );
  });

  test('client_max_window_bits in the response limits the client, never above its own option', () => {
    assert.equal(clientAccepts('permessage-deflate; client_max_window_bits=10')?.clientMaxWindowBits, 10);
    assert.equal(clientAccepts('permessage-deflate; client_max_window_bits=8')?.clientMaxWindowBits, 8);
    assert.equal(clientAccepts('permessage-deflate', { clientMaxWindowBits: 11 })?.clientMaxWindowBits, 11);
    assert.equal(
      clientAccepts('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 11 })
        ?.clientMaxWindowBits,
      9,
    );
  });

  test('a response that breaks 7.1 fails the connection', () => {
    assertClientFails('permessage-deflate; foo'); // unknown parameter
    assertClientFails('permessage-deflate; server_no_context_takeover; server_no_context_takeover'); // duplicated
    assertClientFails('permessage-deflate; server_no_context_takeover=x');
    assertClientFails('permessage-deflate; server_max_window_bits'); // needs a value
    assertClientFails('permessage-deflate; server_max_window_bits=16');
    assertClientFails('permessage-deflate; client_max_window_bits'); // needs a value in a response
    assertClientFails('permessage-deflate; client_max_window_bits=7');
    assertClientFails('permessage-deflate, permessage-deflate'); // accepted twice
  });

  test('a response that ignores what was offered fails the connection', () => {
    // 7.1.1.1: an offered server_no_context_takeover is accepted by including it.
    assertClientFails('permessage-deflate', { serverNoContextTakeover: true });
    // 7.1.2.1: an offered server_max_window_bits is accepted with the same or a smaller value.
    assertClientFails('permessage-deflate', { serverMaxWindowBits: 10 });
    assertClientFails('permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 });
    // 7.1.2.2: the server may only lower the client's window below what the client offered.
    assertClientFails('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 11 });
  });
});
