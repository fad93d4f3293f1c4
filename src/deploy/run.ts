/**
 * `bbm deploy`: read the template, plan, print or perform. The only deploy module that touches
 * files and builds the client; planning and executing stay separate (plan.ts, execute.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.js';
import type { RunContext } from '../context.js';
import type { MarathonClient } from '../marathon/client.js';
import { makeClient, type MarathonConnection } from '../marathon/connection.js';
import { normalizeAppId } from '../marathon/app-id.js';
import { parseJsonSource } from './json-source.js';
import { formatFindings } from './lint.js';
import { planDeploy, type DeployOptions, type DeployPlan, type EnvironmentOverrides } from './plan.js';
import { executeDeploy, type FollowMode } from './execute.js';
import type { BuildFacts } from './template.js';

export interface DeployCommandOptions extends DeployOptions {
  appFile: string;
  facts: BuildFacts;
  marathon: MarathonConnection;
  dryRun: boolean;
  follow: FollowMode;
  overrides?: EnvironmentOverrides;
  extraLabels?: Record<string, string>;
}

/** Largest file read as an app definition; Marathon's own limit on a request body is 1 MiB. */
const MAX_APP_FILE_BYTES = 1024 * 1024;

export async function readAppFile(file: string, cwd: string): Promise<ReturnType<typeof parseJsonSource>> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    const buf = await readFile(full);
    if (buf.length > MAX_APP_FILE_BYTES) throw new UsageError(`--app ${file}: ${buf.length} bytes is larger than an app definition can be (1 MiB)`);
    text = buf.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--app ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      hint: 'give the path of the app definition template, e.g. --app marathon.json',
    });
  }
  return parseJsonSource(text, file);
}

export async function runDeploy(opts: DeployCommandOptions, ctx: RunContext): Promise<DeployPlan> {
  const source = await readAppFile(opts.appFile, ctx.cwd);
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let client: MarathonClient | undefined;
  try {
    let current = undefined;
    let readId: string | undefined;
    if (opts.keepInstances) {
      client = await makeClient(opts.marathon, ctx, { deadline });
      const rawId = opts.overrides?.appId ?? (source.value as { id?: unknown } | null)?.id;
      if (typeof rawId === 'string') current = await client.getApp((readId = normalizeAppId(rawId, `${source.where('/id')} "id"`)));
    }
    const plan = planDeploy({ template: source.value, facts: opts.facts, options: opts, current, overrides: opts.overrides, extraLabels: opts.extraLabels });
    for (const line of formatFindings(plan.findings, source.where)) ctx.reporter.info(line);
    for (const note of plan.notes) ctx.reporter.info(note);
    if (opts.dryRun) {
      ctx.stdout(JSON.stringify(plan.definition, null, 2));
      ctx.reporter.info(
        `dry run: would PUT ${plan.request.path}?partialUpdate=false${plan.request.query.force ? '&force=true' : ''}; nothing was sent` +
          `${plan.findings.length ? ` (${plan.findings.length} lint finding${plan.findings.length === 1 ? '' : 's'})` : ' (lint: no findings)'}`,
      );
    }
    if (plan.blocking.length)
      throw new ValidationError(
        `${opts.appFile}: not deployed`,
        plan.blocking.map((p) => ({ path: p.path.startsWith('/') ? `${source.where(p.path)} ${p.path}` : p.path, message: p.message })),
        { hint: opts.strict ? 'fix the problems above (--strict turns lint warnings into errors)' : 'fix the problems above' },
      );
    if (opts.dryRun) return plan;
    client ??= await makeClient(opts.marathon, ctx, { deadline });
    const result = await executeDeploy(plan, { client, reporter: ctx.reporter, deadline, follow: opts.follow, signal: ctx.signal, waits: ctx.waits, ...(readId === plan.appId ? { current } : {}) });
    ctx.stdout(`${result.appId} ${result.version}`);
    return plan;
  } finally {
    await client?.close();
  }
}
