import { describe, expect, it } from 'vitest';
import { knownGoodBuilds, replacedHealthyRecord, withHealthRecord, type StoredVersion } from '../../../src/promote/source-health.js';
import type { AppDefinition, AppInfo } from '../../../src/marathon/types.js';

const v = (n: number) => `2026-12-01T20:${String(n).padStart(2, '0')}:00.000Z`;
const img = (b: string) => `127.0.0.1:5000/hello:b${b}`;
const REC = 'bbm.replaced-healthy-version';

type Health = 'healthy' | 'unhealthy' | 'deploying' | 'scaled-to-0' | 'old-tasks';

/** The app as Marathon answers it: `def` at `version`, its tasks as `health` says. */
function running(def: AppDefinition, version: string, health: Health = 'healthy'): AppInfo {
  const tasks = health === 'scaled-to-0' ? [] : [{ version, alive: health !== 'unhealthy' }, ...(health === 'old-tasks' ? [{ version: v(0), alive: true }] : [])];
  return {
    ...def,
    version,
    versionInfo: { lastConfigChangeAt: version, lastScalingAt: version },
    instances: health === 'scaled-to-0' ? 0 : 1,
    healthChecks: [{ protocol: 'MESOS_HTTP' }],
    deployments: health === 'deploying' ? [{ id: 'd1' }] : [],
    tasks: tasks.map((t, i) => ({ id: `t${i}`, appId: def.id, host: 'h', ports: [1], state: 'TASK_RUNNING', version: t.version, healthCheckResults: [{ alive: t.alive }] })),
  } as AppInfo;
}

const def = (build: string, labels: Record<string, string> = {}): AppDefinition => ({
  id: '/staging/hello',
  container: { type: 'DOCKER', docker: { image: img(build) } },
  labels: { 'bbm.build-number': build, 'bbm.commit': `c${build}`, ...labels },
});

describe('replacedHealthyRecord: what a new definition records about the one it replaces', () => {
  /** An app with only a `cmd`: the image is in bbm's label alone. */
  const cmdOnly = (build: string, labels: Record<string, string> = {}): AppDefinition => ({ id: '/staging/hello', cmd: 'sleep 1000', labels: { 'bbm.build-number': build, 'bbm.image': img(build), ...labels } });
  it.each<[string, AppInfo | null, AppDefinition, string | null]>([
    ['nothing runs yet', null, def('2'), null],
    ['another build runs healthy: its version', running(def('1'), v(1)), def('2'), v(1)],
    ['another build runs with an unhealthy instance', running(def('1'), v(1), 'unhealthy'), def('2'), null],
    ['another build is still being deployed', running(def('1'), v(1), 'deploying'), def('2'), null],
    ['another build is scaled to 0', running(def('1'), v(1), 'scaled-to-0'), def('2'), null],
    ['another build runs beside tasks of an older version', running(def('1'), v(1), 'old-tasks'), def('2'), null],
    ['the same image runs: its own record, so the definition stays unchanged', running(def('2', { [REC]: v(1) }), v(2)), def('2'), v(1)],
    ['the same image runs without a record: none', running(def('2'), v(2)), def('2'), null],
    ['an app without a Docker image, another build (by bbm.image) healthy: its version', running(cmdOnly('1'), v(1)), cmdOnly('2'), v(1)],
    ['an app without a Docker image, the same build: its own record', running(cmdOnly('2', { [REC]: v(1) }), v(2)), cmdOnly('2'), v(1)],
  ])('%s', (_n, current, next, expected) => {
    expect(replacedHealthyRecord(current, next)).toBe(expected);
  });

  it('withHealthRecord never keeps a record the template brought, and does not change its argument', () => {
    const forged = def('3', { [REC]: v(9) });
    expect(withHealthRecord(forged, running(def('1'), v(1), 'unhealthy')).labels).not.toHaveProperty(REC);
    expect(withHealthRecord(forged, running(def('1'), v(1))).labels?.[REC]).toBe(v(1));
    expect(forged.labels?.[REC]).toBe(v(9));
  });
});

/**
 * A source environment's life, step by step, as Marathon stores it: every definition bbm sends goes
 * through withHealthRecord against what runs; Marathon's own rollbacks copy an earlier definition.
 */
type Step =
  | ['deploy', string, Health] // bbm deploy of build N; how the new version then runs
  | ['deploy-unrecorded', string] // a deploy by a bbm that did not record health yet, healthy
  | ['refused', string] // a PUT answered 409 while a deployment runs: the version is stored, nothing changes
  | ['cancel-rollback'] // bbm cancels a deployment that never became healthy: Marathon puts the previous definition back
  | ['rollback-to', number] // bbm rollback --to: PUT {version}, Marathon copies that stored definition
  | ['scale'] // a scale by hand: a new version, the same definition
  | ['becomes', Health]; // what runs changes health

