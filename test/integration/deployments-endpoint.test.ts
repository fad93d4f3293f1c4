/**
 * The web console's deployments endpoint (buildbot/master/console/bbm_console/deployments.py),
 * its pure part in Debian's Python with Twisted: which apps of a Marathon an environment lists. The
 * label `bbm.environment` decides; the configured app ids only for apps without it. One Python run
 * for the whole table. (The endpoint on a real master: promote-buildbot-authz.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { CONSOLE_PLUGIN, PYTHON } from '../support/buildbot.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot]);

type Env = { name: string; app_ids: string[] | null };
const staging: Env = { name: 'staging', app_ids: ['/staging/web'] };
const alone: Env = { name: 'default', app_ids: null };

const CASES: [string, Env, { id: string; labels?: unknown }, boolean][] = [
  ['labelled for this environment, id not configured', staging, { id: '/elsewhere/web', labels: { 'bbm.project': 'web', 'bbm.environment': 'staging' } }, true],
  ['labelled for another environment, id configured here', staging, { id: '/staging/web', labels: { 'bbm.project': 'web', 'bbm.environment': 'production' } }, false],
  ['no label, id configured here (fallback)', staging, { id: '/staging/web', labels: { 'bbm.project': 'web' } }, true],
  ['no label, id not configured here', staging, { id: '/web', labels: { 'bbm.project': 'web' } }, false],
  ['empty label counts as none', staging, { id: '/staging/web', labels: { 'bbm.project': 'web', 'bbm.environment': '' } }, true],
  ['not deployed by bbm', staging, { id: '/staging/web', labels: { 'bbm.environment': 'staging' } }, false],
  ['no labels at all', staging, { id: '/staging/web' }, false],
  ['labels not an object', staging, { id: '/staging/web', labels: ['bbm.project'] }, false],
  ['alone on its Marathon: any bbm app without the label', alone, { id: '/anything', labels: { 'bbm.project': 'x' } }, true],
  ['alone on its Marathon: labelled for another environment', alone, { id: '/anything', labels: { 'bbm.project': 'x', 'bbm.environment': 'staging' } }, false],
];

d('deployments endpoint: which apps an environment lists', () => {
  let answers: boolean[] = [];
  beforeAll(() => {
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(CONSOLE_PLUGIN)})`,
      'from bbm_console.deployments import listed',
      'cases = json.load(sys.stdin)',
      'print(json.dumps([listed(env, raw) for env, raw in cases]))',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(CASES.map(([, env, raw]) => [env, raw])), encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    answers = JSON.parse(r.stdout) as boolean[];
  });

  it.each(CASES.map(([name, , , want], i) => [name, want, i] as const))('%s → %s', (_name, want, i) => {
    expect(answers[i]).toBe(want);
  });
});
