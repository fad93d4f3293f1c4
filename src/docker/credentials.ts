/**
 * Registry credentials for a push, found the way the docker CLI finds them, plus two CI-friendly
 * sources. Order: --credentials-file, BBM_REGISTRY_USER + BBM_REGISTRY_PASSWORD,
 * $DOCKER_CONFIG/config.json, ~/.docker/config.json. In a config.json: credHelpers[registry],
 * else auths[registry] (`auth` = base64 user:password, or username/password, or identitytoken),
 * else credsStore. Secrets are returned to the caller only: never logged, never put in argv
 * (credential helpers get the server on stdin, as docker does).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface FoundCredentials {
  auth: RegistryAuth;
  /** Where they came from, for messages: a file path or variable names. Never the secret. */
  source: string;
}

export interface CredentialLookup {
  /** Registry host[:port]; undefined means Docker Hub. */
  registry: string | undefined;
  credentialsFile?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** `https://host:port/v1/` → `host:port`; Docker Hub's aliases all become `docker.io`. */
export function normalizeRegistryKey(key: string): string {
  const host = key.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'docker.io'].includes(host) ? 'docker.io' : host;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | undefined>;
  credHelpers?: Record<string, string | undefined>;
  credsStore?: string;
}

/** Pure: the entry of a config.json for a registry, decoded; `helper` when a credential helper owns it. */
export function credentialsFromConfig(
  config: DockerConfigFile,
  registry: string | undefined,
  where: string,
): { auth: RegistryAuth } | { helper: string } | undefined {
  const wanted = normalizeRegistryKey(registry ?? DOCKER_HUB_KEY);
  const serveraddress = registry ?? DOCKER_HUB_KEY;
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (helper && normalizeRegistryKey(key) === wanted) return { helper };
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (!entry || normalizeRegistryKey(key) !== wanted) continue;
    if (entry.identitytoken) return { auth: { identitytoken: entry.identitytoken, serveraddress } };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new UsageError(`${where}: auths[${JSON.stringify(key)}].auth is not base64 of USER:PASSWORD`, { hint: 'run `docker login` again, or write username and password fields' });
      return { auth: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress } };
    }
    if (entry.username && entry.password !== undefined) return { auth: { username: entry.username, password: entry.password, serveraddress } };
    // An entry without secrets (docker writes `{}` next to a credsStore): fall through to the store.
  }
  if (config.credsStore) return { helper: config.credsStore };
  return undefined;
}

async function readJsonConfig(file: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    throw new UsageError(`${file} is not valid JSON (a docker config.json)`, { hint: 'fix the file, or run `docker login` to rewrite it' });
  }
}

/** Asks `docker-credential-<helper> get`; the server address goes on stdin, as with docker. */
export function askCredentialHelper(helper: string, serveraddress: string, env: Readonly<Record<string, string | undefined>>): Promise<RegistryAuth | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return Promise.reject(new UsageError(`credential helper name ${JSON.stringify(helper)} is invalid`));
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) =>
      reject(new UsageError(`credential helper ${program} cannot be run: ${e.message}`, { hint: `install ${program}, or remove it from config.json` })),
    );
    child.on('close', (code) => {
      if (code !== 0) {
        if (/credentials not found/i.test(out + err)) return resolve(undefined);
        // The helper's output is not echoed: it may contain secrets.
        return reject(new UsageError(`credential helper ${program} failed (exit ${code}) for ${serveraddress}`));
      }
      try {
        const r = JSON.parse(out) as { Username?: string; Secret?: string };
        if (r.Username === '<token>') return resolve({ identitytoken: r.Secret ?? '', serveraddress });
        resolve({ username: r.Username ?? '', password: r.Secret ?? '', serveraddress });
      } catch {
        reject(new UsageError(`credential helper ${program} printed something that is not JSON`));
      }
    });
    child.stdin.end(serveraddress);
  });
}

/** Parses a --credentials-file: a docker config.json, or one line `user:password`. */
export function parseCredentialsFile(text: string, file: string, registry: string | undefined): { auth: RegistryAuth } | { helper: string } | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let config: DockerConfigFile;
    try {
      config = JSON.parse(trimmed) as DockerConfigFile;
    } catch {
      throw new UsageError(`--credentials-file ${file} starts with "{" but is not valid JSON`, { hint: 'use docker config.json format ({"auths": {...}}) or one line USER:PASSWORD' });
    }
    return credentialsFromConfig(config, registry, file);
  }
  const line = trimmed.split(/\r?\n/)[0] ?? '';
  const colon = line.indexOf(':');
  if (colon <= 0 || trimmed.includes('\n')) {
    throw new UsageError(`--credentials-file ${file} is neither a docker config.json nor one line USER:PASSWORD`, {
      hint: 'write USER:PASSWORD on one line (chmod 600), or a docker config.json with "auths"',
    });
  }
  return { auth: { username: line.slice(0, colon), password: line.slice(colon + 1), serveraddress: registry ?? DOCKER_HUB_KEY } };
}

/** The credentials for `registry`, or undefined to push anonymously. */
export async function findCredentials(lookup: CredentialLookup): Promise<FoundCredentials | undefined> {
  const serveraddress = lookup.registry ?? DOCKER_HUB_KEY;
  const resolveHelper = async (found: { auth: RegistryAuth } | { helper: string } | undefined, source: string) => {
    if (!found) return undefined;
    if ('auth' in found) return { auth: found.auth, source };
    const auth = await askCredentialHelper(found.helper, serveraddress, lookup.env);
    return auth ? { auth, source: `${source} (docker-credential-${found.helper})` } : undefined;
  };

  if (lookup.credentialsFile) {
    const file = path.resolve(lookup.cwd, lookup.credentialsFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--credentials-file ${file} cannot be read: ${(error as Error).message}`);
    }
    const found = await resolveHelper(parseCredentialsFile(text, file, lookup.registry), file);
    if (!found) {
      throw new UsageError(`--credentials-file ${file} has no entry for registry ${serveraddress}`, {
        hint: `add "auths": {"${lookup.registry ?? DOCKER_HUB_KEY}": {"auth": "<base64 of USER:PASSWORD>"}}`,
      });
    }
    return found;
  }

  const user = lookup.env.BBM_REGISTRY_USER;
  const password = lookup.env.BBM_REGISTRY_PASSWORD;
  if (user !== undefined || password !== undefined) {
    if (!user || password === undefined) {
      throw new UsageError('BBM_REGISTRY_USER and BBM_REGISTRY_PASSWORD must be set together', { hint: 'set both, or neither' });
    }
    return { auth: { username: user, password, serveraddress }, source: 'BBM_REGISTRY_USER/BBM_REGISTRY_PASSWORD' };
  }

  const dirs: string[] = [];
  if (lookup.env.DOCKER_CONFIG) dirs.push(path.resolve(lookup.cwd, lookup.env.DOCKER_CONFIG));
  else if (lookup.env.HOME) dirs.push(path.join(lookup.env.HOME, '.docker'));
  for (const dir of dirs) {
    const file = path.join(dir, 'config.json');
    const config = await readJsonConfig(file);
    if (!config) continue;
    const found = await resolveHelper(credentialsFromConfig(config, lookup.registry, file), file);
    if (found) return found;
  }
  return undefined;
}

/** Where credentials were looked for, for the message when a registry asks for some. */
export function credentialPlaces(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(env.HOME ?? '~', '.docker', 'config.json');
  return `--credentials-file, BBM_REGISTRY_USER/BBM_REGISTRY_PASSWORD, ${config}`;
}
