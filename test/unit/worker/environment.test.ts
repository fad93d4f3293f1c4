import { describe, expect, it } from 'vitest';
import { stepBaseEnv, stepEnv } from '../../../src/worker/environment.js';

describe('stepEnv (buildbot-worker runprocess.py rules)', () => {
  const base = { PATH: '/usr/bin:/bin', HOME: '/home/w', PYTHONPATH: '/lib/py' };
  it.each([
    ['no env: the base', undefined, base],
    ['a new variable', { A: '1' }, { ...base, A: '1' }],
    ['${PATH} expands from the base', { PATH: '/opt/bin:${PATH}' }, { ...base, PATH: '/opt/bin:/usr/bin:/bin' }],
    ['an unset reference is empty', { A: 'x${NOPE}y' }, { ...base, A: 'xy' }],
    ['null removes a variable', { HOME: null }, { PATH: base.PATH, PYTHONPATH: base.PYTHONPATH }],
    ['a list is joined with :', { L: ['a', 'b', 'c'] }, { ...base, L: 'a:b:c' }],
    ['PYTHONPATH keeps the base one after it', { PYTHONPATH: '/mine' }, { ...base, PYTHONPATH: '/mine:/lib/py' }],
    ['$NAME without braces is left alone', { A: '$PATH' }, { ...base, A: '$PATH' }],
  ])('%s', (_n, env, expected) => {
    expect(stepEnv(base, env as Record<string, unknown> | undefined)).toEqual(expected);
  });

  it('refuses other value types, naming the key', () => {
    expect(() => stepEnv(base, { N: 3 })).toThrow("'env' values must be strings or lists; key 'N' is incorrect");
  });
});

describe('stepBaseEnv', () => {
  it('keeps a few known variables, renames BBM_STEP_*, and nothing else of the worker', () => {
    const env = stepBaseEnv({ PATH: '/p', HOME: '/h', LANG: 'C.UTF-8', AWS_SECRET_ACCESS_KEY: 's', RANDOM_THING: 'r', BBM_STEP_TIMEOUT: '300', BBM_MASTER: 'm:1' });
    expect(env).toEqual({ PATH: '/p', HOME: '/h', LANG: 'C.UTF-8', BBM_TIMEOUT: '300' });
  });
  it('passes named variables on request', () => {
    expect(stepBaseEnv({ PATH: '/p', npm_config_cache: '/c' }, ['npm_config_cache'])).toEqual({ PATH: '/p', npm_config_cache: '/c' });
  });
  it.each([['DB_PASSWORD'], ['GITHUB_TOKEN'], ['MY_SECRET'], ['REGISTRY_CREDENTIALS']])('refuses the secret-looking %s', (name) => {
    expect(() => stepBaseEnv({ [name]: 'x' }, [name])).toThrow(/looks secret/);
    expect(() => stepBaseEnv({ [`BBM_STEP_${name}`]: 'x' })).toThrow(/looks secret/);
  });
  it('gives a PATH when the worker has none', () => {
    expect(stepBaseEnv({}).PATH).toMatch(/\/usr\/bin/);
  });
});
