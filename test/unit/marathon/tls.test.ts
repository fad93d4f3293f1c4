/** HTTPS Marathon with a private CA: refused without --marathon-ca-file (and says so), trusted with it. */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MarathonClient } from '../../../src/marathon/client.js';
import { streamEvents } from '../../../src/marathon/events.js';
import { UsageError } from '../../../src/errors.js';
import { components, describeWith } from '../../support/integration.js';
import { selfSignedCert, type SelfSignedCert } from '../../support/tls.js';

const d = await describeWith([components.openssl]);

d('Marathon over HTTPS', () => {
  let cert: SelfSignedCert;
  let ca = '';
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // a self-signed certificate for 127.0.0.1 is its own CA
    cert = selfSignedCert('/CN=127.0.0.1', 'IP:127.0.0.1');
    ca = cert.certPath;
    server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
      if (req.url?.startsWith('/v2/events')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return res.end('event: event_stream_attached\r\ndata: {"eventType":"event_stream_attached","timestamp":"t"}\r\n\r\n');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name":"marathon","version":"1.10.26"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    cert.remove();
  });

  it('an untrusted certificate is a usage error pointing at --marathon-ca-file, not retried', async () => {
    const e = await new MarathonClient({ url, retry: { attempts: 5, baseDelayMs: 1 } }).info().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).message).toMatch(/TLS certificate not accepted/);
    expect((e as UsageError).hint).toMatch(/--marathon-ca-file/);
  });

  it('with the CA file the client and the event stream work', async () => {
    const c = new MarathonClient({ url, caFile: ca });
    expect((await c.info()).version).toBe('1.10.26');
    await c.close();
    const events = [];
    for await (const e of streamEvents({ url, caFile: ca, signal: new AbortController().signal })) events.push(e.eventType);
    expect(events).toEqual(['event_stream_attached']);
  });

  it('a CA file that cannot be read is a usage error naming it', () => {
    expect(() => new MarathonClient({ url, caFile: path.join(path.dirname(ca), 'missing.pem') })).toThrow(/--marathon-ca-file .*missing\.pem: cannot read it/);
  });
});
