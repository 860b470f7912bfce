// A real load balancer for multi-process hub tests: Debian's nginx, started by the test in the
// foreground on a free loopback port, with a generated config, prefix, error log and pid file in its
// own temp dir. It proxies WebSocket upgrades round-robin to the upstream ports a test names.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, waitUntil } from './free-port.js';

export const NGINX = '/usr/sbin/nginx';

export function nginxMissing(): false | string {
  if (existsSync(NGINX)) return false;
  const reason = `${NGINX} not found (apt-get install nginx)`;
  if (process.env.CI === 'true') throw new Error(`test service missing in CI: ${reason}`);
  return reason;
}

/**
 * The part of the config that matters to a deployment: docs/deployment.md shows this block, and
 * test/faults/hub-nginx.test.ts checks that the docs still match it.
 */
export function hubProxyConfig(listenPort: number, upstreamPorts: readonly number[]): string {
  return `map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

upstream fullduplex_hub {
${upstreamPorts.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`).join('\n')}
}

server {
    listen 127.0.0.1:${listenPort};

    location / {
        proxy_pass http://fullduplex_hub;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_connect_timeout 2s;
        # Idle WebSockets stay open while the hub's heartbeat pings them (well within 5 minutes).
        proxy_read_timeout 300s;
        proxy_send_timeout 300s;
        proxy_next_upstream error timeout;
    }
}`;
}

export interface Nginx {
  readonly port: number;
  /** `ws://127.0.0.1:PORT` */
  readonly url: string;
  /** nginx's error log so far. */
  errorLog(): Promise<string>;
  /** Stop nginx (SIGTERM: fast shutdown, then SIGKILL after 2 s) and remove its dir. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startNginx(upstreamPorts: readonly number[]): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'fullduplex-nginx-'));
  const port = await freePort();
  const errorLogPath = join(dir, 'error.log');
  const config = `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLogPath} warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};

${hubProxyConfig(port, upstreamPorts)}
}
`;
  const configPath = join(dir, 'nginx.conf');
  await writeFile(configPath, config);
  let output = '';
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', configPath, '-e', errorLogPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    if (output.length < 100_000) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const errorLog = (): Promise<string> => readFile(errorLogPath, 'utf8').catch(() => '');
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  if (await waitUntil(() => exited || canConnect(port))) {
    if (!exited) return { port, url: `ws://127.0.0.1:${port}`, errorLog, stop };
  }
  const log = `${output}${await errorLog()}`;
  await stop();
  throw new Error(`nginx did not start: ${log}`);
}
