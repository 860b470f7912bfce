// One run: a fresh server, a fresh load generator, the generator's lifecycle, and the server-side
// samples around it (CPU over the window, RSS under load). Idle scenarios go to idle-run.ts.
import { readFileSync } from 'node:fs';
import { GeneratorProcess } from './generator-process.js';
import { runIdle } from './idle-run.js';
import type { RunResult } from './run-result.js';
import type { Profile, Scenario } from './scenarios.js';
import type { ServerSpec } from './server-catalog.js';
import { ServerProcess } from './server-process.js';

const kibibyte = 1024;
const mebibyte = 1024 * 1024;

/** Current and peak RSS from /proc, without a collection (the figure a process really holds). */
function procRss(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const peak = /VmHWM:\s+(\d+) kB/.exec(status);
    if (rss === null || peak === null) return null;
    return { rss: Number(rss[1]) * kibibyte, peak: Number(peak[1]) * kibibyte };
  } catch {
    return null;
  }
}

/** User plus system CPU seconds of a process so far, from /proc/PID/stat (clock ticks of 1/100 s). */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export async function runScenario(
  scenario: Scenario,
  spec: ServerSpec,
  profile: Profile,
  round: number,
  verify: boolean,
): Promise<RunResult> {
  const result: RunResult = { scenario: scenario.name, server: spec.name, round, ok: false, metrics: {} };
  // A scenario may run the raw echo without compression as its floor (idle-deflate).
  const launch =
    spec.launch(scenario.mode, scenario.compress) ??
    (scenario.floorWithoutCompress ? spec.launch(scenario.mode, false) : null);
  if (launch === null) {
    result.error = `${spec.name} has no ${scenario.mode}${scenario.compress ? '+compress' : ''} mode`;
    return result;
  }
  if (scenario.kind === 'idle') {
    try {
      await runIdle(scenario, spec, launch, profile, result, verify);
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    }
    return result;
  }
  let server: ServerProcess | null = null;
  let generator: GeneratorProcess | null = null;
  try {
    server = await ServerProcess.start(launch);
    // What the process holds before any connection: RSS under load minus this is the load's own cost.
    const startRss = server.pid === undefined ? null : procRss(server.pid);
    if (startRss !== null) result.metrics.serverStartRssMiB = startRss.rss / mebibyte;
    const job = scenario.job(profile, { port: server.port, replyFraming: spec.replyFraming }, verify);
    generator = new GeneratorProcess();
    let cpuAtWindowStart: number | null = null;
    const serverPid = server.pid;
    generator.onWindowStart = () => {
      cpuAtWindowStart = procCpuSeconds(serverPid);
    };
    const opened = await generator.start(job, 120_000);
    result.opened = opened;
    result.metrics.handshakesPerSecond = opened.handshakesPerSecond;
    const measured = await generator.go(job.warmupMs + job.measureMs + 60_000);
    const cpuAtWindowEnd = procCpuSeconds(serverPid);
    if (cpuAtWindowStart !== null && cpuAtWindowEnd !== null && measured.seconds > 0) {
      const cpuSeconds = cpuAtWindowEnd - cpuAtWindowStart;
      result.metrics.serverCpuPercent = (cpuSeconds / measured.seconds) * 100;
      const rate = measured.deliveriesPerSecond ?? measured.messagesPerSecond;
      if (rate !== undefined && rate > 0) {
        result.metrics.serverCpuMicrosPerMessage = (cpuSeconds * 1e6) / (rate * measured.seconds);
      }
    }
    const rss = serverPid === undefined ? null : procRss(serverPid);
    if (rss !== null) {
      result.metrics.serverRssMiB = rss.rss / mebibyte;
      result.metrics.serverPeakRssMiB = rss.peak / mebibyte;
    }
    for (const [key, value] of Object.entries(measured)) {
      if (typeof value === 'number' && key !== 'seconds') result.metrics[key] = value;
    }
    if (measured.latencyMicros !== undefined) {
      result.metrics.p50Micros = measured.latencyMicros.p50;
      result.metrics.p99Micros = measured.latencyMicros.p99;
      result.metrics.p999Micros = measured.latencyMicros.p999;
      result.metrics.maxMicros = measured.latencyMicros.max;
    }
    result.metrics.seconds = measured.seconds;
    const check = await generator.finish(60_000);
    result.check = check;
    result.ok = check.ok;
    if (!check.ok) result.error = `reply check failed: ${check.detail}`;
    if (!server.running) {
      result.ok = false;
      result.error = `server exited during the run ${server.errors}`;
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    if (server !== null && server.errors !== '')
      result.error += `\nserver stderr: ${server.errors.split('\n').slice(-3).join('\n')}`;
  } finally {
    await generator?.stop();
    await server?.stop();
  }
  return result;
}
