/**
 * The fast path of the command line (pure): a plain, well-formed call of one command — its name
 * first, then only its own declared options as `--name value`, `--name=value`, `--flag` or
 * `--no-flag` — is read straight from the declaration (define.ts), without loading yargs. Every
 * other command line (help, version, an unknown or repeated option, a short flag, a positional, a
 * missing required option, a value yargs would read differently) returns undefined, and cli.ts
 * hands it to yargs, which says what is wrong exactly as before. So this may only ever accept
 * less, never read an accepted line differently: test/unit/fast-parse.test.ts compares both
 * parsers on the same lines.
 *
 * Why: yargs' module graph and its parse are most of a step's start-up (`bbm tag` runs four to
 * five times per build); see docs/performance.md.
 */
import type { CommandSpec, OptionSpec } from './define.js';
import { applyEnvOptions } from './env-options.js';

type Args = Record<string, unknown>;

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** Numbers as yargs reads them, limited to the plain forms (anything else goes to yargs). */
const PLAIN_NUMBER = /^(0|[1-9]\d{0,14})(\.\d+)?$/;
/** Option keys the fast path understands; any other key in a declaration sends it to yargs. */
const KNOWN_KEYS = new Set(['type', 'describe', 'demandOption', 'default', 'choices', 'array', 'alias', 'valid']);

function simpleSpec(option: OptionSpec): boolean {
  if (!Object.keys(option).every((k) => KNOWN_KEYS.has(k))) return false;
  const o = option as OptionSpec & { array?: boolean; alias?: unknown };
  if (o.array && o.type !== 'string') return false;
  if (o.alias !== undefined && typeof o.alias !== 'string') return false;
  return typeof o.demandOption !== 'string';
}

/** The parsed arguments as yargs would give them to the handler, or undefined: let yargs parse. */
export function fastParse(spec: CommandSpec<unknown>, argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Args | undefined {
  if (argv[0] !== spec.name) return undefined;
  const options = spec.options;
  const byFlag = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) {
    if (!simpleSpec(option)) return undefined;
    byFlag.set(name, name);
    const alias = (option as { alias?: string }).alias;
    if (alias !== undefined) byFlag.set(alias, name);
  }
  const given = new Map<string, unknown>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') return undefined;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let name = byFlag.get(flag);
    let negated = false;
    if (name === undefined && flag.startsWith('no-') && eq === -1) {
      name = byFlag.get(flag.slice(3));
      negated = true;
    }
    if (name === undefined) return undefined;
    const option = options[name]!;
    const isArray = (option as { array?: boolean }).array === true;
    if (given.has(name) && !isArray) return undefined; // yargs makes a repeated option an array
    if (option.type === 'boolean') {
      if (eq !== -1) return undefined;
      if (!negated && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) return undefined;
      given.set(name, !negated);
      continue;
    }
    if (negated) return undefined;
    let raw: string;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined;
      raw = next;
      i++;
    }
    let value: unknown = raw;
    if (option.type === 'number') {
      if (!PLAIN_NUMBER.test(raw)) return undefined;
      value = Number(raw);
    } else if (raw === '' || (option.type === undefined && !option.choices.includes(raw))) return undefined;
    if (isArray) {
      // An array option takes every following plain word: stop the fast path there.
      if (eq === -1 && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) return undefined;
      given.set(name, [...((given.get(name) as unknown[] | undefined) ?? []), value]);
    } else given.set(name, value);
  }

  const args: Args = { _: [], $0: 'bbm' };
  const set = (name: string, value: unknown) => {
    for (const key of new Set([name, camel(name), ...(options[name]!.alias !== undefined ? [options[name]!.alias as string] : [])])) args[key] = value;
  };
  for (const [name, value] of given) set(name, value);
  // BBM_<OPTION> variables, by the same code (and with the same errors) as the yargs path.
  const names = Object.keys(options);
  const typed = (t: string) => names.filter((n) => options[n]!.type === t);
  applyEnvOptions(args, {
    key: Object.fromEntries(names.map((n) => [n, true])),
    boolean: typed('boolean'),
    number: typed('number'),
    array: names.filter((n) => (options[n] as { array?: boolean }).array === true),
    alias: Object.fromEntries(names.flatMap((n) => (options[n]!.alias !== undefined ? [[n, [options[n]!.alias as string]]] : []))),
  }, argv, env);
  for (const name of names) {
    const option = options[name]!;
    const value = args[name];
    if (value === undefined) {
      if (option.demandOption) return undefined; // yargs names what is missing
      if (option.default !== undefined) set(name, option.default);
      continue;
    }
    if (given.has(name)) continue;
    // A value from the environment: yargs checks it against choices, and reads '' or an odd number its own way.
    if (option.type === undefined && !option.choices.includes(value as string)) return undefined;
    if (typeof value === 'string' && value === '') return undefined;
  }
  return args;
}
