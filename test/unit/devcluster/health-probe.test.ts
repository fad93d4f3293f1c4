/**
 * The engine's HTTP health probe on a plain socket: the status line it reads (table) and what it
 * answers against real loopback servers that answer well, badly or not at all.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { finalStatus, probe } from '../../../src/devcluster/health.js';

describe('finalStatus', () => {
  it.each<[string, string, ReturnType<typeof finalStatus>]>([
    ['a complete status line', 'HTTP/1.1 200 OK\r\n', { code: 200, reason: 'OK' }],
    ['HTTP/1.0 without a reason', 'HTTP/1.0 404\r\nServer: x\r\n', { code: 404, reason: '' }],
    ['not yet a whole line', 'HTTP/1.1 20', undefined],
    ['100 Continue, then the final answer', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n', { code: 503, reason: 'Service Unavailable' }],
    ['100 Continue, the final answer not here yet', 'HTTP/1.1 100 Continue\r\n\r\n', undefined],
    ['101 is final (no upgrade was asked)', 'HTTP/1.1 101 Switching Protocols\r\n', { code: 101, reason: 'Switching Protocols' }],
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n', { malformed: true }],
    ['no line end within 16 KiB', 'x'.repeat(17 * 1024), { malformed: true }],
  ])('%s', (_what, head, want) => {
    expect(finalStatus(head)).toEqual(want);
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
