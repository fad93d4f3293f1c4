/**
 * Marathon's reference data for the tests that check bodies against it: its v1.7 JSON schema,
 * recorded request/response bodies and the project's seed example. It is not part of the
 * repository: it lives in a `shared/` folder beside it (found by walking up from here) or where
 * BBM_SHARED_DIR points. Like a real component, it is required in CI (BBM_REQUIRE_INTEGRATION=1,
 * see .ci/run) and its absence skips those suites with a message in a plain clone: gate them with
 * `describeWith([components.reference])` and read the data only inside tests or hooks.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const MARKER = ['marathon', 'schema', 'AppDefinition.json'];

function find(): string | undefined {
  const fromEnv = process.env.BBM_SHARED_DIR;
  if (fromEnv) return existsSync(path.join(path.resolve(fromEnv), ...MARKER)) ? path.resolve(fromEnv) : undefined;
  for (let dir = path.resolve(import.meta.dirname, '..', '..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared');
    if (existsSync(path.join(candidate, ...MARKER))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The reference folder, or undefined when this checkout has none. */
export const SHARED_DIR: string | undefined = find();

export const REFERENCE_FIX = 'put the reference data (marathon/schema, marathon/examples, seed/) in a shared/ folder beside the repository, or set BBM_SHARED_DIR';

export function sharedPath(...parts: string[]): string {
  if (SHARED_DIR === undefined)
    throw new Error(`Marathon reference data not found (${REFERENCE_FIX}); gate this test with describeWith([components.reference])`);
  return path.join(SHARED_DIR, ...parts);
}
export const sharedText = (...parts: string[]) => readFileSync(sharedPath(...parts), 'utf8');
export const sharedJson = <T = unknown>(...parts: string[]): T => JSON.parse(sharedText(...parts)) as T;

/**
 * The event types of `marathon/examples/events-stream.wire.constructed.txt`, in order: written out by
 * hand (not parsed from the file) so the parser and the stream tests check against an independent list.
 */
export const RECORDED_WIRE_EVENT_TYPES = [
  'event_stream_attached',
  'api_post_event',
  'group_change_success',
  'deployment_info',
  'status_update_event',
  'instance_changed_event',
  'health_status_changed_event',
  'instance_health_changed_event',
  'deployment_step_success',
  'deployment_success',
] as const;
