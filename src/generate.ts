/**
 * `bbm generate`: config → resolved config → view-model → master.cfg text (all pure), then one
 * small apply step that writes the file or, with --check, compares it.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from './context.js';
import { loadConfig, withLines } from './config/load.js';
import { buildbotVersionProblem } from './config/buildbot-version.js';
import { resolveConfig } from './config/resolve.js';
import type { ResolvedConfig } from './config/types.js';
import { InterruptedError, OperationFailedError, UsageError } from './errors.js';
import { checkOutputPath, outputError, prepareOutputFolder } from './output-file.js';
import { renderMaster } from './generate/render.js';
import { buildMasterView } from './generate/view-model.js';

export const CONFIG_CANDIDATES = ['ci.config.ts', 'ci.config.mts', 'ci.config.json'];
export const DEFAULT_OUT = path.join('generated', 'master.cfg');

export interface GenerateOptions {
  config?: string;
  out?: string;
  check?: boolean;
  /** Overrides the config's `buildbot.version` (`--buildbot-version`, BBM_BUILDBOT_VERSION). */
  buildbotVersion?: string;
  /** How long evaluating a TypeScript config may take (default 30). */
  configTimeoutSeconds?: number;
}

/** Pure: a resolved config and the config file's name → the master.cfg text. */
export function renderConfig(config: ResolvedConfig, source: string): string {
  return renderMaster(buildMasterView(config, source));
}

export function findConfig(cwd: string, given?: string): string {
  if (given) return given;
  const found = CONFIG_CANDIDATES.find((name) => existsSync(path.join(cwd, name)));
  if (!found) {
    throw new UsageError(`no config found in ${cwd} (looked for ${CONFIG_CANDIDATES.join(', ')})`, {
      hint: 'write ci.config.ts (see docs/configuration.md) or pass --config PATH',
    });
  }
  return found;
}

export async function planGenerate(options: GenerateOptions, ctx: RunContext): Promise<{ out: string; text: string; config: ResolvedConfig }> {
  const file = findConfig(ctx.cwd, options.config);
  const loaded = await loadConfig(file, ctx.cwd, {
    ...(options.configTimeoutSeconds !== undefined ? { timeoutMs: options.configTimeoutSeconds * 1000 } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const config = withLines(loaded, () => resolveConfig(loaded.value, loaded.display));
  if (options.buildbotVersion !== undefined) {
    const v = buildbotVersionProblem(options.buildbotVersion);
    if (typeof v === 'string') throw new UsageError(`--buildbot-version (BBM_BUILDBOT_VERSION): ${v}`);
    config.buildbot.version = v;
  }
  const text = renderConfig(config, path.basename(loaded.display));
  return { out: path.resolve(ctx.cwd, options.out ?? DEFAULT_OUT), text, config };
}

/** The run's stop, if it was stopped, saying what is left: nothing was written. */
function stopped(ctx: RunContext, shown: string): InterruptedError | undefined {
  const reason: unknown = ctx.signal?.aborted ? ctx.signal.reason : undefined;
  return reason instanceof InterruptedError ? reason.leaving(`nothing written; ${shown} is as it was`) : undefined;
}

export async function runGenerate(options: GenerateOptions, ctx: RunContext): Promise<void> {
  const out = path.resolve(ctx.cwd, options.out ?? DEFAULT_OUT);
  const relative = path.relative(ctx.cwd, out);
  const shown = relative === '' || relative.startsWith('..') ? out : relative;
  // The output path is checked before the (slow) config load: a folder or an unwritable place is
  // exit 2 at once, and --check cannot succeed without a file to compare.
  if (!options.check) await checkOutputPath(out, shown, '--out');
  let plan: Awaited<ReturnType<typeof planGenerate>>;
  try {
    plan = await planGenerate(options, ctx);
  } catch (error) {
    throw stopped(ctx, shown) ?? error;
  }
  const stop = stopped(ctx, shown);
  if (stop) throw stop;
  if (options.check) {
    let current: string | null;
    try {
      current = await readFile(plan.out, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw outputError(error, plan.out, shown, '--out');
      current = null;
    }
    if (current !== plan.text) {
      throw new OperationFailedError(`${shown} is ${current === null ? 'missing' : 'stale'}: it is not what the config generates`, {
        hint: 'run `bbm generate` and commit the result',
      });
    }
    ctx.reporter.info(`${shown} is up to date`);
    return;
  }
  await prepareOutputFolder(plan.out, shown, '--out');
  const tmp = `${plan.out}.${process.pid}.tmp`;
  let renamed = false;
  try {
    await writeFile(tmp, plan.text, ctx.signal ? { signal: ctx.signal } : {});
    const late = stopped(ctx, shown);
    if (late) throw late;
    await rename(tmp, plan.out);
    renamed = true;
  } catch (error) {
    throw stopped(ctx, shown) ?? outputError(error, plan.out, shown, '--out');
  } finally {
    if (!renamed) await rm(tmp, { force: true }).catch(() => {});
  }
  ctx.reporter.info(`wrote ${shown}: ${plan.config.projects.length} project(s), ${plan.config.buildbot.workers.length} worker(s)`);
  const advice = pollingAdvice(plan.config);
  if (advice) ctx.reporter.warn(advice);
}

/** Polled repositories from which `bbm generate` advises webhooks. */
export const MANY_POLLERS = 100;

/**
 * Advice when the config polls many repositories: each GitPoller costs the master four database calls
 * at every start (one after another) and, every interval, git processes on the master. Null otherwise.
 */
export function pollingAdvice(config: Pick<ResolvedConfig, 'projects' | 'changeSources'>): string | null {
  if (config.changeSources.pollInterval <= 0) return null;
  const polled = new Set(config.projects.filter((p) => p.poll).map((p) => p.repo));
  if (polled.size < MANY_POLLERS) return null;
  return (
    `${polled.size} repositories are polled every ${config.changeSources.pollInterval} s: each poller adds four database calls to every master start ` +
    `and a git ls-remote and fetch on the master each interval (with 1000, the start takes about twice as long as on webhooks: docs/performance.md); ` +
    `for this many, report pushes by webhook (changeSources.github or .gitlab, and projects[].webhook) or poll less often (changeSources.pollInterval)`
  );
}
