import { expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { MANY_POLLERS, pollingAdvice } from '../../src/generate.js';
import { baseConfig } from '../support/generate-config.js';

/** n projects, each its own repository unless `shared`, polled unless `webhook`. */
function config(n: number, opts: { pollInterval?: number; webhook?: boolean; shared?: boolean } = {}) {
  const c = baseConfig(Array.from({ length: n }, (_, i) => ({ name: `p${i}`, repo: opts.shared ? 'https://git.example.com/one.git' : `https://git.example.com/p${i}.git`, ...(opts.webhook ? { webhook: 'github' as const } : {}) })));
  return resolveConfig({ ...c, changeSources: { pollInterval: opts.pollInterval ?? 60, ...(opts.webhook ? { github: { secret: 'gh' } } : {}) } });
}

it.each([
  ['a few polled repositories', config(MANY_POLLERS - 1), null],
  ['many polled repositories', config(MANY_POLLERS), new RegExp(`^${MANY_POLLERS} repositories are polled every 60 s: .*webhook`)],
  ['many projects on one repository (one poller)', config(MANY_POLLERS * 2, { shared: true }), null],
  ['many repositories on webhooks', config(MANY_POLLERS * 2, { webhook: true }), null],
  ['polling off', config(MANY_POLLERS * 2, { pollInterval: 0 }), null],
] as const)('%s', (_, resolved, expected) => {
  const advice = pollingAdvice(resolved);
  if (expected === null) expect(advice).toBeNull();
  else expect(advice).toMatch(expected);
});
