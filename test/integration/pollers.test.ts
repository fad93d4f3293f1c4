/**
 * Many GitPollers on one real Debian Buildbot 3.7 master: every poll starts with `git init --bare`
 * of the poller's workdir (master/buildbot/changes/gitpoller.py), so pollers sharing Buildbot's
 * default `gitpoller-work` failed with "could not lock config" whenever polls overlapped. The
 * generated file gives each poller a folder of its own and spreads their polls; here all of them
 * are made to poll at the same moment (the `/change_hook/poller` hook polls every poller now,
 * without the spread), several times, and every poll must succeed.
 */
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { freePort, startMaster, stop, until } from '../support/buildbot.js';
import { openRepo } from '../support/git-repo.js';
import { components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot, components.git]);
const REPOS = 24;

d('many pollers on one master', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let www: string;
  const log = () => readFileSync(path.join(root, 'master', 'twistd.log'), 'utf8');
  /** How many polls of each repository got as far as processing its changes. */
  const polls = () => {
    const counts = new Map<string, number>();
    for (const m of log().matchAll(/gitpoller: processing changes from "([^"]+)"/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    return counts;
  };
  const repoPath = (i: number) => path.join(root, 'repos', `p${i}.git`);
  let repo: ReturnType<typeof openRepo>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-pollers-'));
    // one repository with a commit on master; every project's repository is a link to it
    const one = path.join(root, 'repos', 'one');
    mkdirSync(one, { recursive: true });
    repo = openRepo(one);
    repo.git('init', '-q', '-b', 'master');
    repo.commit('first');
    for (let i = 0; i < REPOS; i++) symlinkSync(path.join(one, '.git'), repoPath(i));
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    writeFileSync(path.join(secrets, 'worker-w1'), 'pw', { mode: 0o600 });
    const port = await freePort();
    www = `http://127.0.0.1:${port}/`;
    const cfg = renderConfig(
      resolveConfig({
        registry: 'registry.example.com',
        marathon: { url: 'http://127.0.0.1:9/' },
        buildbot: { url: www, version: '3.7', workers: [{ name: 'w1' }], www: { port }, workerPort: await freePort(), secretsDir: secrets },
        changeSources: { pollInterval: 3600, pollerHook: true },
        // p0 also builds `release`, a branch that does not exist yet
        projects: Array.from({ length: REPOS }, (_, i) => ({ name: `p${i}`, repo: repoPath(i), type: 'docker' as const, branches: i === 0 ? ['master', 'release'] : ['master'] })),
      }),
      'ci.config.ts',
    );
    master = await startMaster(root, cfg, www);
  }, 180_000);

  afterAll(async () => {
    await stop(master);
    if (root) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('every poller has a git folder of its own, and polls that run at once all succeed', async () => {
    // the polls at launch, spread over a few seconds
    await until('every poller to poll once', async () => (polls().size === REPOS ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    // three rounds of every poller at the same moment
    for (let round = 2; round <= 4; round++) {
      const res = await fetch(`${www}change_hook/poller`, { method: 'POST' });
      expect(res.status).toBe(200);
      await until(`poll round ${round}`, async () => ([...polls().values()].every((n) => n >= round) ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    }
    expect(log()).not.toMatch(/could not lock|failed with exit code/);
    expect([...polls().keys()].sort()).toEqual(Array.from({ length: REPOS }, (_, i) => repoPath(i)).sort());
    expect(readdirSync(path.join(root, 'master', 'gitpoller-work')).length).toBe(REPOS);
  }, 600_000);

  it('a branch made from a commit the poller has seen is a change (and so is its head moving back)', async () => {
    const changes = async () =>
      ((await (await fetch(`${www}api/v2/changes?branch=release&order=changeid`)).json()) as { changes: { revision: string; repository: string }[] }).changes;
    const first = repo.git('rev-parse', 'HEAD');
    const second = repo.commit('second');
    repo.git('branch', 'release', first); // release: a new branch at a commit master already had
    expect((await fetch(`${www}change_hook/poller`, { method: 'POST' })).status).toBe(200);
    await until('a change on release', async () => ((await changes()).length === 1 ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    expect((await changes()).map((c) => [c.repository, c.revision])).toEqual([[repoPath(0), first]]);
    // release moves to master's newer commit (no commit new to the poller: master's poll saw it), then back
    repo.git('branch', '-f', 'release', second);
    expect((await fetch(`${www}change_hook/poller`, { method: 'POST' })).status).toBe(200);
    await until('release moved forward', async () => ((await changes()).length === 2 ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    repo.git('branch', '-f', 'release', first);
    expect((await fetch(`${www}change_hook/poller`, { method: 'POST' })).status).toBe(200);
    await until('release moved back', async () => ((await changes()).length === 3 ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    expect((await changes()).map((c) => c.revision)).toEqual([first, second, first]);
  }, 600_000);
});
