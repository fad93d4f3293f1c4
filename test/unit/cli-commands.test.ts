/**
 * Every command is declared one way (src/commands/define.ts). These tests read the list of commands
 * and their declared options, so a new command is covered without touching this file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandModules } from '../../src/commands/index.js';
import { envName } from '../../src/commands/env-options.js';
import { numberProblem, type DefinedCommand, type NumberRule } from '../../src/commands/define.js';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'bbm-cli-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BBM_')) env[k] = v;
  return { ...env, ...extra };
};
const run = (args: string[], env: Record<string, string> = {}, preload: string[] = []) =>
  spawnSync(process.execPath, [...preload, cli, ...args], { cwd: dir, encoding: 'utf8', env: cleanEnv(env), timeout: 60_000 });

const names = Object.keys(commandModules);
const loaded: [string, DefinedCommand][] = await Promise.all(names.map(async (n) => [n, await commandModules[n]!()] as [string, DefinedCommand]));

/** Required options filled with a placeholder, so a run gets as far as the option checks. */
const required = (c: DefinedCommand) =>
  Object.entries(c.spec.options).flatMap(([name, o]) => (o.demandOption ? [`--${name}`, o.type === 'number' ? '1' : 'x'] : []));

describe('every command is declared the same way', () => {
  it('has commands, each named as its module', () => {
    expect(names.length).toBeGreaterThan(5);
    for (const [name, c] of loaded) expect(c.command).toBe(name);
  });

  it.each(names)('bbm %s --help: every option with its [env: BBM_…], and examples', (name) => {
    const c = loaded.find(([n]) => n === name)![1];
    const r = run([name, '--help']);
    expect(r.status, r.stderr).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    const options = Object.keys(c.spec.options);
    expect(options.length).toBeGreaterThan(0);
    for (const option of options) {
      expect(help).toContain(`--${option}`);
      expect(help, option).toContain(`[env: ${envName(option)}]`);
    }
    expect(r.stdout).toMatch(/^Examples:\n {2}bbm /m);
    for (const [example] of c.spec.examples) expect(example, 'an example runs this command').toMatch(new RegExp(`\\$0 ${name}\\b`));
  });

  const numberOptions = loaded.flatMap(([name, c]) =>
    Object.entries(c.spec.options).flatMap(([option, o]) => (o.type === 'number' ? [[name, option] as const] : [])),
  );

  it('declares number options (the list below is not empty, so the next test really runs)', () => {
    expect(numberOptions.map(([n, o]) => `${n} --${o}`)).toEqual(expect.arrayContaining(['deploy --timeout', 'rollback --timeout', 'push --retries', 'devcluster --port']));
  });

  it.each(numberOptions)('bbm %s --%s abc: exit 2 naming the flag, before anything runs', (name, option) => {
    const c = loaded.find(([n]) => n === name)![1];
    const r = run([name, ...required(c), `--${option}=abc`]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bbm: error: --${option} needs a number`, 'm'));
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a bad number from the environment names the variable', () => {
    const r = run(['rollback', '--app-id', '/a'], { BBM_TIMEOUT: '10s' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('BBM_TIMEOUT="10s" is not a number');
  });

  it.each([
    [{ positive: 'seconds' }, [1, 0.5, 600], [0, -1, Number.NaN, Infinity]],
    [{ nonNegative: 'ms' }, [0, 20, 0.5], [-1, -0.5, Number.NaN]],
    [{ port: true }, [1, 80, 65535], [0, 65536, 8.5, -80, Number.NaN]],
    [{ port: true, allowZero: true }, [0, 65535], [-1, 65536, 1.5]],
    [{ whole: [0, 20] }, [0, 4, 20], [-1, 21, 2.5, Number.NaN]],
  ] as [NumberRule, number[], number[]][])('%j accepts %j and refuses %j', (rule, good, bad) => {
    for (const v of good) expect(numberProblem('--x', v, rule)).toBeUndefined();
    for (const v of bad) expect(numberProblem('--x', v, rule)).toMatch(/^--x /);
  });
});

describe('only the chosen command is loaded', () => {
  // The shipped entry (scripts/build-cli.mjs): dist/cli.js, one file per command in dist/bbm/,
  // yargs in dist/bbm/cli-yargs.js, and the shared dist/bbm/errors.js and cli-context.js.
  const preload = ['--import', path.resolve(import.meta.dirname, '../support/loaded-esm.mjs')];
  const modulesOf = (args: string[], list: string) => {
    const r = run(args, { BBM_TEST_LOADED_ESM: list }, preload);
    const urls = readFileSync(list, 'utf8').split('\n');
    // The probe works: the entry itself is in the list.
    expect(urls.some((u) => u.endsWith('/dist/cli.js'))).toBe(true);
    const parts = urls.flatMap((u) => /\/dist\/bbm\/([a-z-]+)\.js$/.exec(u)?.[1] ?? []);
    return { r, urls, commands: parts.filter((p) => names.includes(p)), yargs: parts.includes('cli-yargs') || urls.some((u) => u.includes('/node_modules/yargs')) };
  };

  it('bbm tag loads only the tag command, and not yargs (a plain line takes the fast path)', () => {
    const { r, urls, commands, yargs } = modulesOf(['tag', '--project', 'p', '--build-number', '1', '--branch', 'b', '--cwd', path.join(dir, 'no-such-checkout')], path.join(dir, 'tag.txt'));
    expect(r.status).not.toBe(0);
    expect(new Set(commands)).toEqual(new Set(['tag']));
    expect(yargs).toBe(false);
    expect(urls.filter((u) => u.includes('/node_modules/'))).toEqual([]);
  });

  it('bbm rollback with a line the fast path leaves to yargs: the rollback command and yargs', () => {
    const { r, commands, yargs } = modulesOf(['rollback', '--app-id', '/a', '--timeout', '-1'], path.join(dir, 'rollback.txt'));
    expect(r.status).toBe(2);
    expect(new Set(commands)).toEqual(new Set(['rollback']));
    expect(yargs).toBe(true);
  });

  it('bbm --version loads no command and not yargs', () => {
    const { r, commands, yargs } = modulesOf(['--version'], path.join(dir, 'version.txt'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')).version}\n`);
    expect(commands).toEqual([]);
    expect(yargs).toBe(false);
  });

  it('bbm --help lists every command', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const name of names) expect(r.stdout).toMatch(new RegExp(`^ {2}bbm ${name} `, 'm'));
  });
});
