// docs/testing.md: the example runs as written against 'fullduplex/testing' (through the package's
// exports map), and it fails when the behaviour it checks is broken.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

function example(): string {
  const blocks = [...readFileSync('docs/testing.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 1, 'one example');
  return (blocks[0] as RegExpMatchArray)[1] as string;
}

// Inside the package, so that `from 'fullduplex/testing'` resolves to dist/.
const folder = mkdtempSync(join(process.cwd(), '.build', 'testing-guide-'));
after(() => rmSync(folder, { recursive: true, force: true }));

async function runTests(name: string, code: string): Promise<{ code: number; output: string }> {
  const file = join(folder, name);
  writeFileSync(file, code);
  try {
    // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of stdout.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const { stdout } = await run(
      process.execPath,
      ['--test', '--test-reporter=tap', '--test-timeout=10000', file],
      {
        env,
        timeout: 30_000,
      },
    );
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, output: failed.stdout ?? '' };
  }
}

describe('docs/testing.md', () => {
  test('the example passes as written, and exits by itself', async () => {
    const { code, output } = await runTests('example.test.mjs', example());
    assert.equal(code, 0, output);
    assert.match(output, /^# pass 3$/m);
    assert.match(output, /^# fail 0$/m);
  });

  test('the example fails when the handler stops using latest-by-key or the client keeps answering', async () => {
    const broken = example()
      .replace("backpressure: 'latest-by-key'", "backpressure: 'wait'")
      .replace('client: { autoPong: false }', 'client: { autoPong: true }');
    const { code, output } = await runTests('broken.test.mjs', broken);
    assert.notEqual(code, 0, output);
    assert.match(output, /^# pass 1$/m);
    assert.match(output, /^# fail 2$/m);
  });
});
