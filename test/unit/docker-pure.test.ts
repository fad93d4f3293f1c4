import { describe, expect, it } from 'vitest';
import { composeLabels, createdTime, parsePairs } from '../../src/image/labels.js';
import { contextExclusion } from '../../src/docker/build-context.js';
import { dockerEndpoint } from '../../src/docker/client.js';
import { credentialsFromConfig, normalizeRegistryKey, parseCredentialsFile } from '../../src/docker/credentials.js';
import { parseImageReference } from '../../src/docker/reference.js';
import { backoffDelay, isAuthMessage, isTransientMessage, withRetry } from '../../src/docker/retry.js';
import { UsageError } from '../../src/errors.js';

describe('parseImageReference', () => {
  it.each([
    ['webapp', { registry: undefined, repository: 'webapp', tag: 'latest', full: 'webapp:latest' }],
    ['webapp:1', { registry: undefined, repository: 'webapp', tag: '1', full: 'webapp:1' }],
    ['team/web-app:webApp-1-master-0.5.20', { registry: undefined, repository: 'team/web-app', tag: 'webApp-1-master-0.5.20' }],
    ['127.0.0.1:5000/webapp:t', { registry: '127.0.0.1:5000', repository: 'webapp', tag: 't', name: '127.0.0.1:5000/webapp' }],
    ['localhost/a/b', { registry: 'localhost', repository: 'a/b', tag: 'latest' }],
    ['registry.example.com/a__b.c:T_1', { registry: 'registry.example.com', repository: 'a__b.c', tag: 'T_1' }],
    [`r.io/x@sha256:${'a'.repeat(64)}`, { registry: 'r.io', repository: 'x', digest: `sha256:${'a'.repeat(64)}`, tagWasExplicit: false }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toMatchObject(expected);
  });

  it.each([
    ['', /it is empty/],
    ['WebApp:1', /repository "WebApp" must be lowercase/],
    ['webapp:-bad', /tag "-bad" is not/],
    [`webapp:${'x'.repeat(129)}`, /tag "x+" is not/],
    ['http://r.io/webapp', /URL scheme/],
    ['web app', /whitespace/],
    ['r.io:99999999/x', /registry "r.io:99999999" is not HOST\[:PORT\]/],
    ['x@sha256:zz', /digest "sha256:zz"/],
    ['a//b', /repository "a\/\/b"/],
    ['$(id):1', /repository "\$\(id\)"/],
    [`r.io/${'a'.repeat(260)}`, /more than 255/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseImageReference(ref)).toThrow(UsageError);
    expect(() => parseImageReference(ref)).toThrow(message);
  });
});

describe('dockerEndpoint', () => {
  it.each([
    [{}, { socketPath: '/var/run/docker.sock' }],
    [{ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, { socketPath: '/run/user/1000/docker.sock' }],
    [{ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, { host: '127.0.0.1', port: 2375, protocol: 'http' }],
    [{ DOCKER_HOST: 'tcp://[::1]:2375' }, { host: '::1', port: 2375, protocol: 'http' }],
  ])('%j', (env, options) => {
    expect(dockerEndpoint(env).options).toEqual(options);
  });
  it.each([['ssh://x'], ['unix://relative.sock'], ['tcp://host']])('refuses DOCKER_HOST=%s', (host) => {
    expect(() => dockerEndpoint({ DOCKER_HOST: host })).toThrow(UsageError);
  });
  it('names the folder when TLS files are missing', () => {
    expect(() => dockerEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' })).toThrow(/\/nonexistent/);
  });
});

describe('credentials', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['https://Registry.Example.com/v2/', 'registry.example.com'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
  ])('registry key %s → %s', (key, expected) => expect(normalizeRegistryKey(key)).toBe(expected));

  it('decodes base64 auth, keeping colons in the password', () => {
    const found = credentialsFromConfig({ auths: { 'https://127.0.0.1:5000/v1/': { auth: b64('alice:pa:ss') } } }, '127.0.0.1:5000', 'f');
    expect(found).toEqual({ auth: { username: 'alice', password: 'pa:ss', serveraddress: '127.0.0.1:5000' } });
  });
  it('reads username/password and identity tokens, Docker Hub without a registry', () => {
    expect(credentialsFromConfig({ auths: { 'r.io': { username: 'u', password: 'p' } } }, 'r.io', 'f')).toMatchObject({ auth: { username: 'u', password: 'p' } });
    expect(credentialsFromConfig({ auths: { 'https://index.docker.io/v1/': { identitytoken: 'tok' } } }, undefined, 'f')).toEqual({
      auth: { identitytoken: 'tok', serveraddress: 'https://index.docker.io/v1/' },
    });
  });
  it('prefers credHelpers, then auths, then credsStore; other registries do not match', () => {
    expect(credentialsFromConfig({ credHelpers: { 'r.io': 'ecr' }, auths: { 'r.io': { auth: b64('a:b') } } }, 'r.io', 'f')).toEqual({ helper: 'ecr' });
    expect(credentialsFromConfig({ auths: { 'r.io': {} }, credsStore: 'pass' }, 'r.io', 'f')).toEqual({ helper: 'pass' });
    expect(credentialsFromConfig({ auths: { 'other.io': { auth: b64('a:b') } } }, 'r.io', 'f')).toBeUndefined();
  });
  it('refuses a broken auth field without echoing it', () => {
    let error: unknown;
    try {
      credentialsFromConfig({ auths: { 'r.io': { auth: b64('nocolonsecret') } } }, 'r.io', '/x/config.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/\/x\/config.json: auths\["r.io"\].auth is not base64/);
    expect((error as Error).message).not.toMatch(/nocolonsecret/);
  });
  it('parses a USER:PASSWORD file and a config.json file', () => {
    expect(parseCredentialsFile('bob:s3:cret\n', 'f', 'r.io')).toEqual({ auth: { username: 'bob', password: 's3:cret', serveraddress: 'r.io' } });
    expect(parseCredentialsFile(JSON.stringify({ auths: { 'r.io': { auth: b64('a:b') } } }), 'f', 'r.io')).toMatchObject({ auth: { username: 'a' } });
  });
  it.each([['just-a-token'], ['a:b\nc:d'], ['{not json']])('refuses credentials file %j without echoing it', (text) => {
    let error: unknown;
    try {
      parseCredentialsFile(text, '/secret/file', 'r.io');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('/secret/file');
    expect((error as Error).message).not.toContain(text);
  });
});

describe('retry', () => {
  it.each([
    ['Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', true],
    ['read tcp 127.0.0.1:5000: connection reset by peer', true],
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['net/http: TLS handshake timeout', true],
    ['unauthorized: authentication required', false],
    ['manifest invalid', false],
  ])('transient %j → %s', (message, expected) => expect(isTransientMessage(message)).toBe(expected));

  it.each([
    ['unauthorized: authentication required', true],
    ['denied: requested access to the resource is denied', true],
    ['no basic auth credentials', true],
    ['connection refused', false],
  ])('auth %j → %s', (message, expected) => expect(isAuthMessage(message)).toBe(expected));

  it('doubles the delay up to the cap, with at most 25 % jitter', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, 100, 500, () => 1))).toEqual([100, 200, 400, 500]);
    expect(backoffDelay(2, 100, 10_000, () => 0)).toBe(300);
  });

  it('retries transient failures a bounded number of times, and never others', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('connection refused');
      }, { retries: 3, baseDelayMs: 1, isTransient: () => true }),
    ).rejects.toThrow('connection refused');
    expect(calls).toBe(4);
    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('401');
      }, { retries: 3, baseDelayMs: 1, isTransient: () => false }),
    ).rejects.toThrow('401');
    expect(calls).toBe(1);
    calls = 0;
    expect(await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('x')) : 'ok'), { retries: 5, baseDelayMs: 1, isTransient: () => true })).toBe('ok');
    expect(calls).toBe(3);
  });
});

