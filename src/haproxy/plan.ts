/**
 * Pure: what it takes to move the running HAProxy from one rendered config to the next.
 * Same text → nothing. Same skeleton → runtime API commands on the changed slots (no reload,
 * no new worker, established connections untouched). Anything else → a reload.
 */
import type { Rendered } from './render.js';

export type ApplyPlan =
  | { kind: 'none' }
  | { kind: 'runtime'; commands: string[] }
  | { kind: 'reload'; reason: string };

function splitKey(key: string): { addr: string; port: string } {
  const bare = key.startsWith('ipv6@') ? key.slice(5) : key;
  const i = bare.lastIndexOf(':');
  return { addr: bare.slice(0, i), port: bare.slice(i + 1) };
}

/**
 * The runtime commands that move one backend's slots from `before` to `after`: `enable` (fill or
 * re-address a slot, then ready it) and `disable` (empty a slot). Apply every `enable` before any
 * `disable`, so capacity never dips below what is healthy.
 */
export function slotCommands(backend: string, before: readonly (string | null)[], after: readonly (string | null)[], into = { enable: [] as string[], disable: [] as string[] }): { enable: string[]; disable: string[] } {
  after.forEach((key, i) => {
    const was = before[i] ?? null;
    if (key === was) return;
    const server = `${backend}/s${i + 1}`;
    if (key === null) {
      into.disable.push(`set server ${server} state maint`);
    } else {
      const { addr, port } = splitKey(key);
      if (was !== null) into.enable.push(`set server ${server} state maint`);
      into.enable.push(`set server ${server} addr ${addr} port ${port}`, `set server ${server} state ready`);
    }
  });
  return into;
}

export function planApply(previous: Rendered | undefined, next: Rendered): ApplyPlan {
  if (!previous) return { kind: 'reload', reason: 'first configuration' };
  if (previous.text === next.text) return { kind: 'none' };
  if (previous.skeleton !== next.skeleton) return { kind: 'reload', reason: 'frontends, backends or slot counts changed' };
  const into = { enable: [] as string[], disable: [] as string[] };
  for (const [backend, slots] of next.slots) slotCommands(backend, previous.slots.get(backend) ?? [], slots, into);
  // New servers first, then the removed ones: capacity never dips below what is healthy.
  return { kind: 'runtime', commands: [...into.enable, ...into.disable] };
}
