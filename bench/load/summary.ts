// Medians, spreads and ratios over the rounds of each scenario. Ratios compare medians taken in the
// same invocation (the machine drifts; only same-run ratios mean anything).
import type { RunResult } from './run-result.js';
import type { MetricSpec, Scenario } from './scenarios.js';
import { type ServerName, serverCatalog } from './server-catalog.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface ServerSummary {
  server: ServerName;
  label: string;
  runs: number;
  failed: number;
  errors: string[];
  metrics: Record<string, Spread>;
  /** Headline median over ws (plain) and over the raw echo, when those ran. */
  ratioToWs: number | null;
  ratioToRaw: number | null;
}

export interface ScenarioSummary {
  scenario: string;
  description: string;
  metrics: MetricSpec[];
  servers: ServerSummary[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

export function summarize(scenario: Scenario, runs: readonly RunResult[]): ScenarioSummary {
  const mine = runs.filter((run) => run.scenario === scenario.name);
  const servers: ServerSummary[] = [];
  for (const spec of serverCatalog) {
    const own = mine.filter((run) => run.server === spec.name);
    if (own.length === 0) continue;
    const good = own.filter((run) => run.ok);
    const metrics: Record<string, Spread> = {};
    for (const metric of scenario.metrics) {
      const values = good
        .map((run) => run.metrics[metric.key])
        .filter((value): value is number => Number.isFinite(value));
      if (values.length > 0) metrics[metric.key] = spread(values);
    }
    servers.push({
      server: spec.name,
      label: spec.label,
      runs: own.length,
      failed: own.length - good.length,
      errors: [...new Set(own.flatMap((run) => (run.error === undefined ? [] : [run.error])))],
      metrics,
      ratioToWs: null,
      ratioToRaw: null,
    });
  }
  const headline = scenario.metrics[0]?.key ?? '';
  const reference = (name: ServerName): number | undefined =>
    servers.find((server) => server.server === name)?.metrics[headline]?.median;
  const ws = reference('ws');
  const raw = reference('raw');
  for (const server of servers) {
    const value = server.metrics[headline]?.median;
    if (value === undefined) continue;
    server.ratioToWs = ws !== undefined && ws !== 0 ? value / ws : null;
    server.ratioToRaw = raw !== undefined && raw !== 0 ? value / raw : null;
  }
  return {
    scenario: scenario.name,
    description: scenario.description,
    metrics: [...scenario.metrics],
    servers,
  };
}
