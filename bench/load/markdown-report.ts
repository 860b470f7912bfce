// The results as markdown: one table per scenario (headline median with min-max, ratios to ws and to
// the raw echo, then the other figures' medians), shared by stdout and BENCHMARKS.md.
import type { ScenarioSummary, Spread } from './summary.js';

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  pinned: boolean;
}

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(ratio: number | null): string {
  return ratio === null ? '—' : `${ratio.toFixed(2)}×`;
}

function formatSpread(value: Spread | undefined, digits: number): string {
  if (value === undefined) return '—';
  if (value.runs === 1) return formatNumber(value.median, digits);
  return `${formatNumber(value.median, digits)} (${formatNumber(value.min, digits)}–${formatNumber(value.max, digits)})`;
}

export function scenarioTable(summary: ScenarioSummary): string {
  const [headline, ...others] = summary.metrics;
  if (headline === undefined) return '';
  const lines = [
    `### ${summary.scenario}`,
    '',
    summary.description,
    '',
    `| server | ${headline.label} median (min–max) | × ws | × raw | ${others.map((metric) => metric.label).join(' | ')} | runs |`,
    `|---|---:|---:|---:|${others.map(() => '---:|').join('')}---:|`,
  ];
  for (const server of summary.servers) {
    const cells = [
      server.label,
      formatSpread(server.metrics[headline.key], headline.digits),
      formatRatio(server.ratioToWs),
      formatRatio(server.ratioToRaw),
      ...others.map((metric) => {
        const value = server.metrics[metric.key];
        return value === undefined ? '—' : formatNumber(value.median, metric.digits);
      }),
      server.failed > 0 ? `${server.runs - server.failed}/${server.runs}` : String(server.runs),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const failures = summary.servers.filter((server) => server.errors.length > 0);
  for (const server of failures) {
    lines.push('', `- ${server.label}: ${server.errors.map((error) => error.split('\n')[0]).join('; ')}`);
  }
  return lines.join('\n');
}

/** Any `{ rows: [{...}] }` result (the parser micro-benchmark's) as a table, columns from the first row. */
export function rowsTable(title: string, result: unknown): string {
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows) || rows.length === 0 || typeof rows[0] !== 'object' || rows[0] === null) return '';
  const columns = Object.keys(rows[0] as object);
  const cell = (value: unknown): string =>
    typeof value === 'number' ? formatNumber(value, Math.abs(value) < 10 ? 2 : 0) : String(value ?? '—');
  return [
    `### ${title}`,
    '',
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---|').join('')}`,
    ...rows.map(
      (row) => `| ${columns.map((column) => cell((row as Record<string, unknown>)[column])).join(' | ')} |`,
    ),
  ].join('\n');
}

export function machineLine(machine: Machine): string {
  return `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node} on ${machine.platform}; ${
    machine.pinned
      ? 'server pinned to core 0, load generator to core 1 (taskset)'
      : 'not pinned (no taskset or one core)'
  }`;
}

export function markdownReport(
  summaries: readonly ScenarioSummary[],
  machine: Machine,
  command: string,
  generatedAt: string,
  micro?: unknown,
): string {
  const microTable = rowsTable('parser micro-benchmark (bench/micro/parser.ts)', micro);
  return [
    `Measured ${generatedAt} with \`${command}\`.`,
    '',
    `Machine: ${machineLine(machine)}.`,
    '',
    ...summaries.flatMap((summary) => [scenarioTable(summary), '']),
    ...(microTable === '' ? [] : [microTable, '']),
  ].join('\n');
}