describe('labels and build args', () => {
  it('sets the OCI labels that are known and lets user labels win', () => {
    expect(
      composeLabels({ revision: 'abc', version: '', source: 'https://git.example.com/x.git', created: '2020-01-01T00:00:00Z', buildNumber: '12', branch: 'main' }, [
        'org.opencontainers.image.revision=override',
        'team=web',
        'empty',
      ]),
    ).toEqual({
      'org.opencontainers.image.revision': 'override',
      'org.opencontainers.image.source': 'https://git.example.com/x.git',
      'org.opencontainers.image.created': '2020-01-01T00:00:00Z',
      'buildbot-marathon.build-number': '12',
      'buildbot-marathon.branch': 'main',
      team: 'web',
      empty: '',
    });
  });
  it('takes a bare build arg from the environment and reports unset ones', () => {
    const missing: string[] = [];
    const pairs = parsePairs(['A=1=2', 'TOKEN', 'UNSET'], '--build-arg', (k) => ({ TOKEN: 's3cret' })[k], (k) => missing.push(k));
    expect(pairs).toEqual([
      ['A', '1=2'],
      ['TOKEN', 's3cret'],
    ]);
    expect(missing).toEqual(['UNSET']);
  });
  it('refuses a bad name without echoing the value', () => {
    expect(() => parsePairs(['1BAD=secretvalue'], '--build-arg', () => undefined)).toThrow(/--build-arg "1BAD"/);
    expect(() => parsePairs(['1BAD=secretvalue'], '--build-arg', () => undefined)).not.toThrow(/secretvalue/);
  });
  it('uses SOURCE_DATE_EPOCH for the created time when set', () => {
    expect(createdTime({ SOURCE_DATE_EPOCH: '1700000000' })).toBe('2023-11-14T22:13:20Z');
    expect(createdTime({}, new Date('2021-02-03T04:05:06.789Z'))).toBe('2021-02-03T04:05:06Z');
  });
  it.each([
    ['source', 'https://user:tok/en@git.example.com/x.git', []],
    ['git origin', undefined, ['org.opencontainers.image.source=https://TOKEN@git.example.com/x.git']],
  ] as const)('the source label never carries credentials (from %s)', (_from, source, userLabels) => {
    const labels = composeLabels({ source }, [...userLabels]);
    expect(labels['org.opencontainers.image.source']).toBe('https://git.example.com/x.git');
  });
});

