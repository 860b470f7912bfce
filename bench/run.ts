// `npm run bench`: every scenario against every available server, alternating servers run by run
// (the rotation changes each round), then medians, spreads and ratios as markdown on stdout and JSON
// in bench/results/latest.json. See BENCHMARKS.md for the method.
//
//   node .build/bench/run.js [--quick] [--scenarios echo-small,idle] [--servers raw,ws] [--rounds 3]
//                            [--verify] [--no-micro] [--update-docs] [--budget-minutes 20]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  RECONNECT_SCENARIO,
  type ReconnectSpreadResult,
  reconnectSpreadMarkdown,
  runReconnectSpread,
} from './client/reconnect-spread.js';
import { HUB_SCENARIO, hubBenchUnavailable, runHubBench } from './hub/hub-bench.js';
import { type Machine, markdownReport } from './load/markdown-report.js';
import { resultsDirectory } from './load/paths.js';
import { canPin } from './load/pinning.js';
import type { RunResult } from './load/run-result.js';
import { runScenario } from './load/run-scenario.js';
import { type Profile, type Scenario, scenarios } from './load/scenarios.js';
import { type ServerSpec, serverCatalog } from './load/server-catalog.js';
import { ServerProcess } from './load/server-process.js';
import { type ScenarioSummary, summarize } from './load/summary.js';
import { updateBenchmarksDocument } from './load/update-benchmarks.js';

const usage = `usage: node .build/bench/run.js [options]
  --quick                 one round, short windows, 2,000 idle connections (a minute or two)
  --scenarios a,b         any of: ${scenarios.map((scenario) => scenario.name).join(', ')}, ${HUB_SCENARIO},
                          ${RECONNECT_SCENARIO} (default: all but idle-max and ${RECONNECT_SCENARIO})
  --servers a,b           any of: ${serverCatalog.map((server) => server.name).join(', ')} (default: all but fullduplex-subscribed
                          and fullduplex-baseline, the CLI given in BENCH_BASELINE_CLI)
  --rounds N              rounds per scenario (default 3, --quick 1)
  --verify                compare every reply byte too (slower; the smoke test does this)
  --no-micro              skip the parser micro-benchmark
  --update-docs           rewrite the results section of BENCHMARKS.md and the chart from this run
  --budget-minutes M      skip the scenarios still to come once M minutes have passed (default 20)`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    servers: { type: 'string' },
    rounds: { type: 'string' },
    verify: { type: 'boolean', default: false },
    'no-micro': { type: 'boolean', default: false },
    'update-docs': { type: 'boolean', default: false },
    'budget-minutes': { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

function selected<T extends { name: string }>(
  all: readonly T[],
  list: string | undefined,
  fallback: (item: T) => boolean,
): T[] {
  if (list === undefined) return all.filter(fallback);
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !all.some((item) => item.name === name));
  if (unknown.length > 0) {
    console.error(`unknown: ${unknown.join(', ')}\n${usage}`);
    process.exit(2);
  }
  return all.filter((item) => names.includes(item.name));
}

const profile: Profile = values.quick ? 'quick' : 'full';
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const budgetMs = Number(values['budget-minutes']) * 60_000;
// The hub scenario runs its own processes (two servers per system, a Redis), outside the catalog.
const scenarioList = values.scenarios?.split(',').map((name) => name.trim());
const runHub = scenarioList === undefined || scenarioList.includes(HUB_SCENARIO);
// reconnect-spread (1,000 hub clients back after a server restart) runs only when named.
const runReconnect = scenarioList?.includes(RECONNECT_SCENARIO) ?? false;
const otherScenarios = scenarioList?.filter((name) => name !== HUB_SCENARIO && name !== RECONNECT_SCENARIO);
const chosenScenarios =
  otherScenarios !== undefined && otherScenarios.length === 0
    ? []
    : selected(scenarios, otherScenarios?.join(','), (scenario) => scenario.byDefault);
const chosenServers = selected(
  serverCatalog,
  values.servers,
  (server) => server.name !== 'fullduplex-subscribed' && server.name !== 'fullduplex-baseline',
);
const startedAt = performance.now();

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Drops servers that cannot run here, saying why (fullduplex may not be built yet). */
async function availableServers(candidates: readonly ServerSpec[]): Promise<ServerSpec[]> {
  const ready: ServerSpec[] = [];
  for (const spec of candidates) {
    const reason = spec.unavailable();
    if (reason !== null) {
      log(`skipping ${spec.label}: ${reason}`);
      continue;
    }
    const launch = spec.launch('echo', false);
    if (launch === null) continue;
    try {
      const server = await ServerProcess.start(launch);
      await server.stop();
      ready.push(spec);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`skipping ${spec.label}: it did not start\n  ${message.split('\n').join('\n  ')}`);
    }
  }
  return ready;
}

interface MicroOutcome {
  ran: boolean;
  message: string;
  result?: unknown;
}

