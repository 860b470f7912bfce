// Rewrites the generated part of BENCHMARKS.md (between the bench:results markers) and the chart in
// docs/benchmarks/ from a results file. Run after `npm run bench`:
//   node .build/bench/load/update-benchmarks.js [bench/results/latest.json]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { argv } from 'node:process';
import { fileURLToPath } from 'node:url';
import { throughputChart } from './chart-svg.js';
import { type Machine, markdownReport } from './markdown-report.js';
import { repositoryRoot, resultsDirectory } from './paths.js';
import type { ScenarioSummary } from './summary.js';

const startMarker = '<!-- bench:results:start -->';
const endMarker = '<!-- bench:results:end -->';

interface ResultsFile {
  generatedAt: string;
  command: string;
  machine: Machine;
  summaries: ScenarioSummary[];
  micro?: { result?: unknown };
}

/**
 * Replaces what lies between `<!-- NAME:start -->` and `<!-- NAME:end -->` in BENCHMARKS.md with
 * `body`. Returns what it did, for the caller to print.
 */
export function replaceMarkedSection(name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const documentPath = `${repositoryRoot}BENCHMARKS.md`;
  const document = readFileSync(documentPath, 'utf8');
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from === -1 || to < from) return `BENCHMARKS.md has no ${start} ... ${end} section; left alone`;
  writeFileSync(
    documentPath,
    `${document.slice(0, from)}${start}\n\n${body.trim()}\n\n${document.slice(to)}`,
  );
  return `updated the ${name} section of BENCHMARKS.md`;
}

/** Returns what it did, for the caller to print. */
export function updateBenchmarksDocument(resultsPath: string = `${resultsDirectory}latest.json`): string {
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile;
  const documentPath = `${repositoryRoot}BENCHMARKS.md`;
  const document = readFileSync(documentPath, 'utf8');
  const start = document.indexOf(startMarker);
  const end = document.indexOf(endMarker);
  if (start === -1 || end < start)
    return `BENCHMARKS.md has no ${startMarker} ... ${endMarker} section; left alone`;
  const chartDirectory = `${repositoryRoot}docs/benchmarks/`;
  mkdirSync(chartDirectory, { recursive: true });
  writeFileSync(
    `${chartDirectory}throughput.svg`,
    throughputChart(
      results.summaries,
      `Throughput as a share of a raw net echo (${results.generatedAt.slice(0, 10)})`,
    ),
  );
  const section = [
    startMarker,
    '',
    markdownReport(
      results.summaries,
      results.machine,
      results.command,
      results.generatedAt,
      results.micro?.result,
    ),
    '![throughput chart](docs/benchmarks/throughput.svg)',
    '',
    endMarker,
  ].join('\n');
  writeFileSync(documentPath, document.slice(0, start) + section + document.slice(end + endMarker.length));
  return `updated BENCHMARKS.md and docs/benchmarks/throughput.svg from ${resultsPath}`;
}

if (argv[1] !== undefined && fileURLToPath(import.meta.url) === argv[1]) {
  console.log(updateBenchmarksDocument(argv[2]));
}
