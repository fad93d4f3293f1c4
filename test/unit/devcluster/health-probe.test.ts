/**
 * The engine's HTTP health probe: the status line it reads, which answers are interim and what a
 * final status means for Marathon-level and Mesos-level checks (tables), and what it answers
 * against real loopback servers (plain and TLS) that answer well, badly or not at all.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../../src/devcluster/health.js';
import { finalStatus, httpVerdict, isInterim, locationOf, MAX_REDIRECTS, probe } from '../../../src/devcluster/health.js';
import { components, describeWith } from '../../support/integration.js';
import { selfSignedCert, type SelfSignedCert } from '../../support/tls.js';

const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\n\r\n';

/** finalStatus without the offset of the final status line. */
function status(head: string, client?: HttpClient) {
  const got = finalStatus(head, client);
  if (got && 'code' in got) return { code: got.code, reason: got.reason };
  return got;
}
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';

describe('finalStatus', () => {
  it.each<[string, string, ReturnType<typeof status>]>([
    ['a complete status line', 'HTTP/1.1 200 OK\r\n', { code: 200, reason: 'OK' }],
    ['HTTP/1.0 without a reason', 'HTTP/1.0 404\r\nServer: x\r\n', { code: 404, reason: '' }],
    ['not yet a whole line', 'HTTP/1.1 20', undefined],
    ['100 Continue, then the final answer', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n', { code: 503, reason: 'Service Unavailable' }],
    ['100 Continue, the final answer not here yet', 'HTTP/1.1 100 Continue\r\n\r\n', undefined],
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n', { malformed: true }],
    ['no line end within 16 KiB', 'x'.repeat(17 * 1024), { malformed: true }],
  ])('%s', (_what, head, want) => {
    expect(status(head)).toEqual(want);
    expect(status(head, 'mesos')).toEqual(want);
  });

  // akka-http (Marathon) reads past every 1xx, 101 included; curl (Mesos) stops at 101
  it.each<[string, string, HttpClient, ReturnType<typeof status>]>([
    ['101 then 200, Marathon', `${SWITCH}${OK}`, 'marathon', { code: 200, reason: 'OK' }],
    ['101 alone, Marathon: still waiting', SWITCH, 'marathon', undefined],
    ['101 then 200, Mesos (curl): 101 is final', `${SWITCH}${OK}`, 'mesos', { code: 101, reason: 'Switching Protocols' }],
    ['102 then 503, Mesos', 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 503 No\r\n\r\n', 'mesos', { code: 503, reason: 'No' }],
    ['199 then 204, Marathon', 'HTTP/1.1 199 Custom\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', 'marathon', { code: 204, reason: 'No Content' }],
  ])('%s', (_what, head, client, want) => {
    expect(status(head, client)).toEqual(want);
  });

  it('says where the final status line starts', () => {
    expect(finalStatus(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\n`, 'mesos')).toEqual({ code: 302, reason: 'Found', at: 25 });
  });
});

describe('locationOf', () => {
  it.each<[string, string, ReturnType<typeof locationOf>]>([
    ['a Location header', 'HTTP/1.1 302 Found\r\nServer: x\r\nLocation: /ok\r\n\r\n', '/ok'],
    ['any case, spaces trimmed', 'HTTP/1.1 301 Moved\r\nLOCATION:  http://127.0.0.1:1/x?y=1 \r\n\r\n', 'http://127.0.0.1:1/x?y=1'],
    ['none', 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n', null],
    ['an empty one', 'HTTP/1.1 302 Found\r\nLocation:\r\n\r\n', null],
    ['header block not complete yet', 'HTTP/1.1 302 Found\r\nLocation: /ok\r\n', undefined],
    ['a header block past 16 KiB', `HTTP/1.1 302 Found\r\nX: ${'a'.repeat(17 * 1024)}`, { malformed: true }],
  ])('%s', (_what, head, want) => {
    expect(locationOf(head, 0)).toEqual(want);
  });
});

describe('isInterim', () => {
  it.each<[number, HttpClient, boolean]>([
    [100, 'marathon', true],
    [101, 'marathon', true],
    [102, 'marathon', true],
    [199, 'marathon', true],
    [200, 'marathon', false],
    [100, 'mesos', true],
    [101, 'mesos', false],
    [103, 'mesos', true],
    [200, 'mesos', false],
    [99, 'mesos', false],
  ])('%d for %s → %s', (code, client, want) => {
    expect(isInterim(code, client)).toBe(want);
  });
});

describe('httpVerdict (HealthCheckWorker.http/https; Mesos health_checker.cpp)', () => {
  it.each<[string, number, boolean, string]>([
    ['HTTP', 200, false, 'healthy'],
    ['HTTP', 399, false, 'healthy'],
    ['HTTP', 400, false, 'unhealthy'],
    ['HTTP', 101, false, 'unhealthy'],
    ['HTTP', 101, true, 'ignored'],
    ['HTTP', 100, true, 'ignored'],
    ['HTTP', 199, true, 'ignored'],
    ['HTTP', 500, true, 'unhealthy'],
    ['HTTPS', 101, true, 'unhealthy'], // the https branch never looks at ignoreHttp1xx
    ['HTTPS', 302, false, 'healthy'],
    ['MESOS_HTTP', 101, true, 'unhealthy'], // Mesos has no ignoreHttp1xx
    ['MESOS_HTTP', 204, false, 'healthy'],
    ['MESOS_HTTPS', 404, false, 'unhealthy'],
  ])('%s %d ignoreHttp1xx=%s → %s', (protocol, code, ignore, want) => {
    expect(httpVerdict(code, protocol, ignore)).toBe(want);
  });
});

describe('HTTP probe on a plain socket', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  /** A loopback server that hands each connection's first bytes to `answer`; resolves its port and what it received. */
  async function server(answer: (socket: net.Socket, request: string) => void): Promise<{ port: number; requests: string[] }> {
    const requests: string[] = [];
    const s = net.createServer((socket) => {
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (!got.includes('\r\n\r\n')) return;
        requests.push(got);
        answer(socket, got);
      });
      socket.on('error', () => undefined);
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { port: (s.address() as AddressInfo).port, requests };
  }

  const target = (port: number, over: Record<string, unknown> = {}) => ({ protocol: 'HTTP', host: '127.0.0.1', port, path: '/health', timeoutMs: 1000, ...over });

  it.each<[string, string, string | undefined]>([
    ['200 passes', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', undefined],
    ['a redirect passes (200-399)', 'HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n', undefined],
    ['500 fails with its status', 'HTTP/1.1 500 Internal Server Error\r\n\r\n', '500 Internal Server Error'],
    ['100 Continue then 200 passes', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', undefined],
    ['an answer that is not HTTP fails', 'hello\r\n', 'Parse Error: the answer is not HTTP'],
  ])('%s', async (_what, reply, want) => {
    const { port, requests } = await server((s) => s.end(reply));
    expect(await probe(target(port))).toBe(want);
    expect(requests[0]).toMatch(new RegExp(`^GET /health HTTP/1\\.1\r\nHost: 127\\.0\\.0\\.1:${port}\r\n`));
  });

  it.each<[string, string, boolean, string, unknown]>([
    // Marathon: akka-http reads past the 101, so the final answer decides; ignoreHttp1xx never sees a 1xx
    ['HTTP: 101 then 200 passes', 'HTTP', false, `${SWITCH}${OK}`, undefined],
    ['HTTP, ignoreHttp1xx: 101 then 200 passes', 'HTTP', true, `${SWITCH}${OK}`, undefined],
    ['HTTP, ignoreHttp1xx: 101 then the connection ends fails', 'HTTP', true, SWITCH, 'socket hang up'],
    ['HTTP, ignoreHttp1xx: 102 then 500 fails', 'HTTP', true, 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 500 Internal Server Error\r\n\r\n', '500 Internal Server Error'],
    // Mesos: curl reports the 101 as the final code, which is below 200
    ['MESOS_HTTP: 101 then 200 fails', 'MESOS_HTTP', false, `${SWITCH}${OK}`, '101 Switching Protocols'],
    ['MESOS_HTTP, ignoreHttp1xx given anyway: 101 fails', 'MESOS_HTTP', true, SWITCH, '101 Switching Protocols'],
    ['MESOS_HTTP: 100 then 200 passes', 'MESOS_HTTP', false, `HTTP/1.1 100 Continue\r\n\r\n${OK}`, undefined],
  ])('%s', async (_what, protocol, ignoreHttp1xx, reply, want) => {
    const { port } = await server((s) => s.end(reply));
    expect(await probe(target(port, { protocol, ignoreHttp1xx }))).toEqual(want);
  });

  it.each<[string, string, Record<string, string>, unknown]>([
    ['MESOS_HTTP follows a redirect to a failing page (curl -L)', 'MESOS_HTTP', { '/health': 'HTTP/1.1 302 Found\r\nLocation: /down\r\n\r\n' }, '503 Service Unavailable'],
    ['MESOS_HTTP follows a relative Location against the URL it asked', 'MESOS_HTTP', { '/health': 'HTTP/1.1 301 Moved\r\nLocation: ok\r\n\r\n' }, undefined],
    ['MESOS_HTTP: a 3xx without Location is the final code (healthy)', 'MESOS_HTTP', { '/health': 'HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n' }, undefined],
    ['MESOS_HTTP: a redirect loop fails after 50', 'MESOS_HTTP', { '/health': 'HTTP/1.1 307 Again\r\nLocation: /health\r\n\r\n' }, `Maximum (${MAX_REDIRECTS}) redirects followed`],
    ['MESOS_HTTP: a redirect to another scheme it cannot speak fails', 'MESOS_HTTP', { '/health': 'HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\n\r\n' }, 'redirect to an unsupported protocol: ftp:'],
    ['HTTP (Marathon) does not follow: the 302 passes', 'HTTP', { '/health': 'HTTP/1.1 302 Found\r\nLocation: /down\r\n\r\n' }, undefined],
  ])('%s', async (_what, protocol, routes, want) => {
    const all: Record<string, string> = { '/down': 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', '/ok': OK, ...routes };
    const { port, requests } = await server((s, req) => s.end(all[req.split(' ')[1]!] ?? 'HTTP/1.1 404 Not Found\r\n\r\n'));
    expect(await probe(target(port, { protocol, timeoutMs: 10_000 }))).toEqual(want);
    if (String(want).startsWith('Maximum')) expect(requests).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('MESOS_HTTP follows an absolute Location to another port, on a new connection', async () => {
    const other = await server((s) => s.end('HTTP/1.1 500 Internal Server Error\r\n\r\n'));
    const first = await server((s) => s.end(`HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:${other.port}/elsewhere?x=1\r\n\r\n`));
    expect(await probe(target(first.port, { protocol: 'MESOS_HTTP' }))).toBe('500 Internal Server Error');
    expect(other.requests[0]).toMatch(new RegExp(`^GET /elsewhere\\?x=1 HTTP/1\\.1\r\nHost: 127\\.0\\.0\\.1:${other.port}\r\n`));
  });

  it('makes a Marathon-level path absolute, as HealthCheckWorker does', async () => {
    const { port, requests } = await server((s) => s.end(OK));
    expect(await probe(target(port, { path: 'ready' }))).toBeUndefined();
    expect(await probe(target(port, { path: undefined }))).toBeUndefined();
    expect(requests.map((r) => r.split('\r\n')[0])).toEqual(['GET /ready HTTP/1.1', 'GET / HTTP/1.1']);
  });

  it('fails when the server closes without an answer, or never answers', async () => {
    const closes = await server((s) => s.end());
    expect(await probe(target(closes.port))).toBe('socket hang up');
    const silent = await server(() => undefined);
    expect(await probe(target(silent.port, { timeoutMs: 200 }))).toBe('no answer within 200 ms');
  });

  it('fails on a refused connection, and on a path that would break the request line (nothing sent)', async () => {
    const { port, requests } = await server((s) => s.end('HTTP/1.1 200 OK\r\n\r\n'));
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probe(target(port))).toMatch(/ECONNREFUSED/);
    const open = await server((s) => s.end('HTTP/1.1 200 OK\r\n\r\n'));
    expect(await probe(target(open.port, { path: '/a b\r\nX-Injected: 1' }))).toBe('Request path contains unescaped characters');
    expect([...requests, ...open.requests]).toEqual([]);
  });
});

const withTls = await describeWith([components.openssl]);

withTls('HTTPS probe on a TLS socket (certificate not verified)', () => {
  let cert: SelfSignedCert;
  const servers: tls.Server[] = [];
  beforeAll(() => {
    cert = selfSignedCert('/CN=elsewhere.invalid');
  });
  afterAll(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    cert?.remove();
  });

  async function server(reply: string): Promise<number> {
    const s = tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => {
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) socket.end(reply);
      });
      socket.on('error', () => undefined);
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  }

  it.each<[string, string, boolean, string, unknown]>([
    ['HTTPS: 200 passes with a certificate for another name', 'HTTPS', false, OK, undefined],
    ['HTTPS, ignoreHttp1xx: 101 then 200 passes', 'HTTPS', true, `${SWITCH}${OK}`, undefined],
    ['HTTPS: 503 fails', 'HTTPS', false, 'HTTP/1.1 503 Service Unavailable\r\n\r\n', '503 Service Unavailable'],
    ['MESOS_HTTPS: 101 then 200 fails', 'MESOS_HTTPS', false, `${SWITCH}${OK}`, '101 Switching Protocols'],
  ])('%s', async (_what, protocol, ignoreHttp1xx, reply, want) => {
    const port = await server(reply);
    expect(await probe({ protocol, host: '127.0.0.1', port, path: '/', timeoutMs: 5000, ignoreHttp1xx })).toEqual(want);
  });
});
