/**
 * The hostile-input corpus: one row per input an attacker or a confused user could give a command.
 * corpus.test.ts runs every row through the real CLI and asserts the exit-code class, no stack
 * trace, no canary command executed and no secret in stdout, stderr, written files or master.cfg.
 * Add a case by adding a row; `CANARY` in any string becomes the path of a file that a payload
 * which ever reaches a shell would create. Signal cases live in test/integration/signals.test.ts.
 */
import type { AppInfo } from '../../src/marathon/types.js';
import { baseConfig } from '../support/generate-config.js';

/** `stopped`: the run was still going when `stopWhen` matched and ended with 143 on the SIGTERM the test sent. */
export type ExitClass = 'ok' | 'failed' | 'usage' | 'unreachable' | 'stopped';
export const EXIT_CODE: Record<ExitClass, number> = { ok: 0, failed: 1, usage: 2, unreachable: 3, stopped: 143 };

export interface HostileCase {
  name: string;
  /** bbm's arguments; `MARATHON` becomes the URL of a fake Marathon serving `marathonApps`. */
  args: string[];
  /** Files to write into the case's folder before the run (the inputs). */
  files?: Record<string, string | Buffer>;
  env?: Record<string, string>;
  /** Acceptable exit classes. */
  exit: ExitClass[];
  /** Values that must appear nowhere in the output or in a file the run wrote. */
  secrets?: string[];
  /** Apps the fake Marathon answers with (GET /v2/apps). */
  marathonApps?: unknown[];
  /** A component the case needs beyond node (skipped with a message, failed under BBM_REQUIRE_INTEGRATION=1). */
  needs?: 'git' | 'haproxy';
  /** Extra check on stdout + stderr. */
  output?: RegExp;
  /** A run that would go on (a worker reconnecting) gets SIGTERM once stdout + stderr match this. */
  stopWhen?: RegExp;
}

/** Payloads that create CANARY when any shell evaluates them. */
export const SHELL_PAYLOADS = ['$(touch CANARY)', '`touch CANARY`', 'x; touch CANARY', 'x && touch CANARY #', 'x | touch CANARY'];
const SECRET = 'S3cr3tT0k3n-hostile';
const config = (patch: (c: Record<string, unknown>) => void) => {
  const c = structuredClone(baseConfig()) as unknown as Record<string, unknown>;
  patch(c);
  return JSON.stringify(c);
};
const project = (p: Record<string, unknown>) => config((c) => ((c.projects as Record<string, unknown>[])[0] = { ...(c.projects as Record<string, unknown>[])[0], ...p }));
const app = (extra: Record<string, unknown>) => JSON.stringify({ id: '/web', cmd: 'serve', instances: 1, cpus: 0.1, mem: 64, ...extra });
/** A deploy targets document (what the promote builder writes): web goes from staging to production, both on MARATHON. */
const targets = (patch: (t: { environments: Record<string, Record<string, unknown>>; projects: Record<string, Record<string, unknown>> }) => void = () => {}) => {
  const env = (name: string) => ({ url: 'MARATHON', tokenSecret: null, userSecret: null, passwordSecret: null, haproxyGroup: null, appIdPrefix: '', credentialsEnv: name });
  const pe = (appId: string, promoteFrom: string | null) => ({ appId, branches: ['main'], promoteFrom, promoteRoles: [], instances: null, cpus: null, mem: null, disk: null, labels: {} });
  const t = {
    environments: { staging: env('STAGING_MARATHON'), production: env('PRODUCTION_MARATHON') } as Record<string, Record<string, unknown>>,
    projects: { web: { image: 'registry.example.com/web', app: 'marathon.json', environments: { staging: pe('/staging/web', null), production: pe('/web', 'staging') } } } as Record<string, Record<string, unknown>>,
  };
  patch(t);
  return JSON.stringify(t);
};
const promote = (...extra: string[]) => ['promote', '--project', 'web', '--to', 'production', '--targets', 'targets.json', '--timeout', '5', ...extra];
/** `bbm worker` against a closed port (it retries until stopped), with some options replaced or added. */
const worker = (over: Record<string, string> = {}, ...extra: string[]) =>
  ['worker', ...Object.entries({ master: '127.0.0.1:9', name: 'w1', 'password-file': 'pw', basedir: 'w', ...over }).flatMap(([k, v]) => [`--${k}`, v]), ...extra];
