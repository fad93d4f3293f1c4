import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { headFacts } from '../../src/git/git.js';
import { memoryReporter } from '../../src/reporter.js';
import { computeTag } from '../../src/tag/run.js';
import { components, describeWith } from '../support/integration.js';
import { openRepo, tempDir, tempRepo, type TempRepo } from '../support/git-repo.js';
import { expectTimingLine } from '../support/timing.js';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
const made: TempRepo[] = [];
const repo = () => {
  const r = tempRepo();
  made.push(r);
  return r;
};
afterAll(() => made.forEach((r) => r.remove()));

const tagOf = (r: TempRepo, branch = 'master') =>
  computeTag({ project: 'webApp', buildNumber: '123', branch }, { cwd: r.dir, env: process.env, reporter: memoryReporter() });

function bbm(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

const d = await describeWith([components.git]);

d('bbm tag against real git repositories', () => {
  it('HEAD exactly at a lightweight tag: the tag, stable', async () => {
    const r = repo();
    r.commit();
    r.git('tag', '0.5.20');
    const t = await tagOf(r);
    expect(t.tag).toBe('webApp-123-master-0.5.20');
    expect(t.describe).toBe('0.5.20');
    expect(t.stable).toBe(true);
    expect(t.commit).toBe(r.git('rev-parse', 'HEAD'));
  });

  it('HEAD exactly at an annotated tag: the tag, stable', async () => {
    const r = repo();
    r.commit();
    r.git('tag', '-a', '-m', 'release', '0.5.20');
    const t = await tagOf(r);
    expect(t.tag).toBe('webApp-123-master-0.5.20');
    expect(t.stable).toBe(true);
  });

  it('12 commits past a tag: <tag>-12-g<abbrev>, unstable', async () => {
    const r = repo();
    r.commit();
    r.git('tag', '-a', '-m', 'release', '0.5.20');
    for (let i = 0; i < 12; i++) r.commit();
    const head = r.git('rev-parse', 'HEAD');
    const t = await tagOf(r);
    expect(t.tag).toMatch(/^webApp-123-master-0\.5\.20-12-g[0-9a-f]{7,}$/);
    const abbrev = t.tag.replace(/^.*-g/, '');
    expect(head.startsWith(abbrev)).toBe(true);
    expect(t.describe).toBe(r.git('describe', '--tags'));
    expect(t.stable).toBe(false);
  });

  it('the nearest tag wins, lightweight or annotated', async () => {
    const r = repo();
    r.commit();
    r.git('tag', '-a', '-m', 'old', '1.0.0');
    r.commit();
    r.git('tag', '1.1.0-lightweight');
    r.commit();
    const t = await tagOf(r);
    expect(t.tag).toMatch(/^webApp-123-master-1\.1\.0-lightweight-1-g[0-9a-f]+$/);
  });

  it('no tag at all: the abbreviated commit id, unstable', async () => {
    const r = repo();
    const head = r.commit();
    const t = await tagOf(r);
    const abbrev = r.git('rev-parse', '--short', 'HEAD');
    expect(t.tag).toBe(`webApp-123-master-${abbrev}`);
    expect(head.startsWith(abbrev)).toBe(true);
    expect(t.stable).toBe(false);
  });

  it('a tag name with characters a Docker tag cannot hold is sanitized', async () => {
    const r = repo();
    r.commit();
    r.git('tag', 'release/2.0+build');
    expect((await tagOf(r)).tag).toBe('webApp-123-master-release-2.0-build');
  });

  it('detached HEAD: the branch comes only from --branch', async () => {
    const r = repo();
    r.commit();
    r.git('tag', 'v1');
    r.commit();
    r.git('checkout', '-q', '--detach', 'HEAD~1');
    const t = await tagOf(r, 'feature/Foo_bar');
    expect(t.tag).toBe('webApp-123-feature-Foo_bar-v1');
    expect(t.branch).toBe('feature/Foo_bar');
  });

  it('a shallow clone without reachable tags is refused with the fix', async () => {
    const origin = repo();
    origin.commit();
    origin.git('tag', '0.5.20');
    origin.commit();
    origin.commit();
    const clone = openRepo(tempDir('bbm-shallow-'));
    made.push(clone);
    clone.git('clone', '-q', '--depth', '1', '--no-tags', `file://${origin.dir}`, '.');
    expect((await headFacts({ cwd: clone.dir })).shallow).toBe(true);
    const attempt = tagOf(clone);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(tagOf(clone)).rejects.toThrow(/shallow clone and git describe reaches no tag/);
    await expect(tagOf(clone)).rejects.toMatchObject({ hint: expect.stringMatching(/git fetch --unshallow --tags/) });

    // The fix from the hint works.
    clone.git('fetch', '-q', '--unshallow', '--tags');
    expect((await tagOf(clone)).tag).toMatch(/^webApp-123-master-0\.5\.20-2-g[0-9a-f]+$/);
  });

  it('a shallow clone whose HEAD is at a fetched tag is fine', async () => {
    const origin = repo();
    origin.commit();
    origin.commit();
    origin.git('tag', '2.0.0');
    const clone = openRepo(tempDir('bbm-shallow-'));
    made.push(clone);
    clone.git('clone', '-q', '--depth', '1', '--branch', '2.0.0', `file://${origin.dir}`, '.');
    expect((await headFacts({ cwd: clone.dir })).shallow).toBe(true);
    expect((await tagOf(clone)).tag).toBe('webApp-123-master-2.0.0');
  });

  it('a folder that is not a checkout, and a repository without commits, are usage errors', async () => {
    const empty = openRepo(tempDir('bbm-notgit-'));
    made.push(empty);
    await expect(tagOf(empty)).rejects.toThrow(/is not a git checkout/);
    const unborn = repo();
    await expect(tagOf(unborn)).rejects.toThrow(/has no commit yet/);
    // a folder that does not exist is named as such (spawn says ENOENT for it, as for a missing git)
    await expect(headFacts({ cwd: `${empty.dir}/absent` })).rejects.toThrow(/absent does not exist/);
  });

  it('the CLI prints only the tag on stdout, JSON with --json, and exits 2 on bad input', () => {
    const r = repo();
    r.commit();
    r.git('tag', '0.5.20');
    const plain = bbm(['tag', '--project', 'webApp', '--build-number', '123', '--branch', 'master', '--cwd', r.dir], '/');
    expect(plain.status).toBe(0);
    expect(plain.stdout).toBe('webApp-123-master-0.5.20\n');
    // stderr's last line: where its time went (git is bbm's own work: no waits)
    expectTimingLine(plain.stderr, 'tag', []);

    // Options also come from BBM_* variables; unrelated BBM_* variables do not break the command.
    const json = bbm(['tag', '--json', '--registry', '127.0.0.1:5000'], r.dir, {
      BBM_PROJECT: 'webApp',
      BBM_BUILD_NUMBER: '7',
      BBM_BRANCH: 'refs/heads/main',
      BBM_REQUIRE_INTEGRATION: '1',
      BBM_SOMETHING_ELSE: 'x',
    });
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      tag: 'webApp-7-main-0.5.20',
      image: '127.0.0.1:5000/webapp:webApp-7-main-0.5.20',
      describe: '0.5.20',
      stable: true,
      project: 'webApp',
      buildNumber: 7,
      branch: 'main',
      commit: r.git('rev-parse', 'HEAD'),
    });

    const bad = bbm(['tag', '--project', 'webApp', '--build-number', 'abc', '--branch', 'm', '--registry', 'http://x'], r.dir);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--build-number "abc" is not a whole number/);
    expect(bad.stderr).toMatch(/--registry "http:\/\/x" must be HOST\[:PORT\] without a scheme/);
  });

  it('hostile branch names never execute and never corrupt stdout', () => {
    const r = repo();
    r.commit();
    r.git('tag', 'v1');
    const marker = path.join(r.dir, 'pwned');
    const payloads = [`$(touch ${marker})`, `\`touch ${marker}\``, `x; touch ${marker}`];
    // Each payload does create the marker once a shell sees it, so the marker's absence below
    // means bbm handed the branch to no shell (not that the payloads were harmless).
    for (const payload of payloads) {
      spawnSync('sh', ['-c', `echo ${payload}`], { cwd: r.dir });
      expect(existsSync(marker), payload).toBe(true);
      rmSync(marker);
    }
    for (const branch of [...payloads, `a\nb"c'd`]) {
      const out = bbm(['tag', '--project', 'webApp', '--build-number', '1', '--branch', branch], r.dir);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/^webApp-1-[A-Za-z0-9_.-]+-v1\n$/);
      expect(existsSync(marker), branch).toBe(false);
    }
  });
});

