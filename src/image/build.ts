/**
 * `bbm build`: the engine builds the image from the folder, through dockerode. Build output is
 * passed through as plain lines; a failure names Docker's own message and the failing step.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../context.js';
import { buildContextStream } from '../docker/build-context.js';
import { connectDocker, type Docker } from '../docker/client.js';
import { eventError, readProgress } from '../docker/progress.js';
import { parseImageReference } from '../docker/reference.js';
import { OperationFailedError, UsageError } from '../errors.js';
import { sourceFacts } from '../git/git.js';
import { waitOn } from '../timing.js';
import { composeLabels, createdTime, parsePairs } from './labels.js';
import { DOCKER_WAITS } from './waits.js';

export interface BuildOptions {
  image: string;
  dockerfile?: string | undefined;
  buildArgs?: readonly string[] | undefined;
  labels?: readonly string[] | undefined;
  network?: string | undefined;
  pull?: boolean | undefined;
  revision?: string | undefined;
  version?: string | undefined;
  source?: string | undefined;
  buildNumber?: string | undefined;
  branch?: string | undefined;
}

export interface BuildResult {
  image: string;
  id: string;
  labels: Record<string, string>;
}

export async function buildImage(options: BuildOptions, ctx: RunContext): Promise<BuildResult> {
  // Everything that can be checked without the engine, first.
  const ref = parseImageReference(options.image);
  if (ref.digest) throw new UsageError(`--image ${JSON.stringify(options.image)} has a digest; a build can only be tagged (REPOSITORY[:TAG])`);
  if (!existsSync(ctx.cwd) || !statSync(ctx.cwd).isDirectory()) {
    throw new UsageError(`build context ${ctx.cwd} is not a folder`, { hint: 'pass --cwd DIR, the folder with the Dockerfile' });
  }
  const dockerfileRel = path.relative(ctx.cwd, path.resolve(ctx.cwd, options.dockerfile ?? 'Dockerfile')).split(path.sep).join('/');
  if (dockerfileRel.startsWith('../') || path.isAbsolute(dockerfileRel)) {
    throw new UsageError(`--dockerfile ${options.dockerfile} is outside the build context ${ctx.cwd}`, { hint: 'put the Dockerfile inside --cwd' });
  }
  const dockerfilePath = path.join(ctx.cwd, dockerfileRel);
  if (!existsSync(dockerfilePath)) {
    throw new UsageError(`no Dockerfile at ${dockerfilePath}`, {
      hint: options.dockerfile ? 'check --dockerfile (relative to --cwd)' : 'add a Dockerfile to the project, or pass --dockerfile PATH (relative to --cwd)',
    });
  }
  const buildargs = Object.fromEntries(
    parsePairs(options.buildArgs ?? [], '--build-arg', (k) => ctx.env[k], (k) => ctx.reporter.warn(`--build-arg ${k}: ${k} is not set in the environment; not passed`)),
  );
  const git = await sourceFacts({ cwd: ctx.cwd, env: ctx.env, signal: ctx.signal });
  const labels = composeLabels(
    {
      revision: options.revision ?? git.commit,
      version: options.version,
      source: options.source ?? git.originUrl,
      created: createdTime(ctx.env),
      buildNumber: options.buildNumber,
      branch: options.branch,
    },
    options.labels ?? [],
  );

  const { docker, endpoint } = await connectDocker(ctx.env);
  ctx.reporter.info(`bbm build: ${ref.full} from ${ctx.cwd} (${dockerfileRel}) on ${endpoint.description}`);
  // From the request to the end of its output the engine builds: the step's Docker share (src/timing.ts).
  const { step, failure, id, lastLines } = await waitOn(ctx.waits, DOCKER_WAITS.build, () =>
    engineBuild(docker, ref.full, { dockerfile: dockerfileRel, buildargs, labels, network: options.network, pull: options.pull }, ctx),
  );
  if (failure !== undefined) {
    throw new OperationFailedError(`docker build of ${ref.full} failed${step ? ` at ${step}` : ''}: ${failure}`, {
      hint: 'the build output above shows the failing step; fix the Dockerfile or the project and build again',
    });
  }
  if (!id) throw new OperationFailedError(`docker build of ${ref.full} ended without an image id (last output: ${lastLines.join(' | ')})`);
  ctx.reporter.info(`bbm build: built ${ref.full} (${id})`);
  return { image: ref.full, id, labels };
}

interface EngineBuildOutcome {
  /** The last `Step n/m : …` line. */
  step: string | undefined;
  failure: string | undefined;
  id: string | undefined;
  lastLines: string[];
}

/** The engine's build: the request, then its output passed through as plain lines. */
async function engineBuild(
  docker: Docker,
  image: string,
  o: { dockerfile: string; buildargs: Record<string, string>; labels: Record<string, string>; network: string | undefined; pull: boolean | undefined },
  ctx: RunContext,
): Promise<EngineBuildOutcome> {
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.buildImage(buildContextStream(ctx.cwd, o.dockerfile), {
      t: image,
      dockerfile: o.dockerfile,
      buildargs: o.buildargs,
      labels: o.labels,
      networkmode: o.network,
      pull: o.pull ? '1' : undefined,
      rm: true,
      forcerm: true,
      abortSignal: ctx.signal,
    } as Parameters<typeof docker.buildImage>[1]);
  } catch (error) {
    throw engineError(error, image);
  }

  let step: string | undefined;
  let failure: string | undefined;
  let id: string | undefined;
  const lastLines: string[] = [];
  await readProgress(response as import('node:stream').Readable, (event) => {
    if (event.stream !== undefined) {
      for (const line of event.stream.replace(/\n$/, '').split('\n')) {
        if (line.trim() === '') continue;
        if (/^Step \d+\/\d+ : /.test(line)) step = line;
        const m = /^Successfully built ([0-9a-f]+)$/.exec(line);
        if (m) id ??= m[1];
        ctx.reporter.raw(line);
        lastLines.push(line);
        if (lastLines.length > 5) lastLines.shift();
      }
    } else if (event.status !== undefined) {
      ctx.reporter.raw(event.id ? `${event.id}: ${event.status}` : event.status);
    }
    if (event.aux?.ID) id = event.aux.ID;
    const error = eventError(event);
    if (error) failure = error;
  });
  return { step, failure, id, lastLines };
}

function engineError(error: unknown, image: string): Error {
  const e = error as { statusCode?: number; json?: { message?: string }; message?: string };
  if (typeof e.statusCode === 'number') {
    const message = e.json?.message ?? e.message ?? String(error);
    if (e.statusCode >= 400 && e.statusCode < 500) return new UsageError(`the Docker engine refused the build of ${image}: ${message}`);
    return new OperationFailedError(`docker build of ${image} failed: ${message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export async function runBuild(options: BuildOptions, ctx: RunContext): Promise<void> {
  const result = await buildImage(options, ctx);
  ctx.stdout(result.id);
}
