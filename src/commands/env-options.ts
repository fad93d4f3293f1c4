/**
 * `BBM_<OPTION>` environment variables for the options of the command being run.
 *
 * Why not yargs' own `.env('BBM')`: it turns EVERY `BBM_*` variable into an argument, and with
 * `.strict()` a variable meant for another command or for a tool (`BBM_REGISTRY_USER`,
 * `BBM_REQUIRE_INTEGRATION`, `BBM_MARATHON_URL` during `bbm push`) becomes "Unknown argument" and
 * the command fails. This middleware runs before validation and fills only options the current
 * command declares and the command line did not give. Precedence: flag > env > default.
 */
import { UsageError } from '../errors.js';

export function envName(option: string): string {
  return `BBM_${option.replace(/-/g, '_').toUpperCase()}`;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

interface ParserOptions {
  key: Record<string, unknown>;
  boolean: string[];
  number: string[];
  array: string[];
  alias: Record<string, string[]>;
}

/** Was `--name` (or an alias, or `--no-name`) given on the command line? */
function given(rawArgs: readonly string[], names: string[]): boolean {
  for (const raw of rawArgs) {
    if (raw === '--') return false;
    for (const n of names) {
      const flag = n.length === 1 ? `-${n}` : `--${n}`;
      if (raw === flag || raw.startsWith(`${flag}=`) || raw === `--no-${n}`) return true;
      if (n.length === 1 && /^-[A-Za-z]+$/.test(raw) && raw.includes(n)) return true;
    }
  }
  return false;
}

export function applyEnvOptions(
  argv: Record<string, unknown>,
  parser: ParserOptions,
  rawArgs: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const key of Object.keys(parser.key)) {
    if (key === 'help' || key === 'version') continue;
    const name = envName(key);
    const value = env[name];
    if (value === undefined) continue;
    const aliases = [key, camel(key), ...(parser.alias[key] ?? [])];
    if (given(rawArgs, aliases)) continue;
    let parsed: unknown = value;
    if (parser.boolean.includes(key)) {
      if (/^(1|true|yes|on)$/i.test(value)) parsed = true;
      else if (/^(0|false|no|off|)$/i.test(value)) parsed = false;
      else throw new UsageError(`${name}=${JSON.stringify(value)} is not a boolean (use 1/0, true/false)`);
    } else if (parser.number.includes(key)) {
      parsed = Number(value);
      if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`${name}=${JSON.stringify(value)} is not a number`);
    }
    if (parser.array.includes(key)) parsed = [parsed];
    for (const a of new Set([key, camel(key), ...(parser.alias[key] ?? [])])) argv[a] = parsed;
  }
}
