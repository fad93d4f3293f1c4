/** Real git repositories in temporary folders, for the git adapter and `bbm tag` tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bbm test',
  GIT_AUTHOR_EMAIL: 'bbm@example.invalid',
  GIT_COMMITTER_NAME: 'bbm test',
  GIT_COMMITTER_EMAIL: 'bbm@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

export interface TempRepo {
  dir: string;
  git: (...args: string[]) => string;
  commit: (message?: string) => string;
  remove: () => void;
}

let counter = 0;

export function tempDir(prefix = 'bbm-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function openRepo(dir: string): TempRepo {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  return {
    dir,
    git,
    commit: (message = `commit ${++counter}`) => {
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function tempRepo(): TempRepo {
  const repo = openRepo(tempDir('bbm-git-'));
  repo.git('init', '-q', '-b', 'main');
  return repo;
}
