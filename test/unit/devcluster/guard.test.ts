/** Who may call the devcluster (issue: a web page must never reach it) and which definitions widen access. Pure. */
import { describe, expect, it } from 'vitest';
import type { GuardOptions, RequestFacts } from '../../../src/devcluster/guard.js';
import { hostnameOf, isLoopback, privilegeProblems, refusal } from '../../../src/devcluster/guard.js';

const loopback: GuardOptions = { bindHost: '127.0.0.1', port: 8080, names: ['127.0.0.1', 'devbox'] };
const wildcard: GuardOptions = { bindHost: '0.0.0.0', port: 8080, names: ['devbox'], credentials: 'u:p' };
const get: RequestFacts = { method: 'GET', host: '127.0.0.1:8080', origin: undefined, contentType: undefined, hasBody: false, authorization: undefined };
const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('refusal', () => {
  it.each<[string, Partial<RequestFacts>, GuardOptions, number | undefined]>([
    ['a plain GET', {}, loopback, undefined],
    ['no Host header (HTTP/1.0)', { host: undefined }, loopback, undefined],
    ['Host localhost', { host: 'localhost:8080' }, loopback, undefined],
    ['Host [::1]', { host: '[::1]:8080' }, loopback, undefined],
    ['Host the machine name', { host: 'devbox:8080' }, loopback, undefined],
    ['a rebinding name', { host: 'attacker.example:8080' }, loopback, 403],
    ['a foreign IP on a loopback engine', { host: '10.1.2.3:8080' }, loopback, 403],
    ['its own origin', { origin: 'http://127.0.0.1:8080' }, loopback, undefined],
    ['a foreign origin', { origin: 'http://attacker.example' }, loopback, 403],
    ['its host on another port', { origin: 'http://127.0.0.1:3000' }, loopback, 403],
    ['origin null', { origin: 'null' }, loopback, 403],
    ['a text/plain POST', { method: 'POST', contentType: 'text/plain', hasBody: true }, loopback, 415],
    ['a form POST with an empty body', { method: 'POST', contentType: 'application/x-www-form-urlencoded' }, loopback, 415],
    ['a body without Content-Type', { method: 'PUT', hasBody: true }, loopback, 415],
    ['JSON with a charset', { method: 'PUT', contentType: 'application/json; charset=utf-8', hasBody: true }, loopback, undefined],
    ['a POST without body or type (restart)', { method: 'POST' }, loopback, undefined],
    ['no credentials where they are required', {}, wildcard, 401],
    ['wrong credentials', { authorization: basic('u:x') }, wildcard, 401],
    ['the credentials, any IP on a wildcard engine', { host: '192.0.2.7:8080', authorization: basic('u:p') }, wildcard, undefined],
    ['a name on a wildcard engine that is not its own', { host: 'attacker.example', authorization: basic('u:p') }, wildcard, 403],
  ])('%s', (_what, facts, options, status) => {
    expect(refusal({ ...get, ...facts }, options)?.status).toBe(status);
  });

  it('asks for basic auth as Jetty does (realm Mesosphere, HTML body)', () => {
    const r = refusal(get, wildcard)!;
    expect(r.headers).toEqual({ 'WWW-Authenticate': 'Basic realm="Mesosphere"' });
    expect(r.html).toMatch(/HTTP ERROR 401/);
  });
});

describe('host helpers', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1'],
    ['[::1]:8080', '::1'],
    ['LocalHost', 'localhost'],
    ['example.com.:80', 'example.com'],
  ])('hostnameOf(%s) = %s', (h, want) => expect(hostnameOf(h)).toBe(want));
  it.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['192.168.1.5', false],
  ])('isLoopback(%s) = %s', (h, want) => expect(isLoopback(h)).toBe(want));
});

describe('privilegeProblems', () => {
  it.each<[string, Parameters<typeof privilegeProblems>[0], string[]]>([
    ['an ordinary container', { privileged: false, parameters: [{ key: 'label', value: 'a=b' }, { key: 'pid', value: 'private' }], volumes: [{ containerPath: 'data', persistent: { size: 10 } }] }, []],
    ['privileged', { privileged: true }, ['/container/docker/privileged']],
    ['a host-path volume', { volumes: [{ containerPath: '/x', mode: 'RW' }, { containerPath: '/h', hostPath: '/', mode: 'RW' }] }, ['/container/volumes(1)/hostPath']],
    [
      'every widening parameter',
      {
        parameters: [
          { key: 'privileged', value: 'true' },
          { key: 'cap-add', value: 'SYS_ADMIN' },
          { key: 'device', value: '/dev/sda' },
          { key: 'pid', value: 'host' },
          { key: 'ipc', value: 'host' },
          { key: 'userns', value: 'host' },
          { key: 'volume', value: '/:/host' },
          { key: '--security-opt', value: 'apparmor=unconfined' },
        ],
      },
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `/container/docker/parameters(${i})/key`),
    ],
  ])('%s', (_what, input, paths) => {
    const got = privilegeProblems(input);
    expect(got.map((p) => p.path)).toEqual(paths);
    for (const p of got) expect(p.error).toMatch(/--allow-privileged/);
  });
});
