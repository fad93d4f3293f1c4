/**
 * A changed database URL secret on `buildbot reconfig` (real Debian Buildbot 3.7 master): Buildbot
 * cannot switch databases while running, and its own check comes after the new configuration is
 * taken ("configuration update partially applied"). The generated file refuses the change while it
 * loads, so the reconfig says that a restart is needed and changes nothing; the old URL back, the
 * next reconfig applies. And the master image's bbm-reconfig, whose master keeps the URL start.sh put
 * in its environment: buildbot/master/db_url.py tells it whether the running master has the current one.
 * On SQLite the master keeps its connections open (the generated file's _sqlite_for_many_builders).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT, freePort, run, startForeground, stop, until, writeWwwStub } from '../support/buildbot.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot]);

d('reconfig with a changed database URL secret', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let api: string;
  let masterDir: string;
  const env = () => ({ PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' });
  const secret = (value: string) => writeFileSync(path.join(root, 'secrets', 'db-url'), value, { mode: 0o600 });
  const reconfig = () => {
    const r = spawnSync(BUILDBOT, ['reconfig', masterDir], { cwd: masterDir, env: env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, output: r.stdout + r.stderr };
  };
  const builders = async () => ((await (await fetch(`${api}/masters/1/builders`)).json()) as { builders: { name: string }[] }).builders.map((b) => b.name).sort();
  const render = (projects: string[]) =>
    renderConfig(
      resolveConfig({
        registry: 'registry.example.com',
        marathon: { url: 'http://127.0.0.1:9/' },
        buildbot: { url: api.replace(/api\/v2$/, ''), version: '3.7', workers: [{ name: 'w1' }], www: { port: Number(new URL(api).port) }, secretsDir: path.join(root, 'secrets'), db: { urlSecret: 'db-url' } },
        changeSources: { pollInterval: 0 },
        projects: projects.map((name) => ({ name, repo: `https://git.example.com/${name}.git`, type: 'docker' as const })),
      }),
      'ci.config.ts',
    );

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-reconfig-db-'));
    api = `http://127.0.0.1:${await freePort()}/api/v2`;
    mkdirSync(path.join(root, 'secrets'), { mode: 0o700 });
    chmodSync(path.join(root, 'secrets'), 0o700);
    writeFileSync(path.join(root, 'secrets', 'worker-w1'), 'pw', { mode: 0o600 });
    masterDir = path.join(root, 'master');
    run(BUILDBOT, ['create-master', '-q', masterDir], { env: env() });
    secret(`sqlite:///${path.join(masterDir, 'state.sqlite')}`);
    writeFileSync(path.join(masterDir, 'master.cfg'), render(['one']));
    const stub = writeWwwStub(path.join(root, 'wwwstub'));
    const tac = path.join(masterDir, 'buildbot.tac');
    writeFileSync(tac, `import sys; sys.path.insert(0, ${JSON.stringify(stub)})\n${readFileSync(tac, 'utf8')}`);
    master = startForeground(BUILDBOT, masterDir, env());
    // `start --nodaemon` becomes the master process (exec) and writes no pid file; `buildbot reconfig` reads one.
    writeFileSync(path.join(masterDir, 'twistd.pid'), String(master.pid));
    await until('the master', async () => ((await builders()).length === 1 ? true : undefined), 120_000, path.join(masterDir, 'twistd.log'));
  }, 180_000);

  afterAll(async () => {
    await stop(master);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('keeps its SQLite connections open between database calls (no connection per call)', async () => {
    const held = () =>
      readdirSync(`/proc/${master!.pid}/fd`)
        .filter((fd) => {
          try {
            return readlinkSync(`/proc/${master!.pid}/fd/${fd}`) === path.join(masterDir, 'state.sqlite');
          } catch {
            return false; // closed while listing
          }
        })
        .sort();
    const before = held();
    // Buildbot's engine would otherwise open a connection per call and close it: idle, nothing holds the file.
    expect(before.length).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) await builders(); // each answer reads the database
    expect(held()).toEqual(before);
  });

  it('says a restart is needed and changes nothing; with the old URL back the reconfig applies', async () => {
    writeFileSync(path.join(masterDir, 'master.cfg'), render(['one', 'two']));
    secret(`sqlite:///${path.join(root, 'other.sqlite')}`);
    const refused = reconfig();
    expect(refused.output).toMatch(/the database URL in secret 'db-url' changed since this master started; .*restart the master/);
    expect(refused.output).toMatch(/configuration update aborted without making any changes/);
    expect(refused.output).not.toMatch(/partially applied/);
    expect(refused.output).not.toContain('other.sqlite'); // the URL itself is never printed
    expect(refused.code).not.toBe(0);
    expect(await builders()).toEqual(['one']); // still the configuration it had

    secret(`sqlite:///${path.join(masterDir, 'state.sqlite')}`);
    const applied = reconfig();
    expect(applied.output).toMatch(/configuration update complete/);
    expect(applied.code).toBe(0);
    expect(await builders()).toEqual(['one', 'two']);
  }, 300_000);
});

describe("bbm-reconfig's check: does the running master have the current database URL (db_url.py --same-as-pid)", () => {
  const script = path.resolve(import.meta.dirname, '../../buildbot/master/db_url.py');
  let dir: string;
  let master: ChildProcess;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bbm-db-url-'));
    // A stand-in for the running master: a process started with the URL in its environment, as start.sh does.
    master = spawn('/bin/sleep', ['300'], { env: { BUILDBOT_DB_URL: 'postgresql://buildbot:old%2Fpw@127.0.0.1:5433/buildbot' }, stdio: 'ignore' });
  });
  afterAll(async () => {
    await stop(master);
    rmSync(dir, { recursive: true, force: true });
  });
  /** What bbm-reconfig does: the URL with the current password file, then the comparison, with the URL only in the environment. */
  const same = (password: string) => {
    writeFileSync(path.join(dir, 'db-password'), `${password}\n`, { mode: 0o600 });
    const url = spawnSync('/usr/bin/python3', [script, 'postgresql://buildbot@127.0.0.1:5433/buildbot', path.join(dir, 'db-password')], { encoding: 'utf8' }).stdout.trim();
    const r = spawnSync('/usr/bin/python3', [script, '--same-as-pid', String(master.pid)], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', BUILDBOT_DB_URL: url } });
    return { code: r.status, output: r.stdout + r.stderr };
  };

  it.each([
    ['the password it started with', 0, 'old/pw'],
    ['a changed password', 1, 'new-pw'],
  ])('%s: exit %s, printing nothing', (_, code, password) => {
    expect(same(password)).toEqual({ code, output: '' });
  });
});
