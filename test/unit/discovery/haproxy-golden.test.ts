/**
 * Golden output of buildServices + renderConfig on large generated inputs (golden-apps.ts), so a
 * change made for speed cannot silently change a byte of the configuration, its skeleton, the
 * slot tables or the warnings. The expected output was recorded from the renderer before it was
 * optimised (test/unit/discovery/golden/haproxy.json.gz). After an intended change of the output,
 * rewrite it with `BBM_UPDATE_GOLDEN=1 npx vitest run test/unit/discovery/haproxy-golden.test.ts`
 * and review the difference.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { renderConfig, type RenderOptions, type SlotTable } from '../../../src/haproxy/render.js';
import { buildServices, type ServiceOptions } from '../../../src/haproxy/services.js';
import type { AppInfo } from '../../../src/marathon/types.js';
import { churned, goldenApps, RESOLVABLE } from './golden-apps.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden', 'haproxy.json.gz');

interface Output {
  warnings: string[];
  text: string;
  skeleton: string;
  slots: [string, (string | null)[]][];
}

const resolve = (host: string) => RESOLVABLE[host];

function run(apps: AppInfo[], s: Partial<ServiceOptions>, r: Partial<RenderOptions>, previous?: SlotTable): Output {
  const { services, warnings } = buildServices(apps, { bind: '127.0.0.1', resolve, reservedPorts: [8080], ...s });
  const out = renderConfig(services, { statsSocket: '/run/bbm/haproxy.sock', httpPort: 8080, httpBind: '127.0.0.1', ...r }, previous);
  return { warnings: warnings.map((w) => `${w.path}: ${w.message}`), text: out.text, skeleton: out.skeleton, slots: [...out.slots] };
}

function scenarios(): Record<string, Output> {
  const apps = goldenApps(16, 300);
  const first = run(apps, {}, {});
  return {
    'all apps, defaults': first,
    'group external, bind ::, 2 slots, short acl lines': run(apps, { group: 'external', bind: '::', reservedPorts: [8080, 10003] }, { httpBind: '::', minSlots: 2, hardStopAfter: 30, vhostsPerAclLine: 7 }),
    'group internal, no reserved ports': run(goldenApps(2, 120), { group: 'internal', reservedPorts: [] }, { httpPort: 18080 }),
    'the same apps after task churn, previous slots kept': run(churned(apps, 3), {}, {}, new Map(first.slots)),
  };
}

describe('buildServices + renderConfig: golden output on large generated inputs', () => {
  const actual = scenarios();
  if (process.env.BBM_UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
    if (process.env.BBM_UPDATE_GOLDEN !== '1') throw new Error(`${GOLDEN} is missing; record it with BBM_UPDATE_GOLDEN=1`);
    mkdirSync(path.dirname(GOLDEN), { recursive: true });
    writeFileSync(GOLDEN, gzipSync(`${JSON.stringify(actual, null, 1)}\n`, { level: 9 }));
  }
  const expected = JSON.parse(gunzipSync(readFileSync(GOLDEN)).toString('utf8')) as Record<string, Output>;

  it('covers what it claims: vhost frontend, http and tcp, IPv6, grown and kept slots, warnings', () => {
    const { text, warnings } = actual['all apps, defaults']!;
    expect(text).toMatch(/^frontend bbm_http_vhosts$/m);
    expect(text).toMatch(/^ {2}mode http$/m);
    expect(text).toMatch(/^ {2}balance leastconn$/m);
    expect(text).toMatch(/^ {2}server s1 ipv6@/m);
    expect(text).toMatch(/^ {2}bind ipv6@/m);
    expect(text).toMatch(/^ {2}server s8 /m);
    expect(text.split('\n').length).toBeGreaterThan(5_000);
    for (const w of ['not a valid Marathon app id', 'is already used by', 'is not http or tcp', 'is not a host name', 'already routed to', 'is not an IP address', 'is not a port', 'not an IP or a resolvable host name', 'has no tcp'])
      expect(warnings.join('\n')).toContain(w);
    expect(actual['the same apps after task churn, previous slots kept']!.text).not.toBe(text);
  });

  it.each(Object.keys(expected))('%s: byte for byte as recorded', (name) => {
    const a = actual[name]!;
    const e = expected[name]!;
    expect(a.warnings).toEqual(e.warnings);
    expect(a.slots).toEqual(e.slots);
    // Line arrays first (a readable difference), then the exact bytes.
    expect(a.text.split('\n')).toEqual(e.text.split('\n'));
    expect(a.text).toBe(e.text);
    expect(a.skeleton).toBe(e.skeleton);
  });

  it('records every scenario', () => expect(Object.keys(expected).sort()).toEqual(Object.keys(actual).sort()));
});