function live(steps: Step[]): { app: AppInfo | null; history: StoredVersion[] } {
  const stored: { version: string; def: AppDefinition }[] = [];
  let app: AppInfo | null = null;
  let n = 0;
  const store = (d: AppDefinition) => {
    const version = v(++n);
    stored.push({ version, def: d });
    return version;
  };
  for (const step of steps) {
    if (step[0] === 'deploy') {
      const d = withHealthRecord(def(step[1]), app);
      if (app && JSON.stringify({ ...app, ...d }) === JSON.stringify(app)) continue; // unchanged: Marathon keeps the version
      app = running(d, store(d), step[2]);
    } else if (step[0] === 'deploy-unrecorded') app = running(def(step[1]), store(def(step[1])));
    else if (step[0] === 'refused') store(withHealthRecord(def(step[1]), app && running(app, app.version, 'deploying')));
    else if (step[0] === 'cancel-rollback') {
      const previous = stored[stored.length - 2]!.def;
      app = running(previous, store(previous));
    } else if (step[0] === 'rollback-to') {
      const d = stored[step[1] - 1]!.def;
      app = running(d, store(d));
    } else if (step[0] === 'scale') app = running(app!, store(app!), 'healthy');
    else app = running(app!, app!.version, step[1]);
  }
  return { app, history: stored.map((s) => ({ version: s.version, image: s.def.container?.docker?.image ?? null, labels: s.def.labels })) };
}

describe('knownGoodBuilds over a source environment’s history', () => {
  it.each<[string, Step[], string[]]>([
    ['nothing deployed', [], []],
    ['one healthy build', [['deploy', '1', 'healthy']], ['1*']],
    ['a healthy build replaced by another: both', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy']], ['2*', '1']],
    ['a build that failed its health checks and was rolled back: not known good', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy'], ['deploy', '3', 'unhealthy'], ['cancel-rollback']], ['2*', '1']],
    ['a build never healthy, replaced by a forced deploy: not known good (no rollback to tell)', [['deploy', '1', 'healthy'], ['deploy', '2', 'unhealthy'], ['deploy', '3', 'healthy']], ['3*', '1']],
    ['a build still deploying when the next replaced it', [['deploy', '1', 'healthy'], ['deploy', '2', 'deploying'], ['deploy', '3', 'healthy']], ['3*', '1']],
    ['a PUT refused with 409 stores a version of a build that never ran: not known good', [['deploy', '1', 'healthy'], ['deploy', '2', 'deploying'], ['refused', '3'], ['becomes', 'healthy']], ['2*', '1']],
    ['a scale keeps the record; the scaled version is recorded when replaced', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy'], ['scale'], ['deploy', '3', 'healthy']], ['3*', '2', '1']],
    ['the same build sent again changes nothing', [['deploy', '1', 'healthy'], ['deploy', '1', 'healthy']], ['1*']],
    ['what runs now is unhealthy: only earlier builds', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy'], ['becomes', 'unhealthy']], ['1']],
    ['what runs now is unhealthy, an earlier version of the same build was healthy: not offered', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy'], ['deploy', '1', 'unhealthy']], ['2']],
    ['bbm rollback --to copies an old definition: the build it replaced has no record', [['deploy', '1', 'healthy'], ['deploy', '2', 'healthy'], ['deploy', '3', 'healthy'], ['rollback-to', 1]], ['1*', '2']],
    ['versions without records (deployed before bbm recorded health): only what runs', [['deploy-unrecorded', '1'], ['deploy-unrecorded', '2']], ['2*']],
    ['the first recording deploy after those records the build it replaces', [['deploy-unrecorded', '1'], ['deploy-unrecorded', '2'], ['deploy', '3', 'healthy']], ['3*', '2']],
  ])('%s', (_n, steps, expected) => {
    const { app, history } = live(steps);
    expect(knownGoodBuilds(app, history).map((g) => `${g.build}${g.running ? '*' : ''}`)).toEqual(expected);
    // the order of the stored versions does not matter
    expect(knownGoodBuilds(app, [...history].reverse()).map((g) => g.build)).toEqual(expected.map((e) => e.replace('*', '')));
  });

  it('gives the version each build ran healthy as, with its image and commit', () => {
    const { app, history } = live([['deploy', '1', 'healthy'], ['scale'], ['deploy', '2', 'healthy']]);
    expect(knownGoodBuilds(app, history)).toEqual([
      { build: '2', version: v(3), image: img('2'), commit: 'c2', running: true },
      { build: '1', version: v(2), image: img('1'), commit: 'c1', running: false },
    ]);
  });
});
