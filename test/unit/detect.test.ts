import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/detect.js';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
const f = (name: string) => ({ name, dir: false });
const d = (name: string) => ({ name, dir: true });

describe('layoutOf (detection rules)', () => {
  it.each([
    [[f('pom.xml'), f('Dockerfile')], 'maven'],
    [[f('build.gradle.kts')], 'gradle'],
    [[f('settings.gradle'), f('package.json')], 'gradle'],
    [[f('go.mod'), f('package.json')], 'go'],
    [[f('setup.py')], 'python'],
    [[f('pyproject.toml'), f('package.json')], 'python'],
    [[f('package.json'), f('Dockerfile')], 'node'],
    [[f('Dockerfile')], 'docker'],
    [[d('pom.xml')], null],
    [[f('README.md')], null],
  ] as const)('%j → %s', (entries, type) => {
    expect(layoutOf(entries).type).toBe(type);
  });

  it.each([
    [[d('tests')], true],
    [[d('test')], true],
    [[f('test_app.py')], true],
    [[f('app_test.py')], true],
    [[f('tests')], false],
    [[f('app.py')], false],
  ] as const)('tests in %j: %s', (entries, tests) => {
    expect(layoutOf(entries).tests).toBe(tests);
  });
});

describe('bbm detect', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bbm-detect-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'detect', ...args], { encoding: 'utf8' });

  it('prints the type of a checkout', () => {
    const dir = path.join(root, 'py');
    mkdirSync(path.join(dir, 'tests'), { recursive: true });
    writeFileSync(path.join(dir, 'setup.py'), '');
    const r = run('--cwd', dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('python\n');
    expect(JSON.parse(run('--cwd', dir, '--json').stdout)).toEqual({ type: 'python', tests: true, setupPy: true, pyproject: false, gradleWrapper: false });
  });

  it('exits 2 naming what it looked for when nothing matches', () => {
    const dir = path.join(root, 'empty');
    mkdirSync(dir);
    const r = run('--cwd', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot tell the project type .*pom\.xml/);
    expect(JSON.parse(run('--cwd', dir, '--json').stdout).type).toBeNull();
  });
});
