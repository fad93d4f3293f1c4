/**
 * Environments: what the worker hands its steps, and what a step's `env` makes of it.
 *
 * Buildbot prints a step's whole environment at the top of its log and sends the worker's to the
 * master (`environ` in the worker info), so the worker never passes its own environment on: steps get
 * a few known variables, `BBM_STEP_<X>` renamed to `BBM_<X>`, and the names given with `--pass-env`.
 * Names that look like secrets are refused: secrets reach steps through Buildbot's `util.Secret`.
 */
import { UsageError } from '../errors.js';

export type Env = Record<string, string>;

const KEPT = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];
const SECRET_WORDS = ['PASSWORD', 'PASSWD', 'TOKEN', 'SECRET', 'CREDENTIAL', 'PRIVATE_KEY', 'API_KEY'];

export function looksSecret(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_WORDS.some((w) => upper.includes(w));
}

/** The environment every step starts from (and the one the master is told about). */
export function stepBaseEnv(processEnv: Readonly<Record<string, string | undefined>>, passEnv: readonly string[] = []): Env {
  const env: Env = {};
  for (const name of KEPT) {
    const v = processEnv[name];
    if (v !== undefined) env[name] = v;
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const name of passEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--pass-env ${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`);
    if (looksSecret(name)) throw new UsageError(`--pass-env ${name}: refusing a variable whose name looks secret`, { hint: 'hand secrets to steps with util.Secret in master.cfg' });
    const v = processEnv[name];
    if (v !== undefined) env[name] = v;
  }
  for (const [name, v] of Object.entries(processEnv)) {
    if (!name.startsWith('BBM_STEP_') || name.length === 'BBM_STEP_'.length || v === undefined) continue;
    if (looksSecret(name)) throw new UsageError(`${name}: refusing a variable whose name looks secret`, { hint: 'hand secrets to steps with util.Secret in master.cfg' });
    env[`BBM_${name.slice('BBM_STEP_'.length)}`] = v;
  }
  return env;
}

/**
 * A step's environment from the base and the step's `env` argument, with buildbot-worker's rules
 * (runprocess.py): a list value is joined with `:`; `null` removes the variable; `${NAME}` is
 * replaced by the base's NAME (empty when unset); PYTHONPATH keeps the base's PYTHONPATH after it.
 */
export function stepEnv(base: Env, overrides: Record<string, unknown> | null | undefined): Env {
  if (!overrides || Object.keys(overrides).length === 0) return { ...base };
  const wanted: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null || value === undefined) wanted[name] = null;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) wanted[name] = value.join(':');
    else if (typeof value === 'string') wanted[name] = value;
    else throw new Error(`'env' values must be strings or lists; key '${name}' is incorrect`);
  }
  if (typeof wanted.PYTHONPATH === 'string') wanted.PYTHONPATH += ':${PYTHONPATH}';
  const env: Env = {};
  for (const [name, v] of Object.entries(base)) if (wanted[name] !== null) env[name] = v;
  for (const [name, v] of Object.entries(wanted)) {
    if (v !== null) env[name] = v.replace(/\$\{([0-9a-zA-Z_]*)\}/g, (_, ref: string) => base[ref] ?? '');
  }
  return env;
}
