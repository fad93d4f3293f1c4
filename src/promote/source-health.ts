/**
 * Whether what runs in a source environment may be promoted: every instance of its current version
 * healthy, no deployment running. Light (no I/O modules), so the web console uses the same rule. Pure.
 */
import { countVersion } from '../marathon/task-health.js';
import type { AppInfo } from '../marathon/types.js';

/** Why what runs in `app` may not be promoted; null when every instance runs the current version healthy. */
export function unhealthyReason(app: AppInfo): string | null {
  if ((app.deployments ?? []).length > 0) return `a deployment is running on it (${(app.deployments ?? []).map((d) => d.id).join(', ')}); promote once it has finished`;
  const c = countVersion(app, app.version);
  if (c.instances === 0) return 'it is scaled to 0 instances';
  if (c.healthy < c.instances || c.old > 0)
    return `${c.healthy} of ${c.instances} instances of its current version are healthy${c.old ? ` (${c.old} tasks of older versions)` : ''}`;
  return null;
}
