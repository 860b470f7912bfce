// `fullduplex connect` as a person runs it, against `fullduplex serve`.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';

const bin = new URL('../../../bin/fullduplex.js', import.meta.url).pathname;

function run(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, stdout, stderr };
  });
}

describe('fullduplex connect', () => {
  let server: ChildProcessWithoutNullStreams;
  let url: string;

  before(async () => {
    server = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0']);
    const [first] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
    url = first.replace(/^listening /, '');
  });

  after(() => {
    server.kill('SIGKILL');
  });

  test('connect sends each stdin line, prints each message, closes with 1000 at end of input', async () => {
    const result = await run(['connect', url], 'hello\nsecond line\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello\nsecond line\n');
    assert.match(result.stderr, /^connected/m);
    assert.match(result.stderr, /closed: 1000/);
  });

  test('connect --binary prints binary messages as hex', async () => {
    const result = await run(['connect', '--binary', url], 'AB\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '4142\n');
  });

  test('connect to a refused address exits non-zero with a message that says why', async () => {
    const result = await run(['connect', 'ws://127.0.0.1:1/']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ECONNREFUSED|refused/i);
  });
});
