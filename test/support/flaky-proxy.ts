/**
 * A loopback HTTP proxy in front of a registry that answers 503 to the first `failFirst` manifest
 * uploads (PUT …/manifests/…), and forwards everything else: a registry with a transient outage at
 * the last step of a push, for the push retry test. (The engine absorbs a 503 on its `/v2/` ping
 * and retries layer uploads itself; a failed manifest upload is what reaches bbm.)
 */
import { createServer, request, type Server } from 'node:http';

export interface FlakyProxy {
  address: string;
  /** Manifest uploads answered 503 so far. */
  failed: () => number;
  close: () => Promise<void>;
}

export function flakyProxy(upstream: string, failFirst: number): Promise<FlakyProxy> {
  const [upHost, upPort] = upstream.split(':');
  let failed = 0;
  const server: Server = createServer((req, res) => {
    if (failed < failFirst && req.method === 'PUT' && /\/manifests\//.test(req.url ?? '')) {
      failed++;
      req.resume();
      res.writeHead(503, { 'Content-Type': 'text/plain' }).end('temporarily unavailable\n');
      return;
    }
    // The Host header is kept, so the registry builds upload URLs that point back at this proxy.
    const out = request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      resolve({
        address: `127.0.0.1:${port}`,
        failed: () => failed,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
