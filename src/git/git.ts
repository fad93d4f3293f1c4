/**
 * The git adapter: the few read-only facts `bbm tag` needs from a checkout.
 *
 * Why not simple-git here: `bbm tag` runs on every build and must start as fast as Node allows.
 * Measured on this machine (median of 11 cold starts, same run): `node -e 0` 163 ms, importing
 * simple-git 303 ms, i.e. simple-git alone costs about as much again as Node's own start-up. It
 * would only wrap the same `git` child process, so the adapter calls git through execFile (argv list,
 * never a shell) and keeps simple-git's shape: one small function per question.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { OperationFailedError, UsageError } from '../errors.js';
import { withoutUrlCredentials } from '../url-credentials.js';

export interface GitOptions {
  cwd: string;
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
}

export interface HeadFacts {
  /** Full commit id of HEAD. */
  commit: string;
  shallow: boolean;
  /** `git describe --tags --long --always`, parsed. */
  describe: DescribeResult;
}

export type DescribeResult =
  | { kind: 'tag'; tag: string; distance: number; abbrev: string }
  | { kind: 'none'; abbrev: string };

/** Parses `git describe --tags --long --always` output: `<tag>-<n>-g<abbrev>`, or the bare abbreviated id. */
export function parseDescribe(output: string): DescribeResult {
  const text = output.trim();
  const m = /^(.+)-(\d+)-g([0-9a-f]{4,64})$/.exec(text);
  if (m) return { kind: 'tag', tag: m[1]!, distance: Number(m[2]), abbrev: m[3]! };
  if (/^[0-9a-f]{4,64}$/.test(text)) return { kind: 'none', abbrev: text };
  throw new OperationFailedError(`git describe printed something unexpected: ${JSON.stringify(text)}`);
}

/** What plain `git describe --tags` prints (the seed's form): `0.5.20`, `0.5.20-12-gf5615cf`, or the abbreviated id. */
export function describeText(d: DescribeResult): string {
  if (d.kind === 'none') return d.abbrev;
  return d.distance === 0 ? d.tag : `${d.tag}-${d.distance}-g${d.abbrev}`;
}

export function git(args: string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        // C locale: error messages are matched below; no prompts, no optional locks in a CI checkout.
        env: { ...(options.env ?? process.env), LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
        signal: options.signal,
        maxBuffer: 1 << 20,
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) reject(gitError(args, options.cwd, error, String(stderr)));
        else resolve(String(stdout));
      },
    );
  });
}

function gitError(args: string[], cwd: string, error: Error & { code?: string | number | null }, stderr: string): Error {
  const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  if (error.code === 'ENOENT' && !said && !existsSync(cwd)) {
    // spawn reports a missing working directory as ENOENT too, like a missing git
    return new UsageError(`${cwd} does not exist`, { hint: 'run bbm in the checkout, or pass --cwd DIR of an existing checkout' });
  }
  if (error.code === 'ENOENT' && !said) {
    return new UsageError('git is not installed (or not on PATH)', { hint: 'install git (apt-get install git) on the worker' });
  }
  if (/not a git repository/i.test(stderr)) {
    return new UsageError(`${cwd} is not a git checkout (git: ${said})`, { hint: 'run bbm tag in the checkout, or pass --cwd DIR' });
  }
  if (/detected dubious ownership/i.test(stderr)) {
    return new UsageError(`git refuses to read ${cwd}: it belongs to another user (git: ${said})`, {
      hint: `run as the checkout's owner, or: git config --global --add safe.directory ${cwd}`,
    });
  }
  if (/Needed a single revision|ambiguous argument 'HEAD'|unknown revision or path not in the working tree|does not have any commits/i.test(stderr)) {
    return new UsageError(`${cwd} has no commit yet (git: ${said})`, { hint: 'commit something first; bbm tag describes HEAD' });
  }
  return new OperationFailedError(`git ${args.join(' ')} failed in ${cwd}: ${said || error.message}`);
}

/** HEAD's commit, whether the clone is shallow, and git describe (tags, lightweight or annotated). */
export async function headFacts(options: GitOptions): Promise<HeadFacts> {
  // Both at once (start-up of `bbm tag`); the rev-parse's failure is the one reported.
  const head = git(['rev-parse', '--is-shallow-repository', '--verify', 'HEAD^{commit}'], options);
  const described = git(['describe', '--tags', '--long', '--always', 'HEAD'], options);
  described.catch(() => undefined);
  const revParse = (await head).trim().split('\n');
  const shallow = revParse[0] === 'true';
  const commit = revParse[1] ?? '';
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new OperationFailedError(`git rev-parse HEAD printed ${JSON.stringify(revParse.join(' '))}`);
  const describe = parseDescribe(await described);
  return { commit, shallow, describe };
}

/** Commit and origin URL of a checkout, for image labels; undefined parts when not a checkout. */
export async function sourceFacts(options: GitOptions): Promise<{ commit?: string; originUrl?: string }> {
  const facts: { commit?: string; originUrl?: string } = {};
  try {
    facts.commit = (await git(['rev-parse', '--verify', 'HEAD^{commit}'], options)).trim();
  } catch {
    return facts;
  }
  try {
    const url = (await git(['config', '--get', 'remote.origin.url'], options)).trim();
    if (url) facts.originUrl = withoutUrlCredentials(url);
  } catch {
    // No origin: the source label is simply unknown.
  }
  return facts;
}

