import { createServer, type Server } from 'node:http';
import type { HostPort } from '../core/address.js';
import { listenOn } from './http-listen.js';
import type { NodeMetrics } from './metrics.js';

/**
 * `GET /metrics` in Prometheus text on its own listener (SPEC §6), so a collector can reach
 * it without reaching the admin API. Read-only and cheap, so no Host check or token.
 */
export async function startMetricsServer(
  metrics: NodeMetrics,
  address: HostPort,
): Promise<{ server: Server; address: HostPort }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.text().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  const bound = await listenOn(server, address, '--metrics');
  return { server, address: bound };
}
