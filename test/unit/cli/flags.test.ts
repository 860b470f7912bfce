import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FlagTable, formatFlagHelp, parseFlags, UsageError } from '../../../src/cli/flags.js';

const table = {
  port: { type: 'integer', placeholder: 'P', default: 8080, max: 65535, help: 'port' },
  connections: { type: 'integer', default: 10, min: 1, max: 100, help: 'connections' },
  wait: { type: 'number', placeholder: 'SECONDS', help: 'wait' },
  mode: { type: 'string', choices: ['echo', 'broadcast'], default: 'echo', help: 'mode' },
  header: { type: 'string', multiple: true, help: 'header' },
  verbose: { type: 'boolean', short: 'v', help: 'verbose' },
  old: { type: 'string', hidden: true, help: 'old spelling' },
} as const satisfies FlagTable;

function usageMessage(argv: string[], positionals = 0): string {
  try {
    parseFlags(argv, table, positionals);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`${argv.join(' ')} parsed without an error`);
}

describe('parseFlags', () => {
  test('defaults come typed from the table; absent repeatable flags are empty lists', () => {
    const { flags, positionals } = parseFlags([], table);
    assert.deepEqual(flags, {
      port: 8080,
      connections: 10,
      wait: undefined,
      mode: 'echo',
      header: [],
      verbose: false,
      old: undefined,
    });
    assert.deepEqual(positionals, []);
  });

  test('--name value, --name=value, short booleans, repeats and positionals', () => {
    const { flags, positionals } = parseFlags(
      [
        '--port',
        '0',
        'ws://x/',
        '--mode=broadcast',
        '-v',
        '--header',
        'a: 1',
        '--header=b: 2',
        '--wait',
        '0.5',
      ],
      table,
      1,
    );
    assert.equal(flags.port, 0);
    assert.equal(flags.mode, 'broadcast');
    assert.equal(flags.verbose, true);
    assert.deepEqual(flags.header, ['a: 1', 'b: 2']);
    assert.equal(flags.wait, 0.5);
    assert.deepEqual(positionals, ['ws://x/']);
  });

  test('a value flag takes the next argument even when it starts with a dash, then validates it', () => {
    assert.equal(usageMessage(['--port', '-5']), '--port must be an integer from 0 to 65535, got "-5"');
    assert.equal(usageMessage(['--port', '65536']), '--port must be an integer from 0 to 65535, got 65536');
    assert.equal(
      usageMessage(['--connections', '0']),
      '--connections must be an integer from 1 to 100, got 0',
    );
    assert.equal(usageMessage(['--wait', '1e3']), '--wait must be a non-negative number, got "1e3"');
    assert.equal(usageMessage(['--port', '1.5']), '--port must be an integer from 0 to 65535, got "1.5"');
    assert.equal(
      usageMessage(['--port', '99999999999999999999']),
      '--port must be an integer from 0 to 65535, got "99999999999999999999"',
    );
  });

  test('mistakes name the flag: unknown, missing value, value on a boolean, bad choice, extra argument', () => {
    assert.equal(usageMessage(['--nope']), 'unknown option --nope');
    assert.equal(usageMessage(['-x']), 'unknown option -x');
    assert.equal(usageMessage(['--port']), '--port needs a value (P)');
    assert.equal(usageMessage(['--verbose=yes']), '--verbose takes no value');
    assert.equal(usageMessage(['--mode', 'hub']), '--mode must be one of echo, broadcast, got "hub"');
    assert.equal(usageMessage(['a', 'b'], 1), 'unexpected argument: b');
  });

  test('-- ends the options: what follows is positional', () => {
    assert.deepEqual(parseFlags(['--', '--port'], table, 1).positionals, ['--port']);
  });

  test('the last of a repeated single-value flag wins', () => {
    assert.equal(parseFlags(['--port', '1', '--port', '2'], table).flags.port, 2);
  });
});

describe('formatFlagHelp', () => {
  test('one aligned line per visible flag with its placeholder, choices and default', () => {
    const lines = formatFlagHelp(table).split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0] as string, /^ {2}--port P +port \(default: 8080\)$/);
    assert.match(lines[3] as string, /^ {2}--mode echo\|broadcast +mode \(default: echo\)$/);
    assert.match(lines[4] as string, /--header +header \(repeatable\)$/);
    assert.match(lines[5] as string, /^ {2}-v, --verbose +verbose$/);
    const column = (lines[0] as string).indexOf('port (');
    for (const line of lines) assert.equal(line.length > column, true);
  });
});