d('step commands stay light', () => {
  const preload = path.resolve(import.meta.dirname, '../support/loaded-modules.cjs');
  const loadedBy = (args: string[], cwd: string, expectStatus: number) => {
    const list = path.join(tempDir('bbm-modules-'), 'loaded.txt');
    const out = spawnSync(process.execPath, ['--require', preload, cli, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, BBM_TEST_LOADED_MODULES: list },
    });
    expect(out.status, out.stderr).toBe(expectStatus);
    const loaded = readFileSync(list, 'utf8');
    // The probe itself works: the preload file is in the list.
    expect(loaded).toContain('loaded-modules.cjs');
    return loaded;
  };
  const has = (loaded: string, pkg: string) => new RegExp(`node_modules/${pkg}/`).test(loaded);

  it('bbm tag loads none of ts-morph, ejs, dockerode, undici or simple-git', () => {
    const r = repo();
    r.commit();
    const loaded = loadedBy(['tag', '--project', 'p', '--build-number', '1', '--branch', 'b'], r.dir, 0);
    for (const heavy of ['ts-morph', 'typescript', 'ejs', 'dockerode', 'docker-modem', 'undici', 'simple-git']) expect(has(loaded, heavy), heavy).toBe(false);
  });

  it('bbm build and bbm push load dockerode but not ts-morph, ejs or undici', () => {
    const r = repo();
    for (const command of ['build', 'push']) {
      // An invalid reference stops the command after its library is loaded, before any engine call.
      const loaded = loadedBy([command, '--image', 'Not/Valid'], r.dir, 2);
      expect(has(loaded, 'dockerode'), `${command} loads its library`).toBe(true);
      for (const heavy of ['ts-morph', 'typescript', 'ejs', 'undici', 'simple-git']) expect(has(loaded, heavy), `${command}: ${heavy}`).toBe(false);
    }
  });
});
