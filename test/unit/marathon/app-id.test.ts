import { describe, expect, it } from 'vitest';
import { appIdProblems, normalizeAppId, suggestAppId } from '../../../src/marathon/app-id.js';
import { UsageError } from '../../../src/errors.js';

describe('normalizeAppId', () => {
  it.each([
    ['webapp', '/webapp'],
    ['/webapp', '/webapp'],
    ['/prod/web/', '/prod/web'],
    ['a.b-c/d0', '/a.b-c/d0'],
    ['/x', '/x'],
  ])('%s → %s', (raw, id) => expect(normalizeAppId(raw)).toBe(id));

  it.each([
    ['webApp', '/webapp'],
    ['my_app', '/my-app'],
    ['-web-', '/web'],
    ['/prod//web', '/prod/web'],
    ['web/tasks', '/web/tasks-app'],
    ['Web App!', '/web-app'],
  ])('%s is rejected before any request, suggesting %s', (raw, fixed) => {
    expect(appIdProblems(raw.startsWith('/') ? raw : `/${raw}`).length).toBeGreaterThan(0);
    expect(suggestAppId(raw)).toBe(fixed);
    let error: unknown;
    try {
      normalizeAppId(raw, 'marathon.json "id"');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('marathon.json "id"');
    expect((error as UsageError).message).toContain(JSON.stringify(raw));
    expect((error as UsageError).hint).toContain(JSON.stringify(fixed));
  });

  it.each(['', '/', '/..', '/a/versions', '/a/restart'])('%j is not an app id', (raw) => {
    expect(() => normalizeAppId(raw)).toThrow(UsageError);
  });
});

describe('one rule for app ids: the config, bbm deploy and devcluster agree (marathon state/PathId.scala)', () => {
  it.each([
    ['/web', true],
    ['/prod/web-1', true],
    ['/a.b/c', true],
    ['/tasks', false],
    ['/web/versions', false],
    ['/web/restart', false],
    ['/webApp', false],
    ['/-web', false],
    ['/web_app', false],
  ])('%s valid: %s', async (id, valid) => {
    const { isMarathonAppId } = await import('../../../src/config/names.js');
    const { idProblems: engineProblems } = await import('../../../src/devcluster/ids.js');
    expect(isMarathonAppId(id)).toBe(valid);
    expect(appIdProblems(id).length === 0).toBe(valid);
    expect(engineProblems(id).length === 0).toBe(valid);
  });
});