describe('.dockerignore', () => {
  const dir = () => false;
  const ex = contextExclusion('# comment\nnode_modules\n*.log\nsecret/\ndocs/**/*.md\nDockerfile\n.dockerignore\n', 'Dockerfile');
  it.each([
    ['node_modules', true],
    ['node_modules/a/b.js', true],
    ['a.log', true],
    ['sub/a.log', false], // Docker patterns are anchored at the context root
    ['secret/key', true],
    ['docs/x/y/a.md', true],
    ['src/index.ts', false],
    ['Dockerfile', false], // always sent, like the docker CLI
    ['.dockerignore', false],
  ])('%s excluded: %s', (p, expected) => expect(ex(p, dir)).toBe(expected));

  it('walks into an excluded folder when an exception may bring a file back', () => {
    const withException = contextExclusion('logs\n!logs/keep.txt\n', 'Dockerfile');
    expect(withException('logs', () => true)).toBe(false);
    expect(withException('logs/other.txt', () => false)).toBe(true);
    expect(withException('logs/keep.txt', () => false)).toBe(false);
  });
});

describe('readJsonLines (the engine’s JSON-lines streams)', () => {
  it('gives objects to onJson and every other line to onText, across chunk boundaries, the last line without a newline', async () => {
    const { PassThrough } = await import('node:stream');
    const { readJsonLines } = await import('../../src/docker/progress.js');
    const s = new PassThrough();
    const json: unknown[] = [];
    const text: string[] = [];
    const done = readJsonLines(s, (v) => json.push(v), (t) => text.push(t));
    for (const chunk of ['{"Action":"di', 'e","id":1}\n\n  plain words  \nnull\n42\n[1]\n', '{"a":', '2}']) s.write(chunk);
    s.end();
    await done;
    expect(json).toEqual([{ Action: 'die', id: 1 }, { a: 2 }]);
    expect(text).toEqual(['plain words', 'null', '42', '[1]']);
  });
});
