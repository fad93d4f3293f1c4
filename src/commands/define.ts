/**
 * How every `bbm` command is declared. One file per command in this folder, in this shape:
 *
 *   export const fooCommand = defineCommand<FooArgs>({
 *     name: 'foo',
 *     describe: 'One line for `bbm --help`',
 *     options: {
 *       ...marathonOptions,                                   // shared groups are plain objects too
 *       out: { type: 'string', demandOption: true, describe: 'file to write' },
 *       timeout: { type: 'number', default: 600, valid: { positive: 'seconds' }, describe: 'seconds to wait' },
 *     },
 *     examples: [['$0 foo --out x.cfg', 'what this example does']],
 *     run: async (argv) => {
 *       const { runFoo } = await import('../foo/run.js');      // the library is imported here, never at the top
 *       await runFoo({ out: argv.out }, (await import('../cli-context.js')).cliContext());
 *     },
 *   });
 *
 * and one line in ./index.ts. What the shape gives every command:
 * - `[env: BBM_<OPTION>]` in `--help` for each option (env-options.ts reads them);
 * - at least one `.example()` line (the type demands it);
 * - every number option carries a `valid` rule (the type demands it), checked before `run`, so a NaN,
 *   negative or fractional value is exit 2 naming the flag, never a hang or a crash later;
 * - `run` imports the code it needs, and cli.ts imports only the chosen command's module, so a
 *   command starts with nothing of the others loaded (`bbm tag` never loads ts-morph or dockerode).
 * Checks that involve several options or the library's own rules stay in the library.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { InterruptedError, UsageError } from '../errors.js';
import { runStopped, runWaits } from '../cli-context.js';
import { formatTiming } from '../timing.js';
import { envName } from './env-options.js';

/** What a number option accepts. */
export type NumberRule =
  /** > 0, e.g. a timeout; the unit is named in the message */
  | { positive: string }
  /** ≥ 0 */
  | { nonNegative: string }
  /** a TCP port 1-65535; `allowZero` for "any free port" */
  | { port: true; allowZero?: boolean }
  /** a whole number from min to max */
  | { whole: readonly [number, number] };

type Base = Omit<Options, 'type' | 'describe' | 'description' | 'desc'> & { describe: string };
export type OptionSpec =
  | (Base & { type: 'string' | 'boolean' })
  | (Base & { type?: undefined; choices: readonly string[] })
  | (Base & { type: 'number'; valid: NumberRule });

export interface CommandSpec<A> {
  name: string;
  describe: string;
  options: Record<string, OptionSpec>;
  /** `[command line, what it does]`; `$0` is `bbm`. */
  examples: readonly [readonly [string, string], ...(readonly [string, string])[]];
  run(argv: A): Promise<void>;
  /**
   * A build step's command: its last stderr line says where its time went (src/timing.ts), after
   * it succeeded or failed (not after bad usage or a stop).
   */
  timed?: boolean;
}

function ruleText(rule: NumberRule): string {
  if ('positive' in rule) return `${rule.positive}, more than 0`;
  if ('nonNegative' in rule) return `${rule.nonNegative}, 0 or more`;
  if ('port' in rule) return `a port, ${rule.allowZero ? 0 : 1}-65535`;
  return `a whole number from ${rule.whole[0]} to ${rule.whole[1]}`;
}

/** Why the value breaks the rule, or undefined when it is fine. */
export function numberProblem(flag: string, value: unknown, rule: NumberRule): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${flag} needs a number (${ruleText(rule)})`;
  const v = value;
  if ('positive' in rule) return v > 0 ? undefined : `${flag} ${v} must be a positive number of ${rule.positive}`;
  if ('nonNegative' in rule) return v >= 0 ? undefined : `${flag} ${v} must be ≥ 0 ${rule.nonNegative}`;
  if ('port' in rule) {
    const low = rule.allowZero ? 0 : 1;
    return Number.isInteger(v) && v >= low && v <= 65535 ? undefined : `${flag} ${v} is not a port (a whole number ${low}-65535${rule.allowZero ? ', 0 = any free port' : ''})`;
  }
  const [min, max] = rule.whole;
  return Number.isInteger(v) && v >= min && v <= max ? undefined : `${flag} ${v} must be a whole number from ${min} to ${max}`;
}

/** A yargs command module that also keeps its declaration (tests read the options from it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DefinedCommand = CommandModule<any, any> & { spec: CommandSpec<any> };

export function defineCommand<A>(spec: CommandSpec<A>): DefinedCommand {
  return {
    spec,
    command: spec.name,
    describe: spec.describe,
    builder: (y: Argv) => {
      let b = y;
      for (const [name, option] of Object.entries(spec.options)) {
        const { valid: _valid, ...yargsOption } = option as OptionSpec & { valid?: NumberRule };
        b = b.option(name, { ...yargsOption, describe: `${option.describe} [env: ${envName(name)}]` } as Options);
      }
      for (const [command, what] of spec.examples) b = b.example(command, what);
      return b as never;
    },
    handler: async (argv: Record<string, unknown>) => {
      const problems: string[] = [];
      for (const [name, option] of Object.entries(spec.options)) {
        const value = argv[name];
        // yargs collects a repeated option into a list; only `array` options take one
        if (Array.isArray(value) && !option.array) {
          problems.push(`--${name} is given ${value.length} times; give it once`);
          continue;
        }
        if (option.type !== 'number' || value === undefined) continue;
        const problem = numberProblem(`--${name}`, value, option.valid);
        if (problem) problems.push(problem);
      }
      if (problems.length) throw new UsageError(problems.join('\n'), { hint: `see \`bbm ${spec.name} --help\`` });
      if (!spec.timed) return spec.run(argv as A);
      const tell = () => process.stderr.write(`${formatTiming(runWaits().timing(spec.name, performance.now()))}\n`);
      try {
        await spec.run(argv as A);
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof InterruptedError || runStopped())) tell();
        throw error;
      }
      tell();
    },
  };
}
