/**
 * The registry adapter (Docker Registry HTTP API V2, undici): what digest a tag points at, and whether
 * a digest is still stored. `HEAD /v2/<name>/manifests/<reference>` answers with Docker-Content-Digest
 * (distribution/distribution docs/spec/api.md, "Existing Manifests"). Credentials are found as
 * `bbm push` finds them (src/docker/credentials.ts): basic auth, or the bearer token a
 * `WWW-Authenticate: Bearer realm=…` challenge asks for. They are sent, never printed.
 */
import { Agent, request } from 'undici';
import { OperationFailedError, UnreachableError, UsageError } from '../errors.js';
import type { RegistryAuth } from '../docker/credentials.js';
import { parseImageReference } from '../docker/reference.js';
import { isTransientNetworkError, networkErrorText, sleep } from '../marathon/transport.js';

/** Every manifest type a push may leave behind: what a HEAD must accept to get the stored digest. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ResolvedImage {
  /** The reference as given. */
  image: string;
  /** `registry/repository@sha256:…`: what a promotion deploys. */
  pinned: string;
  digest: string;
  registry: string;
  repository: string;
}

export interface RegistryOptions {
  auth?: RegistryAuth | undefined;
  /** Where the credentials came from, for messages. */
  authSource?: string | undefined;
  signal?: AbortSignal | undefined;
  /** ms since the epoch; transient failures are retried until then (default: 30 s from now). */
  deadline?: number;
}

/** Loopback registries speak plain HTTP (as the Docker engine allows for 127.0.0.0/8); others HTTPS. */
export function registryBaseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const plain = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
  return `${plain ? 'http' : 'https'}://${registry}`;
}

/** Pure: `Bearer realm="https://auth/token",service="reg",scope="…"` → its parameters. */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[p[1] as string] = p[2] as string;
  return { scheme: (m[1] as string).toLowerCase(), params };
}

function basic(auth: RegistryAuth | undefined): string | undefined {
  if (!auth?.username) return undefined;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
}

/**
 * Resolves an image reference (tag or digest) to the digest the registry stores for it. Throws
 * OperationFailedError when the registry no longer has it, UsageError when it refuses the
 * credentials, UnreachableError when it cannot be reached until the deadline.
 */
export async function resolveImageDigest(ref: string, opts: RegistryOptions = {}): Promise<ResolvedImage> {
  const parsed = parseImageReference(ref, 'image');
  if (!parsed.registry) throw new UsageError(`image ${ref} names no registry; bbm promotes images from the project's registry (REGISTRY/REPOSITORY:TAG)`);
  const reference = parsed.digest ?? parsed.tag;
  const base = registryBaseUrl(parsed.registry);
  const path = `/v2/${parsed.repository}/manifests/${reference}`;
  const dispatcher = new Agent({ headersTimeout: 15_000, bodyTimeout: 15_000, keepAliveTimeout: 1_000 });
  const deadline = opts.deadline ?? Date.now() + 30_000;
  try {
    let authorization = basic(opts.auth);
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await request(`${base}${path}`, {
          method: 'HEAD',
          dispatcher,
          signal: opts.signal,
          headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
        });
        await res.body.dump();
      } catch (error) {
        if (!isTransientNetworkError(error) || Date.now() >= deadline || opts.signal?.aborted)
          throw new UnreachableError(`the registry ${parsed.registry} could not be reached (${networkErrorText(error)})`, { hint: `is ${base}/v2/ up?`, cause: error });
        await sleep(Math.min(5_000, 250 * 2 ** attempt), opts.signal);
        continue;
      }
      if (res.statusCode === 401 && attempt === 0) {
        const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
        if (challenge?.scheme === 'bearer' && challenge.params.realm) {
          authorization = `Bearer ${await bearerToken(challenge.params, parsed.repository, opts, dispatcher)}`;
          continue;
        }
      }
      if (res.statusCode === 200) {
        const digest = String(res.headers['docker-content-digest'] ?? '');
        if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new OperationFailedError(`the registry ${parsed.registry} answered for ${ref} without a sha256 Docker-Content-Digest`);
        if (parsed.digest && parsed.digest !== digest) throw new OperationFailedError(`the registry stores ${digest} under ${ref}`);
        return { image: ref, pinned: `${parsed.registry}/${parsed.repository}@${digest}`, digest, registry: parsed.registry, repository: parsed.repository };
      }
      if (res.statusCode === 404)
        throw new OperationFailedError(`${ref} is gone from the registry ${parsed.registry} (HEAD ${path}: 404)`, {
          hint: 'it was deleted (or garbage-collected) after it was deployed; rebuild it, or promote a build whose image is still stored',
        });
      if (res.statusCode === 401 || res.statusCode === 403)
        throw new UsageError(`the registry ${parsed.registry} refused to show ${ref} (${res.statusCode})${opts.auth ? ` with the credentials from ${opts.authSource ?? 'the environment'}` : ' without credentials'}`, {
          hint: 'give credentials as for bbm push: BBM_REGISTRY_USER/BBM_REGISTRY_PASSWORD, --registry-credentials-file, or docker login',
        });
      if (res.statusCode >= 500 && Date.now() < deadline) {
        await sleep(Math.min(5_000, 250 * 2 ** attempt), opts.signal);
        continue;
      }
      throw new OperationFailedError(`the registry ${parsed.registry} answered ${res.statusCode} to HEAD ${path}`);
    }
  } finally {
    await dispatcher.close();
  }
}

async function bearerToken(params: Record<string, string>, repository: string, opts: RegistryOptions, dispatcher: Agent): Promise<string> {
  const url = new URL(params.realm as string);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', params.scope ?? `repository:${repository}:pull`);
  const authorization = basic(opts.auth);
  const res = await request(url, { method: 'GET', dispatcher, signal: opts.signal, headers: authorization ? { authorization } : {} }).catch((error: unknown) => {
    throw new UnreachableError(`the registry's token service ${url.origin} could not be reached (${networkErrorText(error)})`);
  });
  const body = (await res.body.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (res.statusCode !== 200 || !token)
    throw new UsageError(`the registry's token service ${url.origin} refused a pull token for ${repository} (${res.statusCode})`, {
      hint: 'give credentials as for bbm push: BBM_REGISTRY_USER/BBM_REGISTRY_PASSWORD, or docker login',
    });
  return token;
}
