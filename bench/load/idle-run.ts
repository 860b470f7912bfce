// The idle scenarios: one or more fresh servers, each warmed up and measured for a baseline, then one
// load generator per server opening its share of the connections (all at once), then every server's
// memory again. Per-connection figures are the summed growth over all connections.
import { GeneratorProcess } from './generator-process.js';
import type { IdleJob, Opened } from './load-job.js';
import type { RunResult } from './run-result.js';
import type { Profile, Scenario } from './scenarios.js';
import type { ServerSpec } from './server-catalog.js';
import { type MemorySample, type ServerLaunch, ServerProcess } from './server-process.js';

const kibibyte = 1024;
const mebibyte = 1024 * 1024;

/** Opens and closes a few connections so lazily loaded code is not charged to the measured ones. */
async function warmUp(scenario: Scenario, server: ServerProcess, spec: ServerSpec): Promise<void> {
  const generator = new GeneratorProcess();
  try {
    const job = scenario.job('smoke', { port: server.port, replyFraming: spec.replyFraming }, false);
    await generator.start(job, 30_000);
    await generator.go(30_000);
    await generator.finish(30_000);
  } finally {
    await generator.stop();
  }
  // Let the server see the closes.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Memory after `ms` without traffic: long enough for V8's memory reducer to give back transient heap. */
async function settle(servers: readonly ServerProcess[], ms: number): Promise<MemorySample[]> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return Promise.all(servers.map((server) => server.memory()));
}

function share(job: IdleJob, index: number, processes: number): IdleJob {
  const connections = Math.floor(job.connections / processes) + (index < job.connections % processes ? 1 : 0);
  const own = job.localAddresses.filter(
    (_, position) => position % processes === index % job.localAddresses.length,
  );
  return { ...job, connections, localAddresses: own.length > 0 ? own : job.localAddresses };
}

function sum(samples: readonly MemorySample[], field: 'rss' | 'heapUsed' | 'external'): number {
  return samples.reduce((total, sample) => total + sample[field], 0);
}

export async function runIdle(
  scenario: Scenario,
  spec: ServerSpec,
  launch: ServerLaunch,
  profile: Profile,
  result: RunResult,
  verify: boolean,
): Promise<void> {
  const servers: ServerProcess[] = [];
  const generators: GeneratorProcess[] = [];
  try {
    for (let index = 0; index < scenario.processes; index++) servers.push(await ServerProcess.start(launch));
    for (const server of servers) await warmUp(scenario, server, spec);
    const baseline = await Promise.all(servers.map((server) => server.memory()));
    const settleMs =
      (scenario.job(profile, { port: 0, replyFraming: spec.replyFraming }, verify) as IdleJob).settleMs ?? 0;
    // The settled figure needs a settled baseline too: the warm-up also grew the young generation.
    const settledBaseline = settleMs > 0 ? await settle(servers, settleMs) : baseline;
    const jobs = servers.map((server, index) =>
      share(
        scenario.job(profile, { port: server.port, replyFraming: spec.replyFraming }, verify) as IdleJob,
        index,
        servers.length,
      ),
    );
    for (let index = 0; index < jobs.length; index++) generators.push(new GeneratorProcess());
    const opened: Opened[] = await Promise.all(
      generators.map((generator, index) => generator.start(jobs[index]!, 300_000)),
    );
    // The generators open in parallel; the slowest one's time (from its own start, not counting the
    // process spawn) is the time the whole set took.
    const seconds = Math.max(...opened.map((each) => each.handshakeSeconds));
    const connections = opened.reduce((total, each) => total + each.connections, 0);
    result.opened = { connections, handshakeSeconds: seconds, handshakesPerSecond: connections / seconds };
    result.metrics.handshakesPerSecond = connections / seconds;
    const loaded = await Promise.all(servers.map((server) => server.memory()));
    const per = (field: 'rss' | 'heapUsed' | 'external'): number =>
      (sum(loaded, field) - sum(baseline, field)) / connections / kibibyte;
    result.metrics.rssPerConnectionKiB = per('rss');
    result.metrics.heapPerConnectionKiB = per('heapUsed');
    result.metrics.externalPerConnectionKiB = per('external');
    result.metrics.serverRssMiB = sum(loaded, 'rss') / mebibyte;
    result.metrics.baselineRssMiB = sum(baseline, 'rss') / mebibyte;
    // First connection's response head (first generator), so the run records what was negotiated.
    result.responseHead = opened[0]?.sampleHead;
    const negotiated = opened.reduce((total, each) => total + (each.negotiated ?? 0), 0);
    if (jobs[0]?.deflate === true) result.metrics.negotiatedConnections = negotiated;
    const measured = await Promise.all(generators.map((generator) => generator.go(180_000)));
    if ((jobs[0]?.exchangeSize ?? 0) > 0) {
      result.metrics.exchangeSeconds = Math.max(...measured.map((each) => each.seconds));
      result.metrics.exchangedConnections = measured.reduce(
        (total, each) => total + (each.exchanged ?? 0),
        0,
      );
      // Idle again: let async zlib work and its callbacks settle before the second sample.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await Promise.all(servers.map((server) => server.memory()));
      const grown = (field: 'rss' | 'heapUsed' | 'external'): number =>
        (sum(after, field) - sum(baseline, field)) / connections / kibibyte;
      result.metrics.rssAfterMessageKiB = grown('rss');
      result.metrics.heapAfterMessageKiB = grown('heapUsed');
      result.metrics.externalAfterMessageKiB = grown('external');
      result.metrics.serverRssAfterMessageMiB = sum(after, 'rss') / mebibyte;
    }
    if (settleMs > 0) {
      const settled = await settle(servers, settleMs);
      result.metrics.rssSettledPerConnectionKiB =
        (sum(settled, 'rss') - sum(settledBaseline, 'rss')) / connections / kibibyte;
    }
    const checks = await Promise.all(generators.map((generator) => generator.finish(60_000)));
    result.check = {
      ok: checks.every((check) => check.ok),
      messagesSent: checks.reduce((total, check) => total + check.messagesSent, 0),
      repliesCounted: checks.reduce((total, check) => total + check.repliesCounted, 0),
      // -1 (not known in advance) from any generator makes the total unknown too.
      bytesExpected: checks.some((check) => check.bytesExpected < 0)
        ? -1
        : checks.reduce((total, check) => total + check.bytesExpected, 0),
      bytesReceived: checks.reduce((total, check) => total + check.bytesReceived, 0),
      mismatches: checks.reduce((total, check) => total + check.mismatches, 0),
      verified: true,
      detail: checks.map((check) => check.detail).join('; '),
    };
    result.ok = result.check.ok;
    if (!result.ok) result.error = `connection check failed: ${result.check.detail}`;
    const died = servers.find((server) => !server.running);
    if (died !== undefined) {
      result.ok = false;
      result.error = `server exited during the run ${died.errors}`;
    }
  } finally {
    await Promise.all(generators.map((generator) => generator.stop()));
    await Promise.all(servers.map((server) => server.stop()));
  }
}
