// Keeps the layers honest: the protocol core stays portable and imports point one way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';

const sourceRoot = join(process.cwd(), 'src');

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) files.push(path);
  }
  return files;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
    specifiers.push(match[1] as string);
  }
  for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1] as string);
  return specifiers;
}

function layerOf(file: string): string {
  const rel = relative(sourceRoot, file);
  const first = rel.split(/[\\/]/)[0] as string;
  return first.endsWith('.ts') ? '.' : first;
}

// Which layers each layer may import (besides itself and errors.ts).
const allowed: Record<string, readonly string[]> = {
  protocol: [],
  codecs: [],
  connection: ['protocol', 'codecs'],
  node: ['protocol', 'connection'],
  server: ['protocol', 'connection', 'node', 'codecs'],
  client: ['protocol', 'connection', 'node', 'codecs'],
  hub: ['protocol', 'connection', 'node', 'server', 'client', 'codecs'],
  cli: ['protocol', 'connection', 'node', 'server', 'client', 'hub', 'codecs'],
  'hub-client': ['codecs'],
  testing: ['protocol', 'connection'],
};

describe('architecture', () => {
  const files = sourceFiles(sourceRoot);

  test('src/ has source files to check', () => {
    assert.ok(files.length > 0);
  });

  test('protocol core imports nothing from node: or packages (portable sans-I/O core)', () => {
    for (const file of files.filter((f) => layerOf(f) === 'protocol')) {
      for (const specifier of importsOf(file)) {
        assert.ok(specifier.startsWith('.'), `${relative(sourceRoot, file)} imports ${specifier}`);
      }
    }
  });

  test('the hub client (fullduplex/client) has no Node imports and runs from its own folder', () => {
    // It is loaded as plain ES modules by browsers: no node: modules, no packages, no server side, and
    // at run time nothing outside src/hub-client/ (type-only imports vanish from the emitted code).
    const clientFiles = files.filter((f) => layerOf(f) === 'hub-client');
    assert.ok(clientFiles.length > 0, 'src/hub-client/ has source files');
    for (const file of clientFiles) {
      const name = relative(sourceRoot, file);
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /\bBuffer\b|\bprocess\./, `${name} uses a Node global`);
      for (const specifier of importsOf(file)) {
        assert.ok(specifier.startsWith('.'), `${name} imports ${specifier}`);
        const target = relative(sourceRoot, join(file, '..', specifier));
        assert.ok(!/^(server|node|connection|client)[\\/]/.test(target), `${name} imports ${specifier}`);
      }
      for (const match of text.matchAll(
        /(?:^|\n)\s*(import|export)(\s+type)?[^'"]*?from\s+['"]([^'"]+)['"]/g,
      )) {
        if (match[2] !== undefined) continue;
        assert.ok((match[3] as string).startsWith('./'), `${name} loads ${match[3]} at run time`);
      }
    }
  });

  test('no source file imports a Redis library statically (they stay optional peers)', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        assert.ok(
          !['redis', 'ioredis'].includes(match[1] as string) && !(match[1] as string).startsWith('@redis/'),
          `${relative(sourceRoot, file)} imports ${match[1]}`,
        );
      }
    }
  });

  test('layers import only the layers below them', () => {
    for (const file of files) {
      const layer = layerOf(file);
      const permitted = allowed[layer];
      if (!permitted) continue;
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = join(file, '..', specifier).replace(/\.js$/, '.ts');
        const targetLayer = layerOf(target);
        if (targetLayer === layer || targetLayer === '.') continue;
        assert.ok(
          permitted.includes(targetLayer),
          `${relative(sourceRoot, file)} (${layer}) imports ${specifier} (${targetLayer})`,
        );
      }
    }
  });

  test("the connection's internals are used only by the connection and the server, never exported", () => {
    // connection/connection-internals.ts names every privileged operation on a Connection; keeping its
    // importers to these two layers (and out of every index) keeps them a short list `grep` shows.
    const importers: string[] = [];
    for (const file of files) {
      for (const specifier of importsOf(file)) {
        if (!specifier.endsWith('connection-internals.js')) continue;
        const name = relative(sourceRoot, file);
        importers.push(name);
        assert.ok(['connection', 'server'].includes(layerOf(file)), `${name} imports ${specifier}`);
        assert.ok(!name.endsWith('index.ts'), `${name} re-exports ${specifier}`);
      }
    }
    assert.ok(importers.length > 0, 'something uses connection-internals.ts (else this test checks nothing)');
  });

  test('packages outside node: are imported only where package.json lets them be missing', () => {
    // The core has no runtime dependencies: each package here is optional (or a peer) and is loaded
    // only by the file that needs it, never by what `import 'fullduplex'` pulls in.
    const optionalUsers: Record<string, string> = { 'hdr-histogram-js': 'cli/bench/latency-histogram.ts' };
    for (const file of files) {
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const user = optionalUsers[specifier];
        if (user === undefined) continue;
        assert.equal(
          relative(sourceRoot, file),
          user,
          `${specifier} is imported by ${relative(sourceRoot, file)}`,
        );
      }
    }
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    assert.equal(manifest.dependencies, undefined, 'no regular runtime dependencies');
    for (const name of Object.keys(optionalUsers)) assert.ok(manifest.optionalDependencies?.[name], name);
  });
});
