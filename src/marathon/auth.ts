/**
 * Credentials for Marathon: HTTP basic (open-source Marathon `--http_credentials`) or a DC/OS ACS
 * token (`Authorization: token=…`). They come from files or environment variables, never argv, and
 * are never printed: `describeAuth` names the kind, the user and the source only.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

export type MarathonAuth =
  | { kind: 'basic'; user: string; password: string; source?: string }
  | { kind: 'token'; token: string; source?: string };

export interface AuthFiles {
  /** `--marathon-credentials-file`: one line `user:password`. */
  credentialsFile?: string;
  /** `--marathon-token-file`: the DC/OS token. */
  tokenFile?: string;
}

/** "basic auth for user ci from BBM_MARATHON_USER" — safe to print. */
export function describeAuth(auth: MarathonAuth | undefined): string {
  if (!auth) return 'no credentials';
  const from = auth.source ? ` from ${auth.source}` : '';
  return auth.kind === 'basic' ? `basic auth for user ${JSON.stringify(auth.user)}${from}` : `a DC/OS token${from}`;
}

export function authorizationHeader(auth: MarathonAuth | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.kind === 'token') return `token=${auth.token}`;
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
}

const noSecretsHint =
  'give credentials with --marathon-credentials-file FILE (one line user:password), --marathon-token-file FILE, ' +
  'or the environment variables BBM_MARATHON_USER + BBM_MARATHON_PASSWORD or BBM_MARATHON_TOKEN';

async function readSecretFile(file: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      hint: noSecretsHint,
    });
  }
  // One value on the first line; a trailing newline (echo > file) is not part of it.
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  if (line.trim() === '') throw new UsageError(`${flag} ${file}: the file is empty`, { hint: noSecretsHint });
  return line;
}

function parseUserPassword(line: string, where: string): { user: string; password: string } {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new UsageError(`${where}: expected one line "user:password" (the value is not shown)`, { hint: noSecretsHint });
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

/**
 * Picks exactly one credential source: the files given as flags first, then the environment.
 * Two conflicting sources are an error rather than a silent choice.
 */
export async function resolveMarathonAuth(opts: {
  env: Readonly<Record<string, string | undefined>>;
  files?: AuthFiles;
}): Promise<MarathonAuth | undefined> {
  const { env, files = {} } = opts;
  if (files.credentialsFile && files.tokenFile)
    throw new UsageError('both --marathon-credentials-file and --marathon-token-file are set; give one', { hint: noSecretsHint });
  if (files.credentialsFile) {
    const where = `--marathon-credentials-file ${files.credentialsFile}`;
    const { user, password } = parseUserPassword(await readSecretFile(files.credentialsFile, '--marathon-credentials-file'), where);
    return { kind: 'basic', user, password, source: where };
  }
  if (files.tokenFile) {
    const token = (await readSecretFile(files.tokenFile, '--marathon-token-file')).trim();
    return { kind: 'token', token, source: `--marathon-token-file ${files.tokenFile}` };
  }
  const user = env.BBM_MARATHON_USER;
  const password = env.BBM_MARATHON_PASSWORD;
  const token = env.BBM_MARATHON_TOKEN;
  if ((user || password) && token)
    throw new UsageError('both BBM_MARATHON_USER/BBM_MARATHON_PASSWORD and BBM_MARATHON_TOKEN are set; unset one', {
      hint: noSecretsHint,
    });
  if (token) return { kind: 'token', token: token.trim(), source: 'BBM_MARATHON_TOKEN' };
  if (user || password) {
    if (!user) throw new UsageError('BBM_MARATHON_PASSWORD is set but BBM_MARATHON_USER is not', { hint: noSecretsHint });
    if (password === undefined)
      throw new UsageError(`BBM_MARATHON_USER is set (user ${JSON.stringify(user)}) but BBM_MARATHON_PASSWORD is not`, {
        hint: noSecretsHint,
      });
    return { kind: 'basic', user, password, source: 'BBM_MARATHON_USER/BBM_MARATHON_PASSWORD' };
  }
  return undefined;
}
