/**
 * `bbm push`: the engine pushes a local image to its registry, through dockerode, with the
 * credentials of src/docker/credentials.ts (sent in the X-Registry-Auth header, never in argv).
 * Transient failures are retried with bounded backoff, then exit 3; refused credentials exit 2
 * at once (input to fix, not a failure that a retry could cure).
 */
import type { Readable } from 'node:stream';
import type { RunContext } from '../context.js';
import { connectDocker, isEngineConnectionError } from '../docker/client.js';
import { credentialPlaces, findCredentials, type FoundCredentials } from '../docker/credentials.js';
import { eventError, readProgress } from '../docker/progress.js';
import { parseImageReference } from '../docker/reference.js';
import { isAuthMessage, isTransientMessage, withRetry } from '../docker/retry.js';
import { InterruptedError, OperationFailedError, UnreachableError, UsageError } from '../errors.js';
import { waitOn } from '../timing.js';
import { DOCKER_WAITS } from './waits.js';

export interface PushOptions {
  image: string;
  json?: boolean | undefined;
  credentialsFile?: string | undefined;
  /** Retries after the first attempt (default 4). */
  retries?: number | undefined;
  /** First backoff in ms, doubling each retry (default 1000). */
  retryDelayMs?: number | undefined;
}

export interface PushResult {
  image: string;
  digest: string;
}

/** A failure worth another attempt; carries the last message for the final report. */
class TransientPushError extends Error {}

export async function pushImage(options: PushOptions, ctx: RunContext): Promise<PushResult> {
  const ref = parseImageReference(options.image);
  if (ref.digest) throw new UsageError(`--image ${JSON.stringify(options.image)} has a digest; push a tag (REPOSITORY:TAG)`);
  const retries = options.retries ?? 4;
  const baseDelayMs = options.retryDelayMs ?? 1000;
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new UsageError(`--retries ${retries} must be a whole number from 0 to 20`);
  if (!Number.isFinite(baseDelayMs) || baseDelayMs < 0) throw new UsageError(`--retry-delay-ms ${baseDelayMs} must be a number of milliseconds >= 0`);
  const registryName = ref.registry ?? 'Docker Hub';

  const credentials = await findCredentials({ registry: ref.registry, credentialsFile: options.credentialsFile, env: ctx.env, cwd: ctx.cwd });
  ctx.reporter.info(`bbm push: ${ref.full} to ${registryName}${credentials ? ` as ${describeUser(credentials)} (credentials from ${credentials.source})` : ' without credentials'}`);

  const { docker } = await connectDocker(ctx.env, { retries, baseDelayMs });
  const image = docker.getImage(ref.full);
  try {
    await image.inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new UsageError(`there is no local image ${ref.full} to push`, { hint: `build it first: bbm build --image ${ref.full}` });
    }
    throw error;
  }

  let attempts = 0;
  // Every attempt and the backoff between them wait on the engine and the registry (src/timing.ts).
  const digest = await waitOn(ctx.waits, DOCKER_WAITS.push, () =>
    withRetry(
      async () => {
        attempts++;
        return pushOnce(image, ref.tag, credentials, ctx);
      },
      {
        retries,
        baseDelayMs,
        maxDelayMs: 30_000,
        signal: ctx.signal,
        isTransient: (e) => e instanceof TransientPushError || isEngineConnectionError(e),
        onRetry: (e, attempt, delay) =>
          ctx.reporter.warn(`push of ${ref.full} failed: ${(e as Error).message}; retry ${attempt} of ${retries} in ${delay} ms`),
      },
    ),
  ).catch((error: unknown) => {
    if (error instanceof InterruptedError)
      throw error.leaving(`no further attempt after ${attempts}; ${ref.full} is in the registry only if the engine had finished pushing it (run bbm push again)`);
    if (error instanceof TransientPushError || isEngineConnectionError(error)) {
      throw new UnreachableError(`could not push ${ref.full} to ${registryName} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${(error as Error).message}`, {
        hint: `check that the registry ${registryName} is up and reachable from the Docker engine (the engine does the push, not bbm)`,
      });
    }
    if (error instanceof AuthRefused) {
      throw new UsageError(
        `${registryName} refused the push of ${ref.full}: ${error.message}` +
          (credentials ? ` (credentials of ${describeUser(credentials)} from ${credentials.source})` : ` (no credentials found; looked in ${credentialPlaces(ctx.env)})`),
        { hint: credentials ? `fix the credentials in ${credentials.source} (docker login ${ref.registry ?? ''} writes config.json)` : 'give credentials with --credentials-file FILE, BBM_REGISTRY_USER/BBM_REGISTRY_PASSWORD, or docker login' },
      );
    }
    throw error;
  });
  ctx.reporter.info(`bbm push: pushed ${ref.full} ${digest}`);
  return { image: ref.full, digest };
}

class AuthRefused extends Error {}

function describeUser(c: FoundCredentials): string {
  return c.auth.username ? `user ${JSON.stringify(c.auth.username)}` : 'an identity token';
}

async function pushOnce(image: import('dockerode').Image, tag: string, credentials: FoundCredentials | undefined, ctx: RunContext): Promise<string> {
  let stream: Readable;
  try {
    // The engine requires the X-Registry-Auth header even for anonymous pushes: `{}` is "no credentials".
    stream = (await image.push({ tag, authconfig: credentials?.auth ?? {}, abortSignal: ctx.signal } as never)) as unknown as Readable;
  } catch (error) {
    const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
    if (isAuthMessage(message)) throw new AuthRefused(message);
    if (isEngineConnectionError(error)) throw error;
    if ((error as { statusCode?: number }).statusCode && isTransientMessage(message)) throw new TransientPushError(message);
    throw new OperationFailedError(`the Docker engine refused the push: ${message}`);
  }
  let failure: string | undefined;
  let digest: string | undefined;
  const seen = new Map<string, string>();
  await readProgress(stream, (event) => {
    const error = eventError(event);
    if (error) failure = error;
    if (event.aux?.Digest) digest = event.aux.Digest;
    if (event.status) {
      const m = /digest: (sha256:[0-9a-f]{64})/.exec(event.status);
      if (m) digest ??= m[1];
      // Layer progress repeats a status many times: print each (layer, status) once.
      const key = event.id ?? '';
      if (seen.get(key) !== event.status) {
        seen.set(key, event.status);
        ctx.reporter.raw(event.id ? `${event.id}: ${event.status}` : event.status);
      }
    }
  });
  if (failure !== undefined) {
    if (isAuthMessage(failure)) throw new AuthRefused(failure);
    if (isTransientMessage(failure)) throw new TransientPushError(failure);
    throw new OperationFailedError(`push failed: ${failure}`);
  }
  if (!digest) throw new OperationFailedError('the push ended without reporting a digest');
  return digest;
}

export async function runPush(options: PushOptions, ctx: RunContext): Promise<void> {
  const result = await pushImage(options, ctx);
  ctx.stdout(options.json ? JSON.stringify(result) : result.digest);
}
