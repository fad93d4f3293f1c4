/**
 * `bbm deploy`, `rollback` and `status` through the real CLI against test/support/fake-marathon.ts,
 * a model of Marathon's versioning for what `bbm devcluster` cannot show on demand. Each case names
 * the mesosphere/marathon source (v1.10.26) whose behaviour it checks.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../support/run-cli.js';
import { startFakeMarathon, type FakeMarathon } from '../../support/fake-marathon.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bbm-semantics-'));
const file = (name: string, content: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(content, null, 2));
  return p;
};
const def = (extraLabels: Record<string, string> = {}) => ({
  id: '/web',
  cmd: 'exec httpd -f -p $PORT0',
  instances: 2,
  container: { type: 'DOCKER', docker: { image: '${image}' } },
  portDefinitions: [{ port: 0 }],
  taskKillGracePeriodSeconds: 5,
  healthChecks: [{ protocol: 'MESOS_HTTP', portIndex: 0, gracePeriodSeconds: 60 }],
  labels: extraLabels,
});
const good = file('good.json', def());
const broken = file('broken.json', def({ 'fake.unhealthy': 'yes' }));
const image = (n: number) => `127.0.0.1:5000/web:web-${n}-main-1.0.${n}`;
const explain = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

let fake: FakeMarathon | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const deploy = (m: FakeMarathon, n: number, app = good, ...extra: string[]) =>
  runCli(['deploy', '--app', app, '--image', image(n), '--build-number', String(n), '--commit', `c0ffee${n}`, '--marathon', m.url, ...(extra.includes('--timeout') ? [] : ['--timeout', '30']), ...extra]);

describe('an identical definition is not a failure', () => {
  // mesosphere/marathon api/v2/AppHelpers.scala (updateOrCreate keeps versionInfo) and
  // upgrade/GroupVersioningUtil.scala: an unchanged app keeps its version; the PUT still answers
  // 200 with a deployment id and a new version, and the plan has no steps.
  it('deploying the same build twice: the second exits 0, says so, restarts nothing', async () => {
    fake = await startFakeMarathon();
    const first = await deploy(fake, 1);
    expect(first.code, explain(first)).toBe(0);
    const tasks = fake.started.length;
    const second = await deploy(fake, 1);
    expect(second.code, explain(second)).toBe(0);
    expect(second.stderr).toMatch(/\/web already runs this definition \(version \S+\)/);
    expect(second.stderr).toMatch(/all 2 instances run version \S+ and are healthy/);
    expect(fake.started.length).toBe(tasks);
    // stdout names the version the app runs, not the PUT's version string
    expect(second.stdout.trim()).toBe(first.stdout.trim());
  });

  it('a PUT that landed and was answered 503 is retried; the retry changes nothing and the landed deployment is followed', async () => {
    fake = await startFakeMarathon({ deploymentPolls: 3 });
    expect((await deploy(fake, 1)).code).toBe(0);
    fake.landThen503(1);
    const r = await deploy(fake, 2);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr, explain(r)).toMatch(/answered 503/);
    expect(r.stderr).toMatch(/already runs this definition/);
    expect(r.stderr, explain(r)).toMatch(/waiting for deployment \S+, which brings version/);
    expect(fake.apps.get('/web')?.def.labels?.['bbm.image']).toBe(image(2));
  });

  it('an identical definition whose tasks are unhealthy gets the usual verdict (exit 1)', async () => {
    fake = await startFakeMarathon();
    expect((await deploy(fake, 1)).code).toBe(0);
    for (const t of fake.apps.get('/web')!.tasks) t.healthy = false;
    const r = await deploy(fake, 1, good, '--timeout', '3');
    expect(r.code, explain(r)).toBe(1);
    expect(r.stderr).toMatch(/already runs this definition/);
    expect(r.stderr).toMatch(/only 0 of 2 instances of the new version are healthy/);
  });
});

describe('bbm rollback goes back to the previous good build (by bbm labels)', () => {
  // core/deployment/impl/TaskReplaceActor.scala never finishes a deployment whose tasks stay
  // unhealthy: bbm cancels it, and Marathon's rollback gets a version of its own (1.5–1.8: a fresh
  // timestamp; 1.9.71+: the master's start-up time, state/Group.scala defaultVersion).
  it.each(['fresh', 'startup'] as const)('builds 1, 2, failing 3 rolled back (%s version): bbm rollback brings build 1, bbm status lists it first', async (rollbackVersion) => {
    fake = await startFakeMarathon({ rollbackVersion });
    expect((await deploy(fake, 1)).code).toBe(0);
    expect((await deploy(fake, 2)).code).toBe(0);
    const failed = await deploy(fake, 3, broken, '--timeout', '3');
    expect(failed.code, explain(failed)).toBe(1);
    expect(fake.apps.get('/web')?.def.labels?.['bbm.image']).toBe(image(2));

    const status = await runCli(['status', '--app-id', '/web', '--marathon', fake.url, '--json']);
    expect(status.code, explain(status)).toBe(0);
    const s = JSON.parse(status.stdout) as { rollbackCandidates: { buildNumber: string; image: string; commit: string; version: string }[] };
    expect(s.rollbackCandidates.map((c) => c.buildNumber)).toEqual(['1']);
    expect(s.rollbackCandidates[0]).toMatchObject({ image: image(1), commit: 'c0ffee1' });

    const r = await runCli(['rollback', '--app-id', '/web', '--marathon', fake.url, '--timeout', '30']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr).toMatch(/rolling back to build 1 \(commit c0ffee1\)/);
    expect(fake.apps.get('/web')?.def.labels?.['bbm.image']).toBe(image(1));
  });

  it('a PUT refused with 409 leaves a version (GroupManagerImpl.updateRootEither): it is not a rollback target', async () => {
    fake = await startFakeMarathon();
    expect((await deploy(fake, 1)).code).toBe(0);
    expect((await deploy(fake, 2)).code).toBe(0);
    fake.store409Once();
    // bbm waits for the blocking deployment (gone at once here) and sends again: build 3 lands
    expect((await deploy(fake, 3)).code).toBe(0);
    const r = await runCli(['rollback', '--app-id', '/web', '--marathon', fake.url]);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stderr, explain(r)).toMatch(/rolling back to build 2/);
  });
});

describe('--timeout bounds every Marathon command', () => {
  it.each([
    ['status', ['status', '--app-id', '/web']],
    ['endpoints', ['endpoints']],
    ['rollback', ['rollback', '--app-id', '/web']],
    ['deploy', ['deploy', '--app', good, '--image', image(1)]],
  ])('%s against a server that accepts and never answers: exit 3 at its --timeout, naming it', async (_name, args) => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const r = await runCli([...args, '--marathon', `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, '--timeout', '2'], { timeoutMs: 30_000 });
      expect(r.code, explain(r)).toBe(3);
      expect(r.stderr).toMatch(/gave no answer before the deadline/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
