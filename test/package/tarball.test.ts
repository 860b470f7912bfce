// The package as users get it: the repository's sources are copied as a fresh clone would have them
// (no dist/), `npm pack` builds and packs them, and the tarball is installed into a new project that
// imports it, requires it, type-checks against it under `nodenext`, and runs its CLI through npx.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** What a clone holds that packing reads: no dist/, no node_modules (linked for the build tools). */
const cloned = ['package.json', 'tsconfig.json', 'LICENSE', 'README.md', 'src', 'bin', 'examples'];

describe('the npm package, packed and installed', { timeout: 120_000 }, () => {
  let work: string;
  let project: string;
  let packedFiles: string[];
  const started = new Set<ChildProcess>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fullduplex-pack-'));
    const clone = join(work, 'clone');
    mkdirSync(clone);
    for (const entry of cloned) cpSync(join(root, entry), join(clone, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    // `npm pack` runs the prepare script, which builds dist/ from src/.
    const packed = await run(npm, ['pack', '--json', '--pack-destination', work], {
      cwd: clone,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [report] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(report);
    packedFiles = report.files.map((file) => file.path);

    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await run(npm, ['install', '--no-audit', '--no-fund', join(work, report.filename)], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });
    // The type check borrows the repository's compiler and Node types instead of downloading them.
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules', 'typescript'), join(project, 'node_modules', 'typescript'), 'dir');
    symlinkSync(
      join(root, 'node_modules', '@types', 'node'),
      join(project, 'node_modules', '@types', 'node'),
      'dir',
    );
  });

  after(() => {
    for (const child of started) if (child.pid) process.kill(-child.pid, 'SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('ships the build, its sources (every source map resolves), LICENSE and the CLI; no tests', () => {
    for (const file of ['LICENSE', 'README.md', 'bin/fullduplex.js', 'dist/index.js', 'dist/index.d.ts']) {
      assert.ok(packedFiles.includes(file), `${file} is packed`);
    }
    assert.ok(!packedFiles.some((file) => file.startsWith('test/') || file.startsWith('docs/')));
    const maps = packedFiles.filter((file) => file.endsWith('.js.map'));
    assert.ok(maps.length > 10, `${maps.length} source maps`);
    const installed = join(project, 'node_modules', 'fullduplex');
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = join(map, '..', source);
        assert.ok(packedFiles.includes(target), `${map} points at ${source}, which is packed`);
      }
    }
  });

  test('ESM import and require() both load the package and its protocol entry, and they work', async () => {
    const exercise = `
      const server = new WebSocketServer({
        onConnection: (connection) => connection.onMessage((message) => connection.send(message.data)),
      });
      const address = await server.listen(0, '127.0.0.1');
      const client = await connect('ws://127.0.0.1:' + address.port + '/');
      const reply = new Promise((resolve) => client.onMessage((message) => resolve(message.data)));
      client.send('round trip');
      console.log(await reply, typeof FrameParser);
      await client.close(1000);
      await server.close();`;
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { WebSocketServer, connect } from 'fullduplex';
       import { FrameParser } from 'fullduplex/protocol';
       ${exercise}`,
    );
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { WebSocketServer, connect } = require('fullduplex');
       const { FrameParser } = require('fullduplex/protocol');
       (async () => { ${exercise} })();`,
    );
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const { stdout } = await run(process.execPath, [file], { cwd: project, timeout: 20_000 });
      assert.equal(stdout, 'round trip function\n', file);
    }
  });

  test('every entry point of the exports map loads with import and with require', async () => {
    const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const entries = Object.keys(exports)
      .filter((entry) => entry !== './package.json')
      .map((entry) => `fullduplex${entry.slice(1)}`);
    assert.ok(entries.length >= 2, entries.join());
    const script = `
      (async () => {
        for (const entry of ${JSON.stringify(entries)}) {
          const imported = Object.keys(await import(entry)).length;
          const required = Object.keys(require(entry)).length;
          console.log(entry, imported > 0 && imported === required);
        }
      })();`;
    writeFileSync(join(project, 'entries.cjs'), script);
    const { stdout } = await run(process.execPath, ['entries.cjs'], { cwd: project, timeout: 20_000 });
    assert.equal(stdout, entries.map((entry) => `${entry} true\n`).join(''));
  });

  test('the types check under "module": "nodenext" from ESM and CommonJS files alike', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['types.mts', 'types.cts'],
      }),
    );
    const body = `
      const server = new WebSocketServer({ onConnection: (connection: Connection) => connection.close(1000) });
      const parser: FrameParser | undefined = undefined;
      export const checks: [WebSocketServer, FrameParser | undefined, typeof connect] = [server, parser, connect];`;
    writeFileSync(
      join(project, 'types.mts'),
      `import { type Connection, WebSocketServer, connect } from 'fullduplex';
       import type { FrameParser } from 'fullduplex/protocol';${body}`,
    );
    writeFileSync(
      join(project, 'types.cts'),
      `import { type Connection, WebSocketServer, connect } from 'fullduplex';
       import type { FrameParser } from 'fullduplex/protocol';${body}`,
    );
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch(
      (error: { stdout: string }) => assert.fail(`tsc failed:\n${error.stdout}`),
    );
    assert.equal(result.stdout, '');
  });

  test('npx fullduplex --version prints the package version', async () => {
    const { stdout } = await run(npx, ['--no-install', 'fullduplex', '--version'], { cwd: project });
    assert.equal(stdout, `${manifest.version}\n`);
  });

  test('npx fullduplex bench measures npx fullduplex serve, replies verified', async () => {
    // Own process groups: npx runs the CLI as its child, and the whole group is stopped together.
    const serve = spawn(npx, ['--no-install', 'fullduplex', 'serve', '--port', '0'], {
      cwd: project,
      detached: true,
    });
    started.add(serve);
    const [first] = (await once(createInterface({ input: serve.stdout }), 'line')) as [string];
    const url = /^listening (ws:\/\/127\.0\.0\.1:\d+\/)$/.exec(first)?.[1];
    assert.ok(url, first);
    const { stdout } = await run(
      npx,
      ['--no-install', 'fullduplex', 'bench', url, '--duration', '1', '--connections', '2', '--json'],
      { cwd: project, timeout: 30_000 },
    );
    const report = JSON.parse(stdout) as {
      messages: number;
      mismatches: number;
      closes: unknown[];
      latencyMs: Record<string, number>;
    };
    assert.ok(report.messages > 0, stdout);
    assert.equal(report.mismatches, 0);
    assert.deepEqual(report.closes, []);
    assert.ok((report.latencyMs.p50 ?? 0) > 0);
    const exited = once(serve, 'exit');
    process.kill(-(serve.pid as number), 'SIGTERM');
    await exited;
    started.delete(serve);
  });
});
