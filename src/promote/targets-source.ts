/**
 * Where `bbm promote`, `bbm status --project` and `bbm rollback --project` get the deploy targets:
 * the file the generated builders write (`--targets`), or the config itself (`--config`, default
 * ci.config.ts in the working directory). And a Marathon client per environment, with that
 * environment's credentials from BBM_<ENV>_MARATHON_USER/PASSWORD or _TOKEN.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../context.js';
import { UsageError } from '../errors.js';
import { deployTargets, parseDeployTargets, projectTargets, type ProjectTargets, type TargetEnvironment } from '../config/targets.js';
import { makeClient } from '../marathon/connection.js';
import type { MarathonClient } from '../marathon/client.js';

export interface TargetSourceOptions {
  targets?: string | undefined;
  config?: string | undefined;
}

export async function loadProjectTargets(project: string, opts: TargetSourceOptions, ctx: RunContext): Promise<ProjectTargets> {
  if (opts.targets) {
    const file = path.resolve(ctx.cwd, opts.targets);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--targets ${opts.targets}: cannot read it (${error.code ?? String(error)})`);
    });
    return projectTargets(parseDeployTargets(text, opts.targets), project, opts.targets);
  }
  const { findConfig } = await import('../generate.js');
  const { loadConfig, withLines } = await import('../config/load.js');
  const { resolveConfig } = await import('../config/resolve.js');
  const loaded = await loadConfig(findConfig(ctx.cwd, opts.config), ctx.cwd, ctx.signal ? { signal: ctx.signal } : {});
  return projectTargets(deployTargets(withLines(loaded, () => resolveConfig(loaded.value, loaded.display))), project, loaded.display);
}

/** The environment variables an environment's credentials come from. */
export function credentialVariables(env: TargetEnvironment): string[] {
  const p = `BBM_${env.credentialsEnv}`;
  return [`${p}_USER`, `${p}_PASSWORD`, `${p}_TOKEN`];
}

/** ctx.env with this environment's credentials under the names src/marathon/auth.ts reads. */
export function envForTarget(env: TargetEnvironment, base: RunContext['env']): RunContext['env'] {
  if (env.credentialsEnv === 'MARATHON') return base;
  const out: Record<string, string | undefined> = { ...base };
  for (const k of ['USER', 'PASSWORD', 'TOKEN']) out[`BBM_MARATHON_${k}`] = base[`BBM_${env.credentialsEnv}_${k}`];
  return out;
}

export async function clientForTarget(env: TargetEnvironment, ctx: RunContext, deadline?: number, caFile?: string): Promise<MarathonClient> {
  return makeClient({ url: env.url, authFiles: {}, caFile }, { ...ctx, env: envForTarget(env, ctx.env) }, { deadline });
}

/** One environment of a project: its Marathon URL and app id, and a context carrying its credentials. */
export async function environmentTarget(project: string, environment: string, opts: TargetSourceOptions, ctx: RunContext): Promise<{ url: string; appId: string; ctx: RunContext }> {
  const t = await loadProjectTargets(project, opts, ctx);
  const e = t.environments.find((x) => x.name === environment);
  if (!e) throw new UsageError(`--environment ${environment}: project ${project} does not deploy to it (it deploys to ${t.environments.map((x) => x.name).join(', ')})`);
  return { url: e.target.url, appId: e.project.appId, ctx: { ...ctx, env: envForTarget(e.target, ctx.env) } };
}
