// A system dashboard: this machine's CPU (total and per core), memory, load, network and tasks, and
// each server process's own figures, pushed every second to every page that watches, over the hub.
//
//   node examples/system-dashboard/server.mjs [--port 8084] [--interval 1000]
//   node examples/system-dashboard/server.mjs --workers 2 --redis redis://127.0.0.1:6379
//
// Everything goes on one topic, `system`, with presence on: a page that subscribes is a viewer.
// - Only while someone watches. Once a second each process asks the broker who is subscribed to
//   `system` on any process (presence); with nobody, it reads and publishes nothing.
// - No figure twice. Each process publishes its own figures (`kind: 'process'`, under its label).
//   The machine's figures (`kind: 'machine'`, under the host name) come from one process per
//   machine: the one that published the newest of them. The others read the topic's history each
//   tick and take over only when that sample is older than 2.5 ticks (its process died or stopped).
//   Two that take over in the same second both publish once; the next second the one whose
//   sample is not the newest steps back.
// GET /status: this process's sampler (for people and tests). GET /recent: the samples the topic
// still holds, so a new page draws the last minute at once, then subscribes from their position.
import os from 'node:os';
import { runApp } from '../shared/app-server.mjs';
import { MachineSampler } from './machine-figures.mjs';
import { ProcessSampler } from './process-figures.mjs';

const TOPIC = 'system';
/** A minute of samples from a machine and a few processes. */
const HISTORY = 240;

runApp({
  name: 'system-dashboard',
  directory: new URL('.', import.meta.url),
  defaultPort: 8084,
  flags: { interval: { type: 'string', default: '1000' } },
  hubOptions: () => ({
    topicOptions: (topic) =>
      topic === TOPIC
        ? // latest-by-key: a page that cannot keep up gets the newest sample of each source.
          { historySize: HISTORY, historyTtlMs: 120_000, presence: true, backpressure: 'latest-by-key' }
        : undefined,
    canSubscribe: (topic) => topic === TOPIC,
    canPublish: () => false,
  }),
  setup: ({ hub, args, route, processLabel }) => {
    const interval = Number(args.interval);
    if (!(interval >= 100 && interval <= 60_000)) throw new Error(`bad --interval ${args.interval}`);
    /** A machine sample older than this is taken over by another process on the same machine. */
    const staleMs = 2.5 * interval;
    const host = os.hostname();
    const machine = new MachineSampler();
    const own = new ProcessSampler();
    const status = {
      label: processLabel,
      host,
      interval,
      sampling: false,
      machineSampler: false,
      viewersHere: 0,
      viewersEverywhere: 0,
      ticks: 0,
      published: { machine: 0, process: 0 },
      starts: 0,
      stops: 0,
      lastError: undefined,
    };

    function startSampling() {
      status.sampling = true;
      status.starts++;
      own.start();
      console.log(`sampler started: ${status.viewersEverywhere} watching`);
    }

    function stopSampling() {
      status.sampling = false;
      status.machineSampler = false;
      status.stops++;
      own.stop();
      machine.reset();
      console.log('sampler stopped: nobody is watching');
    }

    /** Should this process publish the machine's figures now? (See the top of the file.) */
    async function mayPublishMachine(now) {
      const history = await hub.history(TOPIC, { limit: 10 });
      const publications = history.ok ? history.publications : [];
      for (let i = publications.length - 1; i >= 0; i--) {
        const sample = JSON.parse(String(publications[i].data));
        if (sample.kind !== 'machine' || sample.host !== host) continue;
        return sample.by === processLabel || now - sample.t > staleMs;
      }
      return true;
    }

    async function tick() {
      status.ticks++;
      status.viewersHere = hub.localSubscribers(TOPIC);
      status.viewersEverywhere = (await hub.presence(TOPIC)).length;
      if (status.viewersEverywhere === 0) {
        if (status.sampling) stopSampling();
        return;
      }
      if (!status.sampling) startSampling();
      // Read every second while sampling, so a process that takes over has a baseline for rates.
      const figures = machine.read();
      const t = Date.now();
      status.machineSampler = figures !== undefined && (await mayPublishMachine(t));
      if (status.machineSampler) {
        const sample = { kind: 'machine', host, by: processLabel, t, ...figures };
        await hub.publish(TOPIC, JSON.stringify(sample), { key: `machine:${host}` });
        status.published.machine++;
      }
      const sample = {
        kind: 'process',
        label: processLabel,
        host,
        t,
        viewers: status.viewersHere,
        watching: status.viewersEverywhere,
        machineSampler: status.machineSampler,
        ...own.read(),
      };
      await hub.publish(TOPIC, JSON.stringify(sample), { key: `process:${processLabel}` });
      status.published.process++;
    }

    // One tick at a time: a slow broker delays the next tick instead of piling them up.
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      tick()
        .then(() => (status.lastError = undefined))
        .catch((error) => {
          // The broker may be down (Redis restarting): the next tick tries again.
          if (status.lastError !== error.message) console.error(`sampler: ${error.message}`);
          status.lastError = error.message;
        })
        .finally(() => (running = false));
    }, interval);

    route('GET', '/status', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(status));
    });

    route('GET', '/recent', async (_request, response) => {
      try {
        const history = await hub.history(TOPIC, { limit: HISTORY });
        const publications = history.ok ? history.publications : [];
        const { position } = history;
        const samples = publications.map((publication) => JSON.parse(String(publication.data)));
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(JSON.stringify({ host, label: processLabel, interval, position, samples }));
      } catch (error) {
        response.writeHead(503, { 'content-type': 'text/plain' });
        response.end(`history unavailable: ${error.message}\n`);
      }
    });

    return () => {
      clearInterval(timer);
      if (status.sampling) stopSampling();
    };
  },
});
