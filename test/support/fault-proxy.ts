/**
 * A small HTTP proxy between `bbm` and the engine, for fault tests. Passes everything through
 * (event streams included, unbuffered) and records every request body, unless a fault is armed:
 * - `dropEventsAfter(n)`: cut every /v2/events stream after it has passed n events;
 * - `refuseEvents(status)`: answer /v2/events with that status (the stream is unavailable);
 * - `redirectEvents(url)`: answer /v2/events with a 302 to another server (Marathon's standby → leader);
 * - `fail503(n, match?)`: answer the next n matching non-event requests with 503.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRecord {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  status?: number;
}

export interface FaultProxy {
  url: string;
  records: ProxyRecord[];
  setTarget(url: string): void;
  /** Cut the next `times` (default 1) event streams after n events each. */
  dropEventsAfter(n: number | undefined, times?: number): void;
  refuseEvents(status: number | undefined): void;
  redirectEvents(url: string | undefined): void;
  fail503(n: number, match?: (method: string, url: string) => boolean): void;
  /** How many 503s were injected, and streams cut, so far. */
  stats: { injected503: number; cutStreams: number; redirects: number; refused: number };
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let upstream = new URL(target);
  let dropAfter: number | undefined;
  let dropTimes = 0;
  let refuse: number | undefined;
  let redirect: string | undefined;
  let fail = 0;
  let failMatch: (method: string, url: string) => boolean = () => true;
  const records: ProxyRecord[] = [];
  const stats = { injected503: 0, cutStreams: 0, redirects: 0, refused: 0 };
  const open = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: ProxyRecord = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      records.push(rec);
      const isEvents = (req.url ?? '').startsWith('/v2/events');
      if (isEvents && redirect) {
        stats.redirects++;
        rec.status = 302;
        res.writeHead(302, { location: redirect + (req.url ?? '') });
        return res.end();
      }
      if (isEvents && refuse) {
        stats.refused++;
        rec.status = refuse;
        res.writeHead(refuse, { 'content-type': 'text/html' });
        return res.end('<html><body>refused by the test proxy</body></html>');
      }
      if (!isEvents && fail > 0 && failMatch(req.method ?? '', req.url ?? '')) {
        fail--;
        stats.injected503++;
        rec.status = 503;
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ message: 'injected by the test proxy' }));
      }
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (upRes) => {
          rec.status = upRes.statusCode;
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          if (!isEvents) return void upRes.pipe(res);
          // pass the stream's headers on at once, as the engine (and Jetty's EventSourceServlet) sends them
          res.flushHeaders();
          open.add(res);
          res.on('close', () => open.delete(res));
          let events = 0;
          const limit = dropTimes > 0 ? dropAfter : undefined;
          if (limit !== undefined) dropTimes--;
          upRes.on('data', (chunk: Buffer) => {
            res.write(chunk);
            events += (chunk.toString('utf8').match(/\r\n\r\n/g) ?? []).length;
            if (limit !== undefined && events >= limit) {
              stats.cutStreams++;
              upRes.destroy();
              res.destroy();
            }
          });
          upRes.on('end', () => res.end());
          upRes.on('error', () => res.destroy());
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'the test proxy could not reach the engine' }));
      });
      res.on('close', () => up.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    stats,
    setTarget: (u) => {
      upstream = new URL(u);
    },
    dropEventsAfter: (n, times = 1) => {
      dropAfter = n;
      dropTimes = n === undefined ? 0 : times;
    },
    refuseEvents: (s) => {
      refuse = s;
    },
    redirectEvents: (u) => {
      redirect = u;
    },
    fail503: (n, match) => {
      fail = n;
      failMatch = match ?? (() => true);
    },
    reset: () => {
      dropAfter = undefined;
      dropTimes = 0;
      refuse = undefined;
      redirect = undefined;
      fail = 0;
      records.length = 0;
      stats.injected503 = stats.cutStreams = stats.redirects = stats.refused = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
