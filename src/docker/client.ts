/**
 * The Docker adapter's connection: one dockerode client for the engine named by DOCKER_HOST
 * (`unix:///path` or `tcp://host:port`, TLS with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH), default
 * `unix:///var/run/docker.sock`. Used by `bbm build` and `bbm push`. dockerode is imported only
 * here and by the devcluster's own runtime (src/devcluster/docker.ts, its own agent so stopping can
 * cut requests in flight), both reached only from command handlers, so `bbm tag` never loads it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { UnreachableError, UsageError } from '../errors.js';
import { isTransientMessage, withRetry, type RetryOptions } from './retry.js';

export type { default as Docker } from 'dockerode';

export interface DockerEndpoint {
  /** Human-readable, for messages: `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`. */
  description: string;
  options: Docker.DockerOptions;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Pure: where the engine is, from the environment (the same variables the docker CLI reads). */
export function dockerEndpoint(env: Readonly<Record<string, string | undefined>>): DockerEndpoint {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return { description: `unix://${DEFAULT_DOCKER_SOCKET}`, options: { socketPath: DEFAULT_DOCKER_SOCKET } };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new UsageError(`DOCKER_HOST=${JSON.stringify(host)}: the socket path must be absolute (unix:///var/run/docker.sock)`);
    return { description: host, options: { socketPath } };
  }
  const m = /^tcp:\/\/([^/:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(host);
  if (m) {
    const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
    const options: Docker.DockerOptions = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), protocol: tls ? 'https' : 'http' };
    if (tls) {
      const dir = env.DOCKER_CERT_PATH || path.join(env.HOME ?? '', '.docker');
      try {
        options.ca = readFileSync(path.join(dir, 'ca.pem'));
        options.cert = readFileSync(path.join(dir, 'cert.pem'));
        options.key = readFileSync(path.join(dir, 'key.pem'));
      } catch (error) {
        throw new UsageError(`DOCKER_TLS_VERIFY is set but the TLS files in ${dir} cannot be read: ${(error as Error).message}`, {
          hint: 'set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem',
        });
      }
    }
    return { description: host, options };
  }
  throw new UsageError(`DOCKER_HOST=${JSON.stringify(host)} is not supported`, {
    hint: 'use unix:///path/to/docker.sock or tcp://HOST:PORT',
  });
}

/** A client, after checking the engine answers (`/_ping`), retrying briefly while it does not. */
export async function connectDocker(
  env: Readonly<Record<string, string | undefined>>,
  retry: Partial<RetryOptions> = {},
): Promise<{ docker: Docker; endpoint: DockerEndpoint }> {
  const endpoint = dockerEndpoint(env);
  const docker = new Docker(endpoint.options);
  try {
    await withRetry(() => docker.ping(), { retries: 2, baseDelayMs: 500, ...retry, isTransient: (e) => isEngineConnectionError(e) });
  } catch (error) {
    if (isEngineConnectionError(error)) {
      throw new UnreachableError(`the Docker engine at ${endpoint.description} cannot be reached: ${(error as Error).message}`, {
        hint: 'start dockerd (scripts/setup.sh does), or point DOCKER_HOST at a running engine',
        cause: error,
      });
    }
    throw error;
  }
  return { docker, endpoint };
}

/** A failure to talk to the engine itself (as opposed to an error the engine reports). */
export function isEngineConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EACCES'].includes(code)) {
    return code !== 'EACCES';
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 500 && status !== 500) return true;
  return error instanceof Error && isTransientMessage(error.message) && !('statusCode' in error);
}
