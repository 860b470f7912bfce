#!/usr/bin/env node
// A small mutation check: each entry below breaks one behaviour the tests claim to cover (a one-line
// change found by its text, not its line number), rebuilds, runs the test files that name that
// behaviour, and expects them to FAIL. A mutation the tests survive is a test that cannot fail on
// what it names.
//
// The work happens in a copy of the tree in the temp directory: the source itself is never
// changed, so an interrupted or failed run leaves nothing to restore. The copy is removed on exit,
// Ctrl-C included.
//
// Usage: node scripts/mutation-check.js [--list] [name substring ...]     (npm run mutation)
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `find` must occur exactly once in `file` (a string, or a RegExp without the g flag); it becomes
 * `replace`. `tests` are run-tests.js filters: the files expected to fail.
 */
const MUTATIONS = [
  {
    name: 'client: the servername option is ignored (no SNI; the URL host is checked)',
    file: 'src/client/connect.ts',
    find: '...(options.servername === undefined ? {} : { servername: options.servername }),',
    replace: '',
    tests: ['integration/client.test'],
  },
  {
    name: 'client: rejectUnauthorized is ignored (always verify)',
    file: 'src/client/connect.ts',
    find: 'rejectUnauthorized: options.rejectUnauthorized ?? true,',
    replace: 'rejectUnauthorized: true,',
    tests: ['integration/client.test'],
  },
  {
    name: 'client: credentials are dropped on every redirect, same origin too',
    file: 'src/client/connect.ts',
    find: 'if (next.url.origin !== target.url.origin) headers = withoutCredentials(headers);',
    replace: 'headers = withoutCredentials(headers);',
    tests: ['integration/client.test'],
  },
  {
    name: 'client: credentials are kept on a redirect to another origin',
    file: 'src/client/connect.ts',
    find: 'if (next.url.origin !== target.url.origin) headers = withoutCredentials(headers);',
    replace: '',
    tests: ['integration/client.test'],
  },
  {
    name: 'client: https: URLs are not mapped to wss: (plain ws: instead)',
    file: 'src/client/parse-web-socket-url.ts',
    find: "else if (url.protocol === 'https:') url.protocol = 'wss:';",
    replace: "else if (url.protocol === 'https:') url.protocol = 'ws:';",
    tests: ['integration/client.test'],
  },
  {
    name: 'client: HTTP_PROXY / HTTPS_PROXY from the environment are ignored',
    file: 'src/client/proxy-for-url.ts',
    find: /const value = target\.secure \? \(env\.https_proxy \?\? env\.HTTPS_PROXY\) : \(env\.http_proxy \?\? env\.HTTP_PROXY\);/,
    replace: 'const value = undefined as string | undefined;',
    tests: ['integration/client-proxy'],
  },
  {
    name: 'client: NO_PROXY is ignored',
    file: 'src/client/proxy-for-url.ts',
    find: "if (noProxyMatches(env.no_proxy ?? env.NO_PROXY ?? '', target.hostname, target.port)) return undefined;",
    replace: '',
    tests: ['integration/client-proxy'],
  },
  {
    name: 'client: the lookup option is ignored',
    file: 'src/client/open-socket.ts',
    find: '...(lookup === undefined ? {} : { lookup })',
    replace: '',
    tests: ['integration/client-proxy'],
  },
  {
    name: 'outbound bound: a policy acts AT maxBufferedBytes (`>` -> `>=`)',
    file: 'src/connection/outbound.ts',
    find: 'return this.#bufferedAmount() > this.#settings.maxBufferedBytes;',
    replace: 'return this.#bufferedAmount() >= this.#settings.maxBufferedBytes;',
    tests: ['unit/connection/backpressure-boundary', 'integration/connection-backpressure'],
  },
  {
    name: 'outbound bound: a policy acts only one byte past maxBufferedBytes (`>` -> `> 1 +`)',
    file: 'src/connection/outbound.ts',
    find: 'return this.#bufferedAmount() > this.#settings.maxBufferedBytes;',
    replace: 'return this.#bufferedAmount() > 1 + this.#settings.maxBufferedBytes;',
    tests: ['unit/connection/backpressure-boundary', 'integration/connection-backpressure'],
  },
  {
    name: "send()'s answer: false AT maxBufferedBytes (`<=` -> `<`)",
    file: 'src/connection/connection.ts',
    find: /this\.bufferedAmount <= this\.#settings\.maxBufferedBytes\)/,
    replace: 'this.bufferedAmount < this.#settings.maxBufferedBytes)',
    tests: ['unit/connection/backpressure-boundary', 'integration/connection-backpressure'],
  },
  {
    name: 'drained(): waits AT maxBufferedBytes (`>` -> `>=`)',
    file: 'src/connection/connection.ts',
    find: /#isOverBound\(\): boolean \{\n(\s*)return this\.bufferedAmount > this\.#settings\.maxBufferedBytes;/,
    replace: '#isOverBound(): boolean {\n$1return this.bufferedAmount >= this.#settings.maxBufferedBytes;',
    tests: ['unit/connection/backpressure-boundary', 'integration/connection-backpressure'],
  },
  {
    name: 'stream writer: waits AT maxBufferedBytes (`>` -> `>=`)',
    file: 'src/connection/outbound.ts',
    find: 'return this.queue.bytes + this.#transport.writableLength > this.#settings.maxBufferedBytes;',
    replace: 'return this.queue.bytes + this.#transport.writableLength >= this.#settings.maxBufferedBytes;',
    tests: ['unit/connection/backpressure-boundary', 'integration/connection-streams'],
  },
  {
    name: 'WebSocket: bufferedAmount falls within the task that sent (a microtask, not a task)',
    file: 'src/client/web-socket/outgoing-messages.ts',
    find: 'setImmediate(() => {',
    replace: 'queueMicrotask(() => {',
    tests: ['integration/web-socket-class'],
  },
  {
    name: 'WebSocket: reading paused for queued message events never resumes',
    file: 'src/client/web-socket/incoming-messages.ts',
    find: 'this.#connection?.resume();',
    replace: '',
    tests: ['integration/web-socket-class'],
  },
  {
    name: 'WebSocket: sends after a Blob go out before it',
    file: 'src/client/web-socket/outgoing-messages.ts',
    find: "this.#waiting.push({ data: typeof data === 'string' ? data : Buffer.from(data), binary, size });",
    replace: 'this.#transmit(data, binary, size);',
    tests: ['integration/web-socket-class'],
  },
  {
    name: 'WebSocket: a message that arrives after close() still gets its event',
    file: 'src/client/web-socket/web-socket.ts',
    find: 'if (this.#readyState !== OPEN) return;',
    replace: '',
    tests: ['integration/web-socket-class'],
  },
  {
    name: 'WebSocket: a failed connection reports its own code, not 1006, and no error event',
    file: 'src/client/web-socket/close-outcome.ts',
    find: /if \(!info\.wasClean\) \{\s*return \{\s*code: 1006,\s*reason: '',\s*wasClean: false,\s*failed: true,/,
    replace:
      'if (!info.wasClean) {\n    return {\n      code: info.code,\n      reason: info.reason,\n      wasClean: false,\n      failed: false,',
    tests: ['integration/web-socket-class'],
  },
  {
    name: 'WebSocket: send() while CONNECTING does not throw',
    file: 'src/client/web-socket/web-socket.ts',
    find: /if \(this\.#readyState === CONNECTING\) \{(\s*)throw domException\(\s*'InvalidStateError'/,
    replace: "if (this.#readyState === CONNECTING && false) {$1throw domException('InvalidStateError'",
    tests: ['interop/web-socket-class'],
  },
  {
    name: 'WebSocket: [Clamp] truncates instead of rounding ties to even',
    file: 'src/client/web-socket/web-idl.ts',
    find: 'return floor % 2 === 0 ? floor : floor + 1;',
    replace: 'return floor;',
    tests: ['unit/client/web-socket/web-idl', 'interop/web-socket-class'],
  },
  {
    name: 'WebSocket: an empty fragment ("#") is accepted',
    file: 'src/client/web-socket/web-idl.ts',
    find: "if (url.hash !== '' || url.href.endsWith('#')) {",
    replace: "if (url.hash !== '') {",
    tests: ['unit/client/web-socket/web-idl', 'interop/web-socket-class'],
  },
  {
    name: 'WebSocket: repeated subprotocols are accepted',
    file: 'src/client/web-socket/web-idl.ts',
    find: 'if (seen.has(protocol)) {',
    replace: 'if (seen.has(protocol) && false) {',
    tests: ['unit/client/web-socket/web-idl', 'interop/web-socket-class'],
  },
];

const args = process.argv.slice(2);
const filters = args.filter((arg) => !arg.startsWith('--'));
const selected = MUTATIONS.filter(
  (mutation) => filters.length === 0 || filters.some((filter) => mutation.name.includes(filter)),
);
if (args.includes('--list')) {
  for (const mutation of MUTATIONS)
    console.log(`${mutation.name}\n    ${mutation.file} -> ${mutation.tests.join(' ')}`);
  process.exit(0);
}
if (selected.length === 0) {
  console.error('mutation-check: no mutation matches', filters.join(' '));
  process.exit(2);
}

/** The source with `mutation` applied; throws naming the file and pattern when it is not found exactly once. */
function mutate(source, mutation) {
  const pattern =
    typeof mutation.find === 'string'
      ? new RegExp(mutation.find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
      : new RegExp(mutation.find.source, `${mutation.find.flags}g`);
  const count = source.match(pattern)?.length ?? 0;
  if (count !== 1) {
    throw new Error(
      `${mutation.file}: the pattern for "${mutation.name}" is found ${count} times (expected once): ${pattern}. ` +
        'The source moved: update MUTATIONS in scripts/mutation-check.js.',
    );
  }
  pattern.lastIndex = 0;
  return typeof mutation.find === 'string'
    ? source.replace(pattern, () => mutation.replace)
    : source.replace(pattern, mutation.replace);
}

// Check every pattern against the real source before any work: a stale list fails at once and clearly.
const originals = new Map();
let stale = false;
for (const mutation of selected) {
  if (!originals.has(mutation.file))
    originals.set(mutation.file, readFileSync(join(root, mutation.file), 'utf8'));
  try {
    mutate(originals.get(mutation.file), mutation);
  } catch (error) {
    console.error(`mutation-check: ${error.message}`);
    stale = true;
  }
}
if (stale) process.exit(2);

const work = mkdtempSync(join(tmpdir(), 'fullduplex-mutation-'));
let child = null;
const cleanUp = () => {
  if (child !== null && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nmutation-check: ${signal}, stopping (the source was never changed)`);
    process.exit(130);
  });
}

const skipped = new Set(['node_modules', '.git', '.build', 'dist']);
cpSync(root, work, {
  recursive: true,
  filter: (path) => !skipped.has(relative(root, path).split(/[\\/]/)[0] ?? ''),
});
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');

/** Runs a command in the copy (its own process group, so that a stop reaches its children). */
function run(command, commandArgs, { quiet = true, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolvePromise) => {
    let output = '';
    child = spawn(command, commandArgs, {
      cwd: work,
      detached: true,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk) => {
      output += chunk;
      if (!quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output });
    });
  });
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
async function build() {
  for (const project of ['tsconfig.json', 'tsconfig.test.json']) {
    const result = await run(process.execPath, [
      tsc,
      '-p',
      project,
      '--incremental',
      '--tsBuildInfoFile',
      `.mutation-${project}.tsbuildinfo`,
    ]);
    if (result.code !== 0) return result;
  }
  return { code: 0, output: '' };
}

const testFiles = (tests) => run(process.execPath, ['scripts/run-tests.js', ...tests]);

const allTests = [...new Set(selected.flatMap((mutation) => mutation.tests))];
console.log(`mutation-check: ${selected.length} mutations; baseline build and tests in ${work}`);
const baselineBuild = await build();
if (baselineBuild.code !== 0) {
  console.error(`mutation-check: the unmutated tree does not build:\n${baselineBuild.output}`);
  process.exit(2);
}
const baseline = await testFiles(allTests);
if (baseline.code !== 0) {
  console.error(
    `mutation-check: the unmutated tree fails its tests; fix that first:\n${baseline.output.slice(-4000)}`,
  );
  process.exit(2);
}

const results = [];
for (const mutation of selected) {
  const path = join(work, mutation.file);
  const original = originals.get(mutation.file);
  writeFileSync(path, mutate(original, mutation));
  const started = Date.now();
  let verdict;
  const built = await build();
  if (built.code !== 0) {
    verdict = 'caught (does not compile)';
  } else {
    const tested = await testFiles(mutation.tests);
    if (tested.code === 0) verdict = 'SURVIVED';
    else {
      const failing = [...tested.output.matchAll(/^✖ (?!failing tests)(.+?)(?: \(\d[\d.]*ms\))?$/gm)]
        .map((match) => match[1])
        .filter((name) => !name.includes('.test.js'));
      verdict = `caught by ${failing.length} failing test(s)${failing.length > 0 ? `: ${failing.slice(0, 3).join(' | ')}` : ''}`;
    }
  }
  writeFileSync(path, original);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`${verdict.startsWith('SURVIVED') ? 'SURVIVED' : 'caught  '}  ${mutation.name} (${seconds} s)`);
  if (!verdict.startsWith('SURVIVED')) console.log(`          ${verdict}`);
  results.push({ mutation, verdict });
}

const survived = results.filter((result) => result.verdict === 'SURVIVED');
console.log(
  `\nmutation-check: ${results.length - survived.length} of ${results.length} mutations caught` +
    (survived.length > 0 ? `; survived: ${survived.map((result) => result.mutation.name).join('; ')}` : ''),
);
process.exit(survived.length > 0 ? 1 : 0);
