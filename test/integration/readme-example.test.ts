// The README's usage example must keep working: extract it, run it as a module, check what it prints.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('the README usage example runs and echoes hello', () => {
  const readme = readFileSync('README.md', 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, 'README.md has a ```ts usage block');
  // Written inside the package so that `import ... from 'fullduplex'` resolves through the exports map.
  const folder = mkdtempSync(join(process.cwd(), '.build', 'readme-'));
  try {
    const file = join(folder, 'example.mjs');
    writeFileSync(file, example);
    const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /\{ type: 'text', data: 'hello' \}/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
