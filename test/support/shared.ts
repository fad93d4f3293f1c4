/**
 * Where `shared/` (Marathon's schema, recorded bodies, the seed) lives: beside the repository
 * (`../shared` from /work/main), found by walking up from here, or BBM_SHARED_DIR.
 * Missing shared data is an error, never a skip: these tests are what checks bodies against it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function find(): string {
  const fromEnv = process.env.BBM_SHARED_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  for (let dir = path.resolve(import.meta.dirname, '..', '..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared');
    if (existsSync(path.join(candidate, 'marathon', 'API-NOTES.md'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error('cannot find shared/marathon (looked in every parent folder); set BBM_SHARED_DIR');
}

export const SHARED_DIR = find();
export const sharedPath = (...parts: string[]) => path.join(SHARED_DIR, ...parts);
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