/** The parser micro-benchmark lives in bench/micro/parser.ts (its own owner); run it when present. */
async function runMicro(): Promise<MicroOutcome> {
  const specifier = './micro/parser.js';
  let module: { runParserBench?: (options: unknown) => unknown };
  try {
    module = await import(specifier);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ran: false,
      message: `parser micro-benchmark skipped: bench/micro/parser.ts not available (${message})`,
    };
  }
  if (typeof module.runParserBench !== 'function') {
    return {
      ran: false,
      message: 'parser micro-benchmark skipped: bench/micro/parser.js exports no runParserBench',
    };
  }
  try {
    const result = await module.runParserBench({ quick: values.quick });
    return { ran: true, message: 'parser micro-benchmark ran', result };
  } catch (error) {
    return {
      ran: false,
      message: `parser micro-benchmark failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

async function runRounds(
  scenario: Scenario,
  servers: readonly ServerSpec[],
  runs: RunResult[],
): Promise<void> {
  const taking = servers.filter((server) => !scenario.excludes.includes(server.name));
  const gaveUp = new Set<string>();
  for (let round = 1; round <= rounds; round++) {
    if (round > 1 && performance.now() - startedAt > budgetMs) {
      log(
        `  ${scenario.name}: stopping after ${round - 1} round(s), past the ${values['budget-minutes']}-minute budget`,
      );
      break;
    }
    // Rotate the order each round so no server always runs first (or right after a given other).
    const order = taking.map((_, index) => taking[(index + round - 1) % taking.length] as ServerSpec);
    for (const spec of order) {
      if (gaveUp.has(spec.name)) continue;
      const result = await runScenario(scenario, spec, profile, round, values.verify);
      runs.push(result);
      // What each server negotiated (the raw echo only returns the request, so it has nothing to say).
      const negotiates = spec.replyFraming === 'websocket' && result.responseHead !== undefined;
      if (scenario.name === 'idle-deflate' && round === 1 && negotiates) {
        const extensions = /^sec-websocket-extensions:.*$/im.exec(result.responseHead ?? '');
        log(`  ${spec.name} answered: ${extensions === null ? '(no extension header)' : extensions[0]}`);
      }
      const headline = scenario.metrics[0];
      const figure =
        headline !== undefined && result.metrics[headline.key] !== undefined
          ? `${(result.metrics[headline.key] as number).toFixed(headline.digits)} ${headline.unit}`
          : '';
      log(`  ${scenario.name} round ${round} ${spec.name}: ${result.ok ? figure : `FAILED ${result.error}`}`);
      // A server that cannot do this scenario at all will not manage it next round either.
      if (!result.ok && round === 1 && result.check === undefined) gaveUp.add(spec.name);
    }
  }
}

function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned: canPin(),
  };
}

async function main(): Promise<void> {
  const command = `node .build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim();
  const servers = chosenScenarios.length === 0 ? [] : await availableServers(chosenServers);
  if (servers.length === 0 && chosenScenarios.length > 0) throw new Error('no server can run');
  log(`servers: ${servers.map((server) => server.name).join(', ')}; ${rounds} round(s), ${profile} profile`);
  const micro = values['no-micro']
    ? { ran: false, message: 'parser micro-benchmark skipped (--no-micro)' }
    : await runMicro();
  log(micro.message);
  const runs: RunResult[] = [];
  const skipped: string[] = [];
  for (const scenario of chosenScenarios) {
    if (performance.now() - startedAt > budgetMs) {
      skipped.push(scenario.name);
      log(`skipping ${scenario.name}: past the ${values['budget-minutes']}-minute budget`);
      continue;
    }
    log(`${scenario.name}: ${scenario.description}`);
    await runRounds(scenario, servers, runs);
  }
  let hubMarkdown = '';
  let hub: unknown;
  if (runHub) {
    const unavailable = hubBenchUnavailable();
    if (unavailable !== null) log(`skipping ${HUB_SCENARIO}: ${unavailable}`);
    else if (performance.now() - startedAt > budgetMs) log(`skipping ${HUB_SCENARIO}: past the budget`);
    else {
      log(`${HUB_SCENARIO}: fullduplex hub vs Socket.IO 4 + @socket.io/redis-adapter, two processes each`);
      const report = await runHubBench(rounds, values.quick, log);
      hubMarkdown = `\n${report.markdown}`;
      hub = { options: report.options, runs: report.runs };
    }
  }
  let reconnect: ReconnectSpreadResult[] | undefined;
  if (runReconnect) {
    reconnect = [];
    // A restart (down 1 s) and an outage (down 5 s): the longer the outage, the wider the clients'
    // backoff windows when the server is back.
    for (const downMs of [1000, 5000]) {
      for (let round = 1; round <= rounds; round++) {
        const result = await runReconnectSpread({ clients: values.quick ? 200 : 1000, downMs });
        reconnect.push(result);
        const { p50, p90, p99, max } = result.percentiles;
        log(
          `  ${RECONNECT_SCENARIO} down ${downMs} ms round ${round}: ${result.back}/${result.clients} back; ` +
            `p50 ${p50.toFixed(0)} p90 ${p90.toFixed(0)} p99 ${p99.toFixed(0)} max ${max.toFixed(0)} ms`,
        );
        hubMarkdown += `\n${reconnectSpreadMarkdown(result, `Down ${downMs} ms, round ${round} of ${rounds}; clients and server on this machine (${machine().cores} cores).`)}\n`;
      }
    }
  }
  const summaries: ScenarioSummary[] = chosenScenarios
    .filter((scenario) => !skipped.includes(scenario.name))
    .map((scenario) => summarize(scenario, runs));
  const generatedAt = new Date().toISOString();
  const results = {
    generatedAt,
    command,
    machine: machine(),
    profile,
    rounds,
    servers: servers.map((server) => server.name),
    skippedScenarios: skipped,
    durationSeconds: (performance.now() - startedAt) / 1000,
    micro,
    summaries,
    runs,
    hub,
    reconnect: reconnect?.map(({ backMs: _backMs, attemptMs: _attemptMs, ...rest }) => rest),
  };
  mkdirSync(resultsDirectory, { recursive: true });
  const path = `${resultsDirectory}latest.json`;
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `${markdownReport(summaries, results.machine, command, generatedAt, micro.result)}\n${hubMarkdown}`,
  );
  log(`wrote ${path} in ${results.durationSeconds.toFixed(0)} s`);
  if (values['update-docs']) log(updateBenchmarksDocument(path));
  if (runs.some((run) => !run.ok && run.check !== undefined)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
