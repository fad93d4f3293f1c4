/** Pure: the labels and build args of `bbm build`, from options, git facts and the environment. */
import { UsageError } from '../errors.js';
import { withoutUrlCredentials } from '../url-credentials.js';

export const LABEL_BUILD_NUMBER = 'buildbot-marathon.build-number';
export const LABEL_BRANCH = 'buildbot-marathon.branch';

export interface LabelFacts {
  revision?: string | undefined;
  version?: string | undefined;
  source?: string | undefined;
  created?: string | undefined;
  buildNumber?: string | undefined;
  branch?: string | undefined;
}

/** Standard OCI labels plus build number and branch; user labels (`K=V`) win over them. */
export function composeLabels(facts: LabelFacts, userLabels: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') labels[k] = v;
  };
  set('org.opencontainers.image.revision', facts.revision);
  set('org.opencontainers.image.version', facts.version);
  set('org.opencontainers.image.source', facts.source);
  set('org.opencontainers.image.created', facts.created);
  set(LABEL_BUILD_NUMBER, facts.buildNumber);
  set(LABEL_BRANCH, facts.branch);
  for (const [k, v] of parsePairs(userLabels, '--label', () => '')) labels[k] = v;
  // Whatever gave it (git origin, --source, --label), the source label never carries credentials.
  const source = labels['org.opencontainers.image.source'];
  if (source !== undefined) labels['org.opencontainers.image.source'] = withoutUrlCredentials(source);
  return labels;
}

/**
 * `K=V` pairs; a bare `K` takes its value from `lookup(K)` (for build args: the environment, as
 * `docker build --build-arg K` does, so a secret never has to be written in argv). A bare K
 * without a value is skipped and reported through `missing`.
 */
export function parsePairs(
  items: readonly string[],
  flag: string,
  lookup: (key: string) => string | undefined,
  missing: (key: string) => void = () => {},
): [string, string][] {
  const pairs: [string, string][] = [];
  const problems: string[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq >= 0 ? item.slice(0, eq) : item;
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      // The value is not echoed: it may be a secret.
      problems.push(`${flag} ${JSON.stringify(key.slice(0, 60))}: the name must start with a letter or _ and hold only letters, digits, _ . -`);
      continue;
    }
    if (eq >= 0) {
      pairs.push([key, item.slice(eq + 1)]);
      continue;
    }
    const value = lookup(key);
    if (value === undefined) missing(key);
    else pairs.push([key, value]);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'), { hint: `write ${flag} NAME=VALUE (or ${flag} NAME to take the value from the environment)` });
  return pairs;
}

/** The OCI `created` time: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
export function createdTime(env: Readonly<Record<string, string | undefined>>, now = new Date()): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z');
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
