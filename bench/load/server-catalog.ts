// The servers every scenario compares: the raw `net` ceiling, ws without and with bufferutil, and
// fullduplex through its CLI. Each says whether it can run here and how to launch it in a mode.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServerMode } from '../servers/server-options.js';
import type { ReplyFraming } from './load-job.js';
import { compiledServer, fullduplexCli, repositoryRoot } from './paths.js';
import type { ServerLaunch } from './server-process.js';

export type ServerName =
  | 'raw'
  | 'ws'
  | 'ws-bufferutil'
  | 'fullduplex'
  | 'fullduplex-subscribed'
  | 'fullduplex-baseline';

/**
 * Another build's CLI (its bin/fullduplex.js, `npm run build` done) to run next to this one, run by
 * run in one sitting: a before/after A/B without two separate runs (BENCH_FULLDUPLEX_CLI swaps it).
 */
const baselineCli = process.env.BENCH_BASELINE_CLI;

export interface ServerSpec {
  name: ServerName;
  label: string;
  replyFraming: ReplyFraming;
  /** Why it cannot run here, or null. */
  unavailable(): string | null;
  /** How to start it, or null when it has no such mode (the raw echo does not compress). */
  launch(mode: ServerMode, compress: boolean): ServerLaunch | null;
}

const hostArgs = ['--host', '127.0.0.1', '--port', '0'];

function modeArgs(mode: ServerMode, compress: boolean): string[] {
  return ['--mode', mode, ...hostArgs, ...(compress ? ['--compress'] : [])];
}

function bufferutilLoads(): boolean {
  try {
    createRequire(`${repositoryRoot}package.json`)('bufferutil');
    return true;
  } catch {
    return false;
  }
}

export const serverCatalog: readonly ServerSpec[] = [
  {
    name: 'raw',
    label: 'raw net echo',
    replyFraming: 'verbatim',
    unavailable: () => null,
    launch: (mode, compress) =>
      compress ? null : { args: [compiledServer('raw-server'), ...modeArgs(mode, false)] },
  },
  {
    name: 'ws',
    label: 'ws (plain JS)',
    replyFraming: 'websocket',
    unavailable: () => null,
    // ws 8 reads WS_NO_BUFFER_UTIL (lib/buffer-util.js) and then never loads the addon.
    launch: (mode, compress) => ({
      args: [compiledServer('ws-server'), ...modeArgs(mode, compress)],
      env: { WS_NO_BUFFER_UTIL: '1' },
    }),
  },
  {
    name: 'ws-bufferutil',
    label: 'ws + bufferutil',
    replyFraming: 'websocket',
    unavailable: () => (bufferutilLoads() ? null : 'bufferutil is not installed or does not load'),
    // An empty WS_NO_BUFFER_UTIL counts as unset, so a value in the harness's environment cannot leak in.
    launch: (mode, compress) => ({
      args: [compiledServer('ws-server'), ...modeArgs(mode, compress)],
      env: { WS_NO_BUFFER_UTIL: '' },
    }),
  },
  {
    name: 'fullduplex',
    label: 'fullduplex',
    replyFraming: 'websocket',
    unavailable: () => (existsSync(fullduplexCli) ? null : 'bin/fullduplex.js is missing'),
    launch: (mode, compress) => ({
      args: [fullduplexCli, 'serve', ...modeArgs(mode, compress)],
      cwd: repositoryRoot,
    }),
  },
  {
    // Not in the default set's tables' meaning: the same CLI with a listener on every diagnostics
    // channel (bench/servers/subscribe-all.ts), to measure what subscribing costs.
    name: 'fullduplex-subscribed',
    label: 'fullduplex, channels subscribed',
    replyFraming: 'websocket',
    unavailable: () => (existsSync(fullduplexCli) ? null : 'bin/fullduplex.js is missing'),
    launch: (mode, compress) => ({
      args: [
        '--import',
        pathToFileURL(compiledServer('subscribe-all')).href,
        fullduplexCli,
        'serve',
        ...modeArgs(mode, compress),
      ],
      cwd: repositoryRoot,
    }),
  },
  {
    // Not in the default set: another build's CLI (BENCH_BASELINE_CLI), for an A/B of two builds in
    // one sitting, e.g. what collecting server.metrics() costs.
    name: 'fullduplex-baseline',
    label: 'fullduplex, baseline build',
    replyFraming: 'websocket',
    unavailable: () => {
      if (baselineCli === undefined) return 'BENCH_BASELINE_CLI is not set (another build to compare with)';
      return existsSync(baselineCli) ? null : `${baselineCli} is missing`;
    },
    launch: (mode, compress) =>
      baselineCli === undefined
        ? null
        : { args: [baselineCli, 'serve', ...modeArgs(mode, compress)], cwd: dirname(dirname(baselineCli)) },
  },
];

export function serverNamed(name: string): ServerSpec | undefined {
  return serverCatalog.find((server) => server.name === name);
}
