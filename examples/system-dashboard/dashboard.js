// The page: draws the last minute from GET /recent, then follows the `system` topic from exactly
// where that left off (no gap, no repeat), with the hub client reconnecting by itself.
import { HubClient } from '/client/index.js';
import { showConnectionStatus } from '/shared/connection-status.js';
import { hubUrl } from '/shared/hub-url.js';
import { LineChart } from './line-chart.js';

/** The charts show the last 60 samples; the server says how often it samples. */
const POINTS = 60;
const CORE_COLORS = ['#7cc0ff', '#5f8fd1', '#9ad7ff', '#3f6fb0', '#b9e2ff', '#2f5a94'];

const $ = (selector) => document.querySelector(selector);
const bytes = (n) => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
};
const gib = (n) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** Samples of this page's machine, oldest first, at most a window's worth. */
const machine = [];
/** @type {Map<string, { samples: object[], row: HTMLTableRowElement }>} */
const processes = new Map();
const recent = await fetchRecent();
const host = recent.host;
let ownLabel = recent.label;
const interval = recent.interval;
const windowMs = POINTS * interval;
/** A process whose figures stopped this long ago has gone (or nobody watches): its row goes. */
const processGoneMs = Math.max(5000, 5 * interval);

const charts = {
  cpu: undefined,
  memory: new LineChart($('#memory .chart-box'), {
    windowMs,
    gapMs: 2.5 * interval,
    series: [{ color: 'var(--memory)', area: true }],
    format: gib,
  }),
  load: new LineChart($('#load .chart-box'), {
    windowMs,
    gapMs: 2.5 * interval,
    series: [
      { color: 'var(--load1)', area: true },
      { color: 'var(--load15)', width: 1.5 },
    ],
    format: (v) => v.toFixed(v < 10 ? 1 : 0),
  }),
  network: new LineChart($('#network .chart-box'), {
    windowMs,
    gapMs: 2.5 * interval,
    series: [
      { color: 'var(--rx)', area: true },
      { color: 'var(--tx)', width: 1.5 },
    ],
    format: (v) => `${bytes(v)}/s`,
  }),
};

function add(sample) {
  if (sample.kind === 'machine') {
    if (sample.host !== host) return;
    // Two processes may both publish in the second one takes over from the other: keep one per second.
    if (machine.length > 0 && sample.t - machine.at(-1).t < interval / 2) machine.pop();
    machine.push(sample);
    if (machine.length > POINTS + 5) machine.shift();
  } else if (sample.kind === 'process') {
    let entry = processes.get(sample.label);
    if (!entry) {
      entry = { samples: [], row: document.createElement('tr') };
      entry.row.dataset.label = sample.label;
      processes.set(sample.label, entry);
    }
    entry.samples.push(sample);
    if (entry.samples.length > POINTS + 5) entry.samples.shift();
  }
  scheduleRender();
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function render() {
  const now = Date.now();
  const last = machine.at(-1);
  if (last) {
    const cores = last.cpu.cores.length;
    if (!charts.cpu) {
      charts.cpu = new LineChart($('#cpu .chart-box'), {
        windowMs,
        gapMs: 2.5 * interval,
        max: 100,
        series: [
          { color: 'var(--cpu)', area: true, width: 2.5 },
          ...last.cpu.cores.map((_, i) => ({ color: CORE_COLORS[i % CORE_COLORS.length], width: 1 })),
        ],
        format: (v) => `${v}%`,
      });
    }
    const series = (pick) => machine.map((s) => ({ t: s.t, v: pick(s) }));
    charts.cpu.draw(now, [
      series((s) => s.cpu.total),
      ...last.cpu.cores.map((_, i) => series((s) => s.cpu.cores[i] ?? 0)),
    ]);
    setFigure('#cpu-total', `${last.cpu.total.toFixed(0)}%`, { cpuTotal: last.cpu.total });
    setFigure('#cpu-cores', `${cores} cores: ${last.cpu.cores.map((c) => `${c.toFixed(0)}%`).join(' · ')}`, {
      cores: last.cpu.cores.join(','),
    });

    const { used, total, swapUsed, swapTotal } = last.memory;
    charts.memory.options.max = total;
    charts.memory.draw(now, [series((s) => s.memory.used)]);
    setFigure('#memory-used', `${gib(used)} of ${gib(total)}`, { used, memoryTotal: total });
    $('#memory-detail').textContent =
      `${((100 * used) / total).toFixed(0)}% used` +
      (swapTotal > 0 ? ` · swap ${gib(swapUsed)} of ${gib(swapTotal)}` : '');

    charts.load.draw(now, [series((s) => s.load[0]), series((s) => s.load[2])]);
    setFigure('#load-now', last.load.map((v) => v.toFixed(2)).join('  '), { load1: last.load[0] });
    $('#tasks').textContent = last.processes
      ? `${last.processes.running} running of ${last.processes.total} tasks`
      : '';

    charts.network.draw(now, [series((s) => s.network.rx), series((s) => s.network.tx)]);
    const { rx, tx } = last.network;
    setFigure('#network-now', `↓ ${bytes(rx)}/s  ↑ ${bytes(tx)}/s`, { rx, tx });
    setFigure('#sampled-by', `machine figures sampled by ${last.by}`, {
      by: last.by,
      t: last.t,
      points: machine.length,
    });
  }
  renderProcesses(now);
}

function setFigure(selector, text, values) {
  const node = $(selector);
  node.textContent = text;
  Object.assign(node.dataset, values);
}

function renderProcesses(now) {
  const body = $('#processes tbody');
  let watching = 0;
  for (const [label, { samples, row }] of processes) {
    const last = samples.at(-1);
    if (now - last.t > processGoneMs) {
      row.remove();
      processes.delete(label);
      continue;
    }
    watching = Math.max(watching, last.watching);
    const cells = [
      label,
      last.cpu === undefined ? '–' : `${last.cpu.toFixed(1)}%`,
      bytes(last.rss),
      bytes(last.heapUsed),
      `${last.eventLoopDelay.toFixed(1)} ms`,
      String(last.viewers),
    ];
    row.replaceChildren(
      ...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })),
    );
    const role = document.createElement('td');
    if (last.machineSampler)
      role.append(
        Object.assign(document.createElement('span'), {
          className: 'badge',
          textContent: 'samples the machine',
        }),
      );
    row.append(role);
    row.classList.toggle('self', label === ownLabel);
    if (!row.isConnected) body.append(row);
  }
  $('#watching').textContent = watching === 1 ? '1 viewer' : `${watching} viewers`;
  $('#watching').dataset.count = String(watching);
}

async function fetchRecent() {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      const response = await fetch('/recent');
      if (response.ok) return await response.json();
    } catch {
      // The server is not up yet: try again.
    }
    await new Promise((resolve) => setTimeout(resolve, delay * Math.random()));
  }
}

$('#host').textContent = host;
for (const sample of recent.samples) add(sample);

const client = new HubClient(hubUrl());
showConnectionStatus(client, $('#status'));
// After a restart this page's server is a new process: mark its row again.
client.on('connected', async ({ reconnected }) => {
  if (reconnected) ownLabel = (await fetchRecent()).label;
});
const system = client.subscribe('system', { since: recent.position });
system.on('message', ({ data }) => add(data));
system.on('error', (error) => console.error(`the server refused the subscription: ${error.message}`));
client.connect();
// The window slides even when no sample comes (nobody else watching yet, a restart).
setInterval(render, interval);
