/** `bbm deploy`'s per-environment flags → EnvironmentOverrides, each checked with the flag named. */
import { UsageError } from '../errors.js';
import { normalizeAppId } from '../marathon/app-id.js';
import type { EnvironmentOverrides } from './plan.js';

export interface OverrideArgs {
  'app-id'?: string;
  instances?: number;
  cpus?: number;
  mem?: number;
  disk?: number;
  label?: string[];
}

export function parseOverrides(argv: OverrideArgs): EnvironmentOverrides {
  const o: EnvironmentOverrides = {};
  if (argv['app-id'] !== undefined) o.appId = normalizeAppId(argv['app-id'], '--app-id');
  const num = (flag: 'instances' | 'cpus' | 'mem' | 'disk', integer: boolean) => {
    const v = argv[flag];
    if (v === undefined) return;
    if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v)))
      throw new UsageError(`--${flag} ${String(v)}: must be ${integer ? 'a whole number' : 'a number'} >= 0`);
    o[flag] = v;
  };
  num('instances', true);
  num('cpus', false);
  num('mem', false);
  num('disk', false);
  if (argv.label?.length) {
    o.labels = {};
    for (const kv of argv.label) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`--label ${JSON.stringify(kv)}: write KEY=VALUE`);
      o.labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return o;
}
