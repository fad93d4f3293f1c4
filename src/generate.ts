/**
 * `bbm generate`: config → resolved config → view-model → master.cfg text (all pure), then one
 * small apply step that writes the file or, with --check, compares it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from './context.js';
import { loadConfig } from './config/load.js';
import { buildbotVersionProblem } from './config/buildbot-version.js';
import { resolveConfig } from './config/resolve.js';
import type { ResolvedConfig } from './config/types.js';
import { OperationFailedError, UsageError } from './errors.js';
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
  const loaded = await loadConfig(file, ctx.cwd);
  const config = resolveConfig(loaded.value, loaded.display);
  if (options.buildbotVersion !== undefined) {
    const v = buildbotVersionProblem(options.buildbotVersion);
    if (typeof v === 'string') throw new UsageError(`--buildbot-version (BBM_BUILDBOT_VERSION): ${v}`);
    config.buildbot.version = v;
  }
  const text = renderConfig(config, path.basename(loaded.display));
  return { out: path.resolve(ctx.cwd, options.out ?? DEFAULT_OUT), text, config };
}

export async function runGenerate(options: GenerateOptions, ctx: RunContext): Promise<void> {
  const plan = await planGenerate(options, ctx);
  const shown = path.relative(ctx.cwd, plan.out) || plan.out;
  if (options.check) {
    const current = await readFile(plan.out, 'utf8').catch(() => null);
    if (current !== plan.text) {
      throw new OperationFailedError(`${shown} is ${current === null ? 'missing' : 'stale'}: it is not what the config generates`, {
        hint: 'run `bbm generate` and commit the result',
      });
    }
    ctx.reporter.info(`${shown} is up to date`);
    return;
  }
  await mkdir(path.dirname(plan.out), { recursive: true });
  const tmp = `${plan.out}.${process.pid}.tmp`;
  await writeFile(tmp, plan.text);
  await rename(tmp, plan.out);
  ctx.reporter.info(`wrote ${shown}: ${plan.config.projects.length} project(s), ${plan.config.buildbot.workers.length} worker(s)`);
}
