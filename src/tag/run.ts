/** `bbm tag`: facts from git, then the pure composition. */
import type { RunContext } from '../context.js';
import { UsageError } from '../errors.js';
import { untilStopped } from '../stopping.js';
import { describeText, headFacts } from '../git/git.js';
import { composeImage, composeTag, normalizeBranch, normalizeBuildNumber, tagArgumentProblems } from './compose.js';

export interface TagOptions {
  project: string;
  buildNumber: string;
  branch: string;
  registry?: string | undefined;
  repository?: string | undefined;
  json?: boolean | undefined;
}

export interface TagResult {
  tag: string;
  image: string;
  describe: string;
  stable: boolean;
  project: string;
  buildNumber: number;
  branch: string;
  commit: string;
}

export async function computeTag(options: TagOptions, ctx: Pick<RunContext, 'cwd' | 'env' | 'reporter' | 'signal'>): Promise<TagResult> {
  checkInputs(options);
  const facts = await headFacts({ cwd: ctx.cwd, env: ctx.env, signal: ctx.signal });
  if (facts.shallow && facts.describe.kind === 'none') {
    throw new UsageError(
      `${ctx.cwd} is a shallow clone and git describe reaches no tag from HEAD ${facts.commit.slice(0, 12)}: ` +
        'the tag would carry the bare commit id instead of the version',
      {
        hint:
          'fetch the full history and the tags: `git fetch --unshallow --tags` ' +
          '(Buildbot: steps.Git(..., mode="full", method="clobber") without shallow=, or shallow=False)',
      },
    );
  }
  const describe = describeText(facts.describe);
  const composed = composeTag({ project: options.project, buildNumber: options.buildNumber, branch: options.branch, describe });
  if (composed.shortened) ctx.reporter.info(`bbm tag: branch ${JSON.stringify(options.branch)} shortened to fit Docker's 128-character tag limit (hash added)`);
  const { image } = composeImage({ project: options.project, registry: options.registry, repository: options.repository, tag: composed.tag });
  return {
    tag: composed.tag,
    image,
    describe,
    stable: facts.describe.kind === 'tag' && facts.describe.distance === 0,
    project: options.project,
    buildNumber: Number(normalizeBuildNumber(options.buildNumber)),
    branch: normalizeBranch(options.branch),
    commit: facts.commit,
  };
}

/** Every problem with the arguments at once, before git runs (the describe part is not known yet). */
function checkInputs(options: TagOptions): void {
  const messages: string[] = [];
  let hint: string | undefined;
  for (const check of [
    () => {
      const problems = tagArgumentProblems(options);
      if (problems.length > 0) throw new UsageError(problems.join('\n'), { hint: problems.some((p) => p.includes('cannot fit')) ? 'use a shorter --project name' : undefined });
    },
    () => composeImage({ project: options.project, registry: options.registry, repository: options.repository, tag: 'x' }),
  ]) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      messages.push(error.message);
      hint ??= error.hint;
    }
  }
  if (messages.length > 0) throw new UsageError(messages.join('\n'), { hint });
}

export async function runTag(options: TagOptions, ctx: RunContext): Promise<void> {
  // git is killed by the stop (its signal); nothing is printed half
  const result = await untilStopped(ctx.signal, () => `no tag printed; bbm tag only reads ${ctx.cwd}, which is as it was`, () => computeTag(options, ctx));
  ctx.stdout(options.json ? JSON.stringify(result) : result.tag);
}
