// `serve --metrics-port`: server.metrics() in the Prometheus text format at GET /metrics, on its own
// HTTP listener (127.0.0.1 unless --metrics-host says otherwise), apart from the WebSocket port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../server/prometheus-text.js';
import type { WebSocketServer } from '../../server/web-socket-server.js';

export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveMetrics(
  server: WebSocketServer,
  port: number,
  host: string,
): Promise<MetricsEndpoint> {
  const http: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end('method not allowed\n');
      return;
    }
    const body = prometheusText(server.metrics());
    response.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
