// The CLI's command line as people mistype it: versions, usage on mistakes, `fullduplex:` on errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('fullduplex command line', () => {
  test('--version and -V print the package version and exit 0', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${manifest.version}\n`);
    }
  });

  test('no command prints the usage on stderr and exits 2; --help prints it on stdout and exits 0', async () => {
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: fullduplex <command>/);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /serve .*\n.*connect .*\n.*bench /);
  });

  test('an unknown command is an error that starts with fullduplex: and exits 2', async () => {
    const result = await runCli(['serf']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^fullduplex: unknown command: serf\n/);
  });

  for (const command of ['serve', 'connect', 'bench']) {
    test(`an unknown flag on ${command} prints ${command}'s usage and exits 2`, async () => {
      const result = await runCli([command, '--no-such-flag']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^fullduplex: unknown option --no-such-flag\n\nUsage: fullduplex (\w+) /);
      assert.equal(/Usage: fullduplex (\w+)/.exec(result.stderr)?.[1], command);
      assert.match(result.stderr, /\n {2}-h, --help +show this help/);
    });
  }

  test('numeric flags are validated with a message naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['serve', '--max-payload', '-5'],
        /^fullduplex: --max-payload must be a non-negative integer, got "-5"\n/,
      ],
      [['serve', '--port', '70000'], /^fullduplex: --port must be an integer from 0 to 65535, got 70000\n/],
      [
        ['serve', '--ping-interval', '1s'],
        /^fullduplex: --ping-interval must be a non-negative integer, got "1s"\n/,
      ],
      [
        ['bench', 'ws://127.0.0.1:1/', '--connections', '0'],
        /^fullduplex: --connections must be an integer from 1 to 10000, got 0\n/,
      ],
      [['bench', 'ws://127.0.0.1:1/', '--duration'], /^fullduplex: --duration needs a value \(SECONDS\)\n/],
      [
        ['serve', '--mode', 'relay'],
        /^fullduplex: --mode must be one of echo, broadcast, hub, got "relay"\n/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
  });

  test('runtime failures start with fullduplex: and exit 1', async () => {
    const refused = await runCli(['connect', 'ws://127.0.0.1:1/']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^fullduplex: .*(ECONNREFUSED|refused)/i);
    const missing = await runCli([
      'serve',
      '--port',
      '0',
      '--tls-cert',
      '/nonexistent/cert.pem',
      '--tls-key',
      '/nonexistent/key.pem',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^fullduplex: cannot read --tls-cert \/nonexistent\/cert\.pem: ENOENT\n$/);
  });

  test('serve --help says it binds 127.0.0.1 by default and how to listen on every interface', async () => {
    const result = await runCli(['serve', '--help']);
    assert.equal(result.code, 0);
    assert.match(
      result.stdout,
      /It binds 127\.0\.0\.1 unless\s+--host says otherwise: in a container, pass --host 0\.0\.0\.0/,
    );
    assert.match(
      result.stdout,
      /--host H +address to bind; the default takes local connections only .*\(default: 127\.0\.0\.1\)/,
    );
  });

  test('--tls-cert without --tls-key is a usage error', async () => {
    const result = await runCli(['serve', '--tls-cert', 'cert.pem']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^fullduplex: --tls-cert and --tls-key go together/);
  });
});
