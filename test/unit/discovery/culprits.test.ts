import { describe, expect, it } from 'vitest';
import { findRefusedApps } from '../../../src/haproxy/culprits.js';
import { chunks, renderConfig } from '../../../src/haproxy/render.js';
import type { Service } from '../../../src/haproxy/services.js';

const svc = (appId: string, port: number) => ({ appId, servicePort: port }) as unknown as Service;

describe('which apps HAProxy refuses', () => {
  it.each([
    ['one bad app among 16', 16, ['/a7'], ['/a7']],
    ['two bad apps among 16', 16, ['/a0', '/a15'], ['/a0', '/a15']],
    ['none bad', 8, [], []],
    ['all bad', 4, ['/a0', '/a1', '/a2', '/a3'], ['/a0', '/a1', '/a2', '/a3']],
  ])('%s', async (_name, n, bad, expected) => {
    const services = Array.from({ length: n }, (_, i) => [svc(`/a${i}`, 10000 + i), svc(`/a${i}`, 20000 + i)]).flat();
    let checks = 0;
    const refused = await findRefusedApps(services, async (subset) => (checks++, !subset.some((s) => bad.includes(s.appId))));
    expect(refused).toEqual(expected);
    // halving, not one check per app once there are few culprits
    if (bad.length === 1) expect(checks).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(n)));
  });

  it('undefined when even no app is accepted (the skeleton is at fault)', async () => {
    expect(await findRefusedApps([svc('/a', 1)], async () => false)).toBeUndefined();
  });

  it('[] when apps are accepted alone but not together', async () => {
    const services = [svc('/a', 1), svc('/b', 2)];
    expect(await findRefusedApps(services, async (subset) => subset.length < 2)).toEqual([]);
  });
});

describe('virtual hosts on acl lines', () => {
  it.each([
    [0, 40, 0],
    [40, 40, 1],
    [41, 40, 2],
    [300, 40, 8],
  ])('%d hosts, %d per line → %d lines', (n, per, lines) => {
    expect(chunks(Array.from({ length: n }, (_, i) => i), per)).toHaveLength(lines);
  });

  it('no acl line of an app with 300 virtual hosts has more than 64 words', () => {
    const vhosts = Array.from({ length: 300 }, (_, i) => `h${i}.example.com`);
    const service = { name: 'web_10000', appId: '/web', servicePort: 10000, portIndex: 0, bind: '127.0.0.1', mode: 'http', vhosts, servers: [], balance: 'roundrobin' } as unknown as Service;
    const { text } = renderConfig([service], { statsSocket: '/tmp/s', httpPort: 8080, httpBind: '127.0.0.1' });
    const acl = text.split('\n').filter((l) => l.trim().startsWith('acl host_web_10000 '));
    expect(acl).toHaveLength(8);
    for (const line of acl) expect(line.trim().split(/\s+/).length).toBeLessThanOrEqual(64);
    expect(acl.flatMap((l) => l.trim().split(/\s+/).slice(5))).toEqual(vhosts);
  });
});
