import { describe, expect, it } from 'vitest';
import { applyEnvOptions, envName } from '../../src/commands/env-options.js';
import { UsageError } from '../../src/errors.js';

const parser = {
  key: { help: true, project: true, 'build-number': true, pull: true, 'build-arg': true, retries: true },
  boolean: ['help', 'pull'],
  number: ['retries'],
  array: ['build-arg'],
  alias: {},
};

function apply(env: Record<string, string>, raw: string[] = [], argv: Record<string, unknown> = {}) {
  applyEnvOptions(argv, parser, raw, env);
  return argv;
}

describe('BBM_* environment options', () => {
  it.each([
    ['project', 'BBM_PROJECT'],
    ['build-number', 'BBM_BUILD_NUMBER'],
    ['marathon-url', 'BBM_MARATHON_URL'],
  ])('%s ↔ %s', (option, name) => expect(envName(option)).toBe(name));

  it('fills declared options, in both spellings, with their types', () => {
    expect(apply({ BBM_PROJECT: 'p', BBM_BUILD_NUMBER: '12', BBM_PULL: 'true', BBM_RETRIES: '3', BBM_BUILD_ARG: 'A=1' })).toEqual({
      project: 'p',
      'build-number': '12',
      buildNumber: '12',
      pull: true,
      retries: 3,
      'build-arg': ['A=1'],
      buildArg: ['A=1'],
    });
  });

  it('ignores variables that are not options of the command', () => {
    expect(apply({ BBM_REQUIRE_INTEGRATION: '1', BBM_REGISTRY_PASSWORD: 'secret', BBM_HELP: '1' })).toEqual({});
  });

  it('lets the command line win', () => {
    expect(apply({ BBM_PROJECT: 'env' }, ['tag', '--project', 'flag'], { project: 'flag' })).toEqual({ project: 'flag' });
    expect(apply({ BBM_PROJECT: 'env' }, ['tag', '--project=flag'], { project: 'flag' })).toEqual({ project: 'flag' });
    expect(apply({ BBM_PULL: '1' }, ['build', '--no-pull'], { pull: false })).toEqual({ pull: false });
  });

  it.each([
    [{ BBM_PULL: 'maybe' }, /BBM_PULL="maybe" is not a boolean/],
    [{ BBM_RETRIES: 'x' }, /BBM_RETRIES="x" is not a number/],
  ])('refuses %j', (env, message) => {
    expect(() => apply(env)).toThrow(UsageError);
    expect(() => apply(env)).toThrow(message);
  });
});
