/**
 * One live engine per cluster name on a Docker engine. The engine that holds a name keeps a small
 * labelled Docker volume `bbm-devcluster-<name>` (its state id, URL, state folder, pid, host); a
 * second engine that finds it asks that URL whether the engine is still there (GET /v2/info
 * answering with the same state id) and refuses to start if it is, naming it. A volume left by an
 * engine that is gone (killed, or its machine restarted) is taken over.
 *
 * A volume rather than a file: engines in different containers (the compose stack, a laptop
 * shell) share only the Docker engine. A volume holds no network and no subnet, and its name is
 * unique, so two engines starting at once cannot both win.
 */
import os from 'node:os';
import { UsageError } from '../errors.js';
import type { DockerRuntime } from './docker.js';
import { LABEL_CLUSTER, LABEL_ENGINE, LABEL_STATE } from './docker.js';

const LABEL_STATE_DIR = 'bbm.devcluster.state-dir';
const LABEL_PID = 'bbm.devcluster.pid';
const LABEL_HOSTNAME = 'bbm.devcluster.hostname';

export function presenceVolume(name: string): string {
  return `bbm-devcluster-${name}`;
}

export interface Holder {
  name: string;
  stateId: string;
  url: string;
  stateDir: string;
}

/** Whether an engine with this state id answers at url (401 counts: an engine behind --auth-file). */
export async function engineAnswers(url: string, stateId: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/v2/info`, { signal: AbortSignal.timeout(3000), headers: { accept: 'application/json' } });
    if (r.status === 401) return /mesosphere/i.test(r.headers.get('www-authenticate') ?? '');
    if (r.status !== 200) return false;
    const info = (await r.json()) as { marathon_config?: { bbm_devcluster_state?: unknown } };
    return info.marathon_config?.bbm_devcluster_state === stateId;
  } catch {
    return false;
  }
}

function describeHolder(l: Record<string, string>): string {
  return `${l[LABEL_ENGINE] ?? '?'} (state folder ${l[LABEL_STATE_DIR] ?? '?'}, pid ${l[LABEL_PID] ?? '?'} on ${l[LABEL_HOSTNAME] ?? '?'})`;
}

/** Takes the cluster name for this engine, or throws naming the live engine that holds it. */
export async function claimPresence(runtime: DockerRuntime, me: Holder, answers = engineAnswers): Promise<void> {
  const volume = presenceVolume(me.name);
  const mine: Record<string, string> = {
    [LABEL_CLUSTER]: me.name,
    [LABEL_STATE]: me.stateId,
    [LABEL_ENGINE]: me.url,
    [LABEL_STATE_DIR]: me.stateDir,
    [LABEL_PID]: String(process.pid),
    [LABEL_HOSTNAME]: os.hostname(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const held = await runtime.volumeLabels(volume);
    if (held && held[LABEL_ENGINE] === me.url && held[LABEL_STATE] === me.stateId && held[LABEL_PID] === String(process.pid)) return;
    if (held) {
      const stateId = held[LABEL_STATE] ?? '';
      if (held[LABEL_ENGINE] && (await answers(held[LABEL_ENGINE], stateId))) {
        const same = stateId === me.stateId;
        throw new UsageError(
          same
            ? `another bbm devcluster already runs on this state folder: ${describeHolder(held)}`
            : `another bbm devcluster already runs cluster name "${me.name}": ${describeHolder(held)}`,
          { hint: same ? 'stop it first; two engines must not share a state folder' : 'stop it, or give this engine another --name (each name labels its own containers)' },
        );
      }
      await runtime.removeVolume(volume);
    }
    await runtime.createVolume(volume, mine);
    const back = await runtime.volumeLabels(volume);
    if (back?.[LABEL_STATE] === me.stateId && back[LABEL_ENGINE] === me.url) return;
    // another engine created it between our look and our create: look again
  }
  throw new UsageError(`could not take the cluster name "${me.name}": another engine keeps claiming it`, { hint: 'give this engine another --name' });
}

/** Gives the name up on a clean stop (only if this engine still holds it). */
export async function releasePresence(runtime: DockerRuntime, name: string, stateId: string): Promise<void> {
  const volume = presenceVolume(name);
  const held = await runtime.volumeLabels(volume);
  if (held?.[LABEL_STATE] === stateId && held[LABEL_PID] === String(process.pid)) await runtime.removeVolume(volume);
}
