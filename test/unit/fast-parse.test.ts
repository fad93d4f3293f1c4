/**
 * The CLI's fast path (src/commands/fast-parse.ts) against yargs: for every command and many command
 * lines, what the fast path accepts must be exactly what yargs would hand the handler, and what it
 * does not accept must be left to yargs (undefined). The lines come from each command's declaration,
 * so a new command or option is covered without touching this file.
 */
import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { commandModules } from '../../src/commands/index.js';
import { applyEnvOptions, envName } from '../../src/commands/env-options.js';
import { fastParse } from '../../src/commands/fast-parse.js';
import type { DefinedCommand, OptionSpec } from '../../src/commands/define.js';

type Env = Record<string, string>;
const names = Object.keys(commandModules);
const loaded: [string, DefinedCommand][] = await Promise.all(names.map(async (n) => [n, await commandModules[n]!()] as [string, DefinedCommand]));

/** What yargs (set up as src/cli-yargs.ts does) passes to the handler, or the error it raises. */
async function viaYargs(command: DefinedCommand, argv: string[], env: Env): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> | undefined;
  await yargs(argv)
    .middleware(((args: Record<string, unknown>, y: unknown) => {
      applyEnvOptions(args, (y as { getOptions(): Parameters<typeof applyEnvOptions>[1] }).getOptions(), argv, env);
    }) as never, true)
    .strict()
    .strictCommands()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .command({ ...command, handler: (a: Record<string, unknown>) => void (seen = a) })
    .help()
    .version('0')
    .parseAsync();
  if (!seen) throw new Error('yargs did not run the handler');
  return seen;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const keysOf = (c: DefinedCommand) =>
  Object.entries(c.spec.options as Record<string, OptionSpec>).flatMap(([n, o]) => [n, camel(n), ...(typeof o.alias === 'string' ? [o.alias] : [])]);
const valueOf = (o: OptionSpec, i = 0): string =>
  o.type === 'number' ? ['5', '0.5', '30'][i % 3]! : o.type === undefined ? o.choices[o.choices.length - 1]! : ['x/y-1.2', '0123', 'true', 'a=b=c', 'ünï code'][i % 5]!;
const required = (c: DefinedCommand) =>
  Object.entries(c.spec.options as Record<string, OptionSpec>).flatMap(([n, o]) => (o.demandOption ? [`--${n}`, valueOf(o)] : []));

/** Lines the fast path should take: [command, argv, env]. Each option once, in turn as `--x v`, `--x=v` or BBM_X. */
const accepted: [string, string[], Env][] = loaded.flatMap(([name, c]) => {
  const base = [name, ...required(c)];
  const lines: [string, string[], Env][] = [[name, base, {}]];
  const all: string[] = [...base];
  let i = 0;
  for (const [option, o] of Object.entries(c.spec.options as Record<string, OptionSpec>)) {
    if (o.demandOption) continue;
    const form = i++ % 3;
    if (o.type === 'boolean') {
      lines.push(form === 2 ? [name, base, { [envName(option)]: 'yes' }] : [name, [...base, form === 0 ? `--${option}` : `--no-${option}`], {}]);
      all.push(`--${option}`);
    } else {
      const v = valueOf(o, i);
      const twice = (o as { array?: boolean }).array ? [`--${option}`, valueOf(o, i + 1)] : [];
      lines.push(form === 0 ? [name, [...base, `--${option}`, v, ...twice], {}] : form === 1 ? [name, [...base, `--${option}=${v}`], {}] : [name, base, { [envName(option)]: v }]);
      all.push(`--${option}`, v);
    }
    if (typeof o.alias === 'string') lines.push([name, [...base, `--${o.alias}`, valueOf(o, i)], {}]);
  }
  lines.push([name, all, {}]);
  return lines;
});

/** Lines the fast path must leave to yargs (which either parses them or says what is wrong). */
const refused: [string, string[], Env][] = loaded.flatMap(([name, c]) => {
  const base = [name, ...required(c)];
  const options = Object.entries(c.spec.options as Record<string, OptionSpec>);
  const lines: [string, string[], Env][] = [
    [name, [...base, '--help'], {}], [name, [...base, '-h'], {}], [name, [...base, '--version'], {}],
    [name, [...base, '--no-such-option', 'x'], {}], [name, [...base, 'positional'], {}], [name, [...base, '--'], {}],
    [name, ['--json', ...base], {}],
  ];
  for (const [option, o] of options) {
    if (o.demandOption) lines.push([name, base.filter((a, i) => a !== `--${option}` && base[i - 1] !== `--${option}`), {}]);
    if (o.type === 'number') lines.push([name, [...base, `--${option}`, 'abc'], {}], [name, [...base, `--${option}=1e3`], {}], [name, [...base, `--${option}`, '-1'], {}]);
    if (o.type === 'boolean') lines.push([name, [...base, `--${option}`, 'false'], {}], [name, [...base, `--${option}=true`], {}]);
    if (o.type === 'string') lines.push([name, [...base, `--${option}`, '-x'], {}], [name, [...base, `--${option}=`], {}]);
    if (o.type === undefined) lines.push([name, [...base, `--${option}`, 'not-a-choice'], {}], [name, base, { [envName(option)]: 'not-a-choice' }]);
    if (!o.demandOption && o.type !== 'boolean' && !(o as { array?: boolean }).array) lines.push([name, [...base, `--${option}`, valueOf(o), `--${option}`, valueOf(o, 1)], {}]);
    if (option.includes('-')) lines.push([name, [...base, `--${camel(option)}`, valueOf(o)], {}]);
  }
  return lines;
});

describe('fast path of the command line', () => {
  it('has lines to check (so the tables below are not empty)', () => {
    expect(accepted.length).toBeGreaterThan(50);
    expect(refused.length).toBeGreaterThan(100);
  });

  it.each(accepted)('bbm %s: %j (env %j) reads as yargs reads it', async (name, argv, env) => {
    const c = loaded.find(([n]) => n === name)![1];
    const fast = fastParse(c.spec, argv, env);
    expect(fast, 'the fast path takes this line').toBeDefined();
    const slow = await viaYargs(c, argv, env);
    for (const key of keysOf(c)) expect(fast![key], key).toEqual(slow[key]);
  });

  it.each(refused)('bbm %s: %j (env %j) is left to yargs', (name, argv, env) => {
    const c = loaded.find(([n]) => n === name)![1];
    expect(fastParse(c.spec, argv, env)).toBeUndefined();
  });

  it('a bad number in the environment is the same usage error on both paths', async () => {
    const c = loaded.find(([n]) => n === 'rollback')![1];
    const argv = ['rollback', '--app-id', '/a'];
    expect(() => fastParse(c.spec, argv, { BBM_TIMEOUT: '10s' })).toThrow('BBM_TIMEOUT="10s" is not a number');
    await expect(viaYargs(c, argv, { BBM_TIMEOUT: '10s' })).rejects.toThrow('BBM_TIMEOUT="10s" is not a number');
  });
});
