import { describe, expect, it } from 'vitest';
import {
  DOCKER_REPOSITORY,
  SIMPLE_NAME,
  branchProblem,
  fixDockerRepository,
  fixMarathonAppId,
  fixSimpleName,
  isMarathonAppId,
} from '../../src/config/names.js';

describe('name rules and their suggested fixes', () => {
  it.each([
    ['webApp', 'webapp'],
    ['Team/Web__App-', 'team/web-app'],
    ['a..b', 'a-b'],
    ['--x--', 'x'],
    ['!!!', 'app'],
  ])('Docker repository %s → %s (valid)', (input, fixed) => {
    expect(fixDockerRepository(input)).toBe(fixed);
    expect(DOCKER_REPOSITORY.test(fixed)).toBe(true);
  });

  it.each([
    ['webApp', '/webapp'],
    ['/Web_App', '/web-app'],
    ['/team//my..app.', '/team/my.app'],
    ['___', '/app'],
  ])('Marathon app id %s → %s (valid)', (input, fixed) => {
    expect(isMarathonAppId(input)).toBe(false);
    expect(fixMarathonAppId(input)).toBe(fixed);
    expect(isMarathonAppId(fixed)).toBe(true);
  });

  it.each(['/hello', 'hello', '/team/app-1', '/a.b/c'])('Marathon app id %s is valid', (id) => expect(isMarathonAppId(id)).toBe(true));

  it.each([['web app!', 'web-app-'], ['..x', 'x'], ['ü', 'project']])('project name %s → %s (valid)', (input, fixed) => {
    expect(fixSimpleName(input)).toBe(fixed);
    expect(SIMPLE_NAME.test(fixed)).toBe(true);
  });

  it.each([
    ['master', null],
    ["it's\"$(x)'''", null],
    ['ré/日本', null],
    ['a b', /space/],
    ['a..b', /\.\./],
    ['-x', /starts with -/],
    ['x.lock', /\.lock/],
    ['a\nb', /control/],
    ['a/.b', /starting with \./],
  ])('branch %j → %s', (branch, problem) => {
    const why = branchProblem(branch as string);
    if (problem === null) expect(why).toBeNull();
    else expect(why).toMatch(problem as RegExp);
  });
});
