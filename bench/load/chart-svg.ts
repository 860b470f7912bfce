// A bar chart of the throughput scenarios: each server's headline median as a share of the raw `net`
// echo measured in the same run (100% = the ceiling), absolute figure beside each bar. Plain SVG text,
// no dependencies.
import type { ScenarioSummary } from './summary.js';

const colours: Record<string, string> = {
  raw: '#8c8c8c',
  ws: '#e07b39',
  'ws-bufferutil': '#c0392b',
  fullduplex: '#2e86c1',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

export function throughputChart(summaries: readonly ScenarioSummary[], title: string): string {
  // Throughput only: bars for "lower is better" figures would read backwards.
  const groups = summaries.filter(
    (summary) =>
      summary.metrics[0]?.higherIsBetter === true &&
      summary.servers.some((server) => server.ratioToRaw !== null),
  );
  const barHeight = 16;
  const gap = 4;
  const left = 190;
  const width = 760;
  const plot = width - left - 150;
  let y = 48;
  const parts: string[] = [];
  for (const group of groups) {
    const headline = group.metrics[0];
    parts.push(
      `<text x="10" y="${y + 12}" font-weight="bold">${escapeXml(group.scenario)} (${escapeXml(headline?.unit ?? '')})</text>`,
    );
    y += 20;
    for (const server of group.servers) {
      const ratio = server.ratioToRaw;
      const value = headline === undefined ? undefined : server.metrics[headline.key]?.median;
      if (ratio === null || value === undefined) continue;
      const length = Math.max(1, Math.min(ratio, 1.25) * (plot / 1.25));
      parts.push(
        `<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escapeXml(server.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colours[server.server] ?? '#555'}"/>`,
        `<text x="${(left + length + 6).toFixed(1)}" y="${y + 12}">${compact(value)} · ${(ratio * 100).toFixed(0)}%</text>`,
      );
      y += barHeight + gap;
    }
    y += 10;
  }
  const ceiling = left + plot / 1.25;
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}: fullduplex, ws and ws + bufferutil as a share of a raw net echo per scenario</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${ceiling}" y1="32" x2="${ceiling}" y2="${height - 6}" stroke="#bbb" stroke-dasharray="4 3"/>`,
    `<text x="${ceiling}" y="42" text-anchor="middle" fill="#777">raw TCP = 100%</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
