import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationHeader, describeAuth, resolveMarathonAuth } from '../../../src/marathon/auth.js';
import { UsageError } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bbm-auth-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('resolveMarathonAuth', () => {
  it('reads user:password from a file (the password may hold colons; the newline is dropped)', async () => {
    const f = file('cred', 'ci:s3:cr3t\n');
    const auth = await resolveMarathonAuth({ env: {}, files: { credentialsFile: f } });
    expect(auth).toMatchObject({ kind: 'basic', user: 'ci', password: 's3:cr3t' });
    expect(authorizationHeader(auth)).toBe(`Basic ${Buffer.from('ci:s3:cr3t').toString('base64')}`);
    expect(describeAuth(auth)).toBe(`basic auth for user "ci" from --marathon-credentials-file ${f}`);
  });

  it('reads a token file and sends token=…', async () => {
    const auth = await resolveMarathonAuth({ env: {}, files: { tokenFile: file('tok', 'eyJabc.def\n') } });
    expect(authorizationHeader(auth)).toBe('token=eyJabc.def');
    expect(describeAuth(auth)).not.toContain('eyJabc');
  });

  it('takes the environment when no file is given', async () => {
    const basic = await resolveMarathonAuth({ env: { BBM_MARATHON_USER: 'ci', BBM_MARATHON_PASSWORD: 'pw' } });
    expect(describeAuth(basic)).toBe('basic auth for user "ci" from BBM_MARATHON_USER/BBM_MARATHON_PASSWORD');
    const token = await resolveMarathonAuth({ env: { BBM_MARATHON_TOKEN: 't0k' } });
    expect(describeAuth(token)).toBe('a DC/OS token from BBM_MARATHON_TOKEN');
    expect(await resolveMarathonAuth({ env: {} })).toBeUndefined();
  });

  it('prefers a file over the environment', async () => {
    const auth = await resolveMarathonAuth({ env: { BBM_MARATHON_TOKEN: 'env' }, files: { tokenFile: file('tok2', 'file') } });
    expect(authorizationHeader(auth)).toBe('token=file');
  });

  it.each<[string, Parameters<typeof resolveMarathonAuth>[0]]>([
    ['two files', { env: {}, files: { credentialsFile: '/a', tokenFile: '/b' } }],
    ['user without password', { env: { BBM_MARATHON_USER: 'ci' } }],
    ['password without user', { env: { BBM_MARATHON_PASSWORD: 'hunter2' } }],
    ['basic and token', { env: { BBM_MARATHON_USER: 'ci', BBM_MARATHON_PASSWORD: 'hunter2', BBM_MARATHON_TOKEN: 't' } }],
    ['missing file', { env: {}, files: { credentialsFile: path.join(dir, 'nope') } }],
    ['empty file', { env: {}, files: { tokenFile: file('empty', '\n') } }],
    ['no colon', { env: {}, files: { credentialsFile: file('nocolon', 'hunter2\n') } }],
  ])('%s is a usage error that never shows a secret', async (_name, input) => {
    const error = await resolveMarathonAuth(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(`${(error as UsageError).message} ${(error as UsageError).hint}`).not.toContain('hunter2');
  });
});
