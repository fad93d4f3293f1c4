/**
 * The bridge reports its own health, so a stalled bridge is visible: a small HTTP endpoint on
 * 127.0.0.1 (`GET /health` → 200 while the last successful sync is recent, 503 otherwise) and/or a
 * status file rewritten atomically after every sync attempt.
 */
import { rename, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { BridgeStatus } from './bridge.js';

export interface HealthReport extends BridgeStatus {
  healthy: boolean;
  /** Seconds since the last successful sync (null before the first one). */
  lastSyncAgeSeconds: number | null;
  staleAfterSeconds: number;
}

export function healthReport(status: BridgeStatus, staleAfterMs: number, now = Date.now()): HealthReport {
  const age = status.lastSyncAt ? (now - Date.parse(status.lastSyncAt)) / 1000 : null;
  return {
    ...status,
    healthy: age !== null && age * 1000 <= staleAfterMs,
    lastSyncAgeSeconds: age === null ? null : Math.round(age * 10) / 10,
    staleAfterSeconds: staleAfterMs / 1000,
  };
}

export async function startHealthServer(host: string, port: number, report: () => HealthReport): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/health' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /health\n');
      return;
    }
    const r = report();
    res.writeHead(r.healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(r, null, 2)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

export async function writeHealthFile(file: string, report: HealthReport): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(tmp, file);
}