const deploy = (file: string) => ['deploy', '--app', file, '--image', 'registry.example.com/web:1', '--dry-run'];
const marathonApp = (labels: Record<string, string>): AppInfo =>
  ({
    id: '/web',
    instances: 1,
    version: '2026-01-01T00:00:00.000Z',
    container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: [{ containerPort: 80, hostPort: 0, servicePort: 10080, protocol: 'tcp' }] },
    networks: [{ mode: 'container/bridge' }],
    labels,
    tasks: [{ id: 'web.1', appId: '/web', host: '127.0.0.1', ports: [31080], servicePorts: [10080], state: 'TASK_RUNNING', version: '2026-01-01T00:00:00.000Z' }],
  }) as unknown as AppInfo;

export const CORPUS: HostileCase[] = [
  // names, branches, tags
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `tag --branch ${p}`, args: ['tag', '--project', 'web', '--build-number', '1', '--branch', p], exit: ['ok'], needs: 'git', output: /^web-1-[A-Za-z0-9_.-]+-/m })),
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `tag --project ${p}`, args: ['tag', '--project', p, '--build-number', '1', '--branch', 'main'], exit: ['usage'], needs: 'git' })),
  { name: 'tag --build-number with a payload', args: ['tag', '--project', 'web', '--build-number', '1; touch CANARY', '--branch', 'main'], exit: ['usage'], needs: 'git' },
  { name: 'tag --registry with credentials', args: ['tag', '--project', 'web', '--build-number', '1', '--branch', 'main', '--registry', `bot:${SECRET}@registry.example.com`], exit: ['usage'], needs: 'git', secrets: [SECRET] },
  { name: 'build --image with a payload', args: ['build', '--image', 'web:$(touch CANARY)'], exit: ['usage'] },
  { name: 'build --label with a newline', args: ['build', '--image', 'bad image', '--label', 'a=b\nFROM evil'], exit: ['usage'] },
  { name: 'push --image with credentials', args: ['push', '--image', `bot:${SECRET}@registry.example.com/web:1`], exit: ['usage'], secrets: [SECRET] },
  { name: 'detect --cwd that is a payload', args: ['detect', '--cwd', '$(touch CANARY)'], exit: ['usage'] },

  // generate: names, branches, URLs with credentials, shapes
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `generate: project name ${p}`, args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': project({ name: p.replace('CANARY', 'canary') }) }, exit: ['usage'] })),
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `generate: branch ${p}`, args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': project({ branches: [p] }) }, exit: ['usage', 'ok'] })),
  { name: 'generate: repository URL with credentials', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': project({ repo: `https://bot:${SECRET}@github.com/o/a.git` }) }, exit: ['usage'], secrets: [SECRET] },
  { name: 'generate: Marathon URL with credentials', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': config((c) => (c.marathon = { url: `http://admin:${SECRET}@marathon.example.com:8080` })) }, exit: ['usage'], secrets: [SECRET] },
  { name: 'generate: database URL with ?password=', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': config((c) => ((c.buildbot as Record<string, unknown>).db = `postgresql://db/bb?password=${SECRET}`)) }, exit: ['usage'], secrets: [SECRET] },
  { name: 'generate: database URL whose password holds / and ?', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': config((c) => ((c.buildbot as Record<string, unknown>).db = `postgresql://bb:${SECRET}/x?y@db/bb`)) }, exit: ['usage'], secrets: [SECRET] },
  { name: 'generate: config is a JSON array', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': '[]' }, exit: ['usage'] },
  { name: 'generate: config is null', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': 'null' }, exit: ['usage'] },
  { name: 'generate: __proto__ key', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': config(() => {}).replace('{', '{"__proto__": {"polluted": true},') }, exit: ['usage'], output: /the key "__proto__" is not allowed/ },
  { name: 'generate: config with a UTF-8 BOM', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': `\uFEFF${config(() => {})}` }, exit: ['usage', 'ok'] },
  { name: 'generate: 100 000 levels of nesting', args: ['generate', '--config', 'ci.config.json'], files: { 'ci.config.json': `{"registry":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }, exit: ['usage'] },
  { name: 'generate --out is a payload', args: ['generate', '--config', 'ci.config.json', '--out', 'x/$(touch CANARY)'], files: { 'ci.config.json': config(() => {}) }, exit: ['ok'] },

  // app definitions: JSON shapes, labels, ids
  { name: 'deploy: app definition with a UTF-8 BOM', args: deploy('app.json'), files: { 'app.json': `\uFEFF${app({})}` }, exit: ['usage'] },
  { name: 'deploy: 100 000 levels of nesting', args: deploy('app.json'), files: { 'app.json': `{"id":"/web","env":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }, exit: ['usage'] },
  { name: 'deploy: app definition is an array', args: deploy('app.json'), files: { 'app.json': '[1,2]' }, exit: ['usage'] },
  { name: 'deploy: app definition is a string', args: deploy('app.json'), files: { 'app.json': '"id"' }, exit: ['usage'] },
  { name: 'deploy: app definition is binary', args: deploy('app.json'), files: { 'app.json': Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x00]) }, exit: ['usage'] },
  { name: 'deploy: app id with a payload', args: deploy('app.json'), files: { 'app.json': app({ id: '/web; touch CANARY' }) }, exit: ['usage'] },
  { name: 'deploy: placeholder that names a payload', args: deploy('app.json'), files: { 'app.json': app({ cmd: 'run ${$(touch CANARY)}' }) }, exit: ['usage'] },
  { name: 'deploy: label values with payloads (data, never run)', args: deploy('app.json'), files: { 'app.json': app({ labels: { a: '$(touch CANARY)', b: '`touch CANARY`' } }) }, exit: ['ok', 'usage'] },
  { name: 'deploy: __proto__ in the definition', args: deploy('app.json'), files: { 'app.json': app({}).replace('{', '{"__proto__": {"x": 1},') }, exit: ['ok', 'usage'] },
  { name: 'deploy --marathon-url with credentials', args: ['deploy', '--app', 'app.json', '--image', 'web:1', '--marathon-url', `http://admin:${SECRET}@127.0.0.1:9`, '--timeout', '5'], files: { 'app.json': app({}) }, exit: ['usage', 'unreachable'], secrets: [SECRET] },
  { name: 'deploy: credentials in the file, not in output', args: ['deploy', '--app', 'app.json', '--image', 'web:1', '--marathon-url', 'http://127.0.0.1:9', '--marathon-credentials-file', 'creds', '--timeout', '5'], files: { 'app.json': app({}), creds: `admin:${SECRET}\n` }, exit: ['unreachable'], secrets: [SECRET] },
  { name: 'rollback --app-id with a payload', args: ['rollback', '--app-id', '/web;touch CANARY', '--marathon-url', 'http://127.0.0.1:9'], exit: ['usage', 'unreachable'] },
  { name: 'status --app-id ../', args: ['status', '--app-id', '../../v2/deployments', '--marathon-url', 'http://127.0.0.1:9'], exit: ['usage', 'unreachable'] },

  // labels from Marathon reach HAProxy's configuration as data only
  {
    name: 'haproxy: labels that try to inject configuration',
    args: ['haproxy', '--marathon-url', 'MARATHON', '--out', 'haproxy.cfg', '--http-port', '18080'],
    marathonApps: [marathonApp({ HAPROXY_0_VHOST: 'a.example.com\n  acl pwned always_true', HAPROXY_0_MODE: 'http\nfrontend evil', HAPROXY_GROUP: '*' })],
    exit: ['ok'],
    needs: 'haproxy',
  },
  {
    name: 'haproxy: a vhost list longer than a line',
    args: ['haproxy', '--marathon-url', 'MARATHON', '--out', 'haproxy.cfg', '--http-port', '18080'],
    marathonApps: [marathonApp({ HAPROXY_0_VHOST: Array.from({ length: 200 }, (_, i) => `h${i}.example.com`).join(',') })],
    exit: ['ok'],
    needs: 'haproxy',
  },
  { name: 'haproxy --out is a folder', args: ['haproxy', '--marathon-url', 'MARATHON', '--out', '.'], exit: ['usage'], output: /--out \. is a folder/ },
  { name: 'haproxy --out under a file', args: ['haproxy', '--marathon-url', 'MARATHON', '--out', 'f/haproxy.cfg'], files: { f: '' }, exit: ['usage'], output: /a part of the path is a file/ },
  { name: 'haproxy --out not writable', args: ['haproxy', '--marathon-url', 'MARATHON', '--out', '/sys/kernel/bbm-haproxy.cfg'], exit: ['usage'], output: /not writable here/ },
  // promote: names, environments, builds, targets documents (JSON shapes), credentials
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `promote --project ${p}`, args: ['promote', '--project', p, '--to', 'production', '--targets', 'targets.json'], files: { 'targets.json': targets() }, exit: ['usage'] })),
  { name: 'promote --to with a payload', args: ['promote', '--project', 'web', '--to', 'production; touch CANARY', '--targets', 'targets.json'], files: { 'targets.json': targets() }, exit: ['usage'] },
  { name: 'promote --from with a payload', args: promote('--from', '$(touch CANARY)'), files: { 'targets.json': targets() }, exit: ['usage'] },
  { name: 'promote --build with a payload', args: promote('--build', '1; touch CANARY'), files: { 'targets.json': targets() }, exit: ['usage'] },
  { name: 'promote --image with credentials', args: promote('--image', `bot:${SECRET}@registry.example.com/web:1`), files: { 'targets.json': targets() }, exit: ['usage', 'failed'], secrets: [SECRET] },
  { name: 'promote --promotion-url with credentials', args: promote('--promotion-url', `https://bot:${SECRET}@ci.example.com/#/builders/1/builds/2`), files: { 'targets.json': targets() }, exit: ['usage', 'failed'], secrets: [SECRET] },
  { name: 'promote: targets with a Marathon URL holding credentials', args: promote(), files: { 'targets.json': targets((t) => (t.environments.production!.url = `http://admin:${SECRET}@127.0.0.1:9`)) }, exit: ['usage'], secrets: [SECRET] },
  { name: 'promote: targets with a registry holding credentials', args: promote(), files: { 'targets.json': targets((t) => (t.projects.web!.image = `bot:${SECRET}@registry.example.com/web`)) }, exit: ['usage', 'failed'], secrets: [SECRET] },
  { name: 'promote: targets with an app id that is a payload', args: promote(), files: { 'targets.json': targets((t) => (((t.projects.web!.environments as Record<string, Record<string, unknown>>).production!.appId = '/web; touch CANARY'))) }, exit: ['usage'] },
  { name: 'promote: targets that are not JSON', args: promote(), files: { 'targets.json': '{"environments": {' }, exit: ['usage'] },
  { name: 'promote: targets with a UTF-8 BOM', args: promote(), files: { 'targets.json': `\uFEFF${targets()}` }, exit: ['usage', 'failed'] },
  { name: 'promote: targets 100 000 levels deep', args: promote(), files: { 'targets.json': `{"environments":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }, exit: ['usage'] },
  { name: 'promote: targets of 64 MiB', args: promote(), files: { 'targets.json': `{"pad":"${'x'.repeat(64 << 20)}"}` }, exit: ['usage'] },
  { name: 'promote: targets whose entries are not objects', args: promote(), files: { 'targets.json': '{"environments":{"production":"$(touch CANARY)"},"projects":{"web":null}}' }, exit: ['usage'] },
  { name: 'promote: targets with __proto__', args: promote(), files: { 'targets.json': targets().replace('{', '{"__proto__":{"polluted":true},') }, exit: ['usage', 'failed', 'unreachable'] },
  { name: 'promote --registry-credentials-file with the secret, not in output', args: promote('--registry-credentials-file', 'creds'), files: { 'targets.json': targets(), creds: `bot\n${SECRET}\nmore\n` }, exit: ['usage', 'failed', 'unreachable'], secrets: [SECRET] },

  // worker: --master hosts, names, password files
  ...SHELL_PAYLOADS.map((p): HostileCase => ({ name: `worker --master ${p}:9989`, args: worker({ master: `${p}:9989` }), files: { pw: 'pw\n' }, exit: ['usage'] })),
  { name: 'worker --master with a port out of range', args: worker({ master: '127.0.0.1:99999' }), files: { pw: 'pw\n' }, exit: ['usage'] },
  { name: 'worker --master with credentials', args: worker({ master: `bot:${SECRET}@127.0.0.1:9989` }), files: { pw: 'pw\n' }, exit: ['usage'], secrets: [SECRET] },
  { name: 'worker --master as a URL', args: worker({ master: 'tcp://127.0.0.1:9989/$(touch CANARY)' }), files: { pw: 'pw\n' }, exit: ['usage'] },
  { name: 'worker --name with a payload (sent as data)', args: worker({ name: 'w$(touch CANARY)' }), files: { pw: `${SECRET}\n` }, exit: ['stopped'], stopWhen: /retrying in/, secrets: [SECRET] },
  { name: 'worker --name with a colon', args: worker({ name: 'w:1' }), files: { pw: 'pw\n' }, exit: ['usage'] },
  { name: 'worker --password-file missing', args: worker(), exit: ['usage'] },
  { name: 'worker --password-file empty', args: worker(), files: { pw: '\n\n' }, exit: ['usage'] },
  { name: 'worker --password-file with two lines', args: worker(), files: { pw: `${SECRET}\nsecond-line-${SECRET}\n` }, exit: ['usage'], secrets: [SECRET] },
  { name: 'worker --password-file with CRLF (one line)', args: worker(), files: { pw: `${SECRET}\r\n` }, exit: ['stopped'], stopWhen: /retrying in/, secrets: [SECRET] },
  { name: 'worker --password-file is a folder', args: worker({ 'password-file': '.' }), exit: ['usage'] },
  { name: 'worker --basedir under a file', args: worker({ basedir: 'f/w' }), files: { pw: 'pw\n', f: '' }, exit: ['usage'] },
  { name: 'worker --basedir given twice', args: worker({}, '--basedir', 'other'), files: { pw: 'pw\n' }, exit: ['usage'], output: /--basedir is given 2 times/ },
  { name: 'worker --pass-env of a secret-looking variable', args: worker({}, '--pass-env', 'AWS_SECRET_ACCESS_KEY'), files: { pw: 'pw\n' }, env: { AWS_SECRET_ACCESS_KEY: SECRET }, exit: ['usage'], secrets: [SECRET] },
  { name: 'worker --pass-env with a payload', args: worker({}, '--pass-env', 'A;touch CANARY'), files: { pw: 'pw\n' }, exit: ['usage'] },
  { name: 'worker --keepalive that is not a number', args: worker({ keepalive: '$(touch CANARY)' }), files: { pw: 'pw\n' }, exit: ['usage'] },

  { name: 'endpoints: Marathon answers entries that are not apps', args: ['endpoints', '--marathon-url', 'MARATHON'], marathonApps: ['$(touch CANARY)', null, 42, [], { id: 7 }], exit: ['ok', 'failed'] },
  { name: 'haproxy: Marathon answers entries that are not apps', args: ['haproxy', '--marathon-url', 'MARATHON', '--out', 'haproxy.cfg'], marathonApps: [null, 'x', { id: null }], exit: ['ok', 'failed'], needs: 'haproxy' },
];
