/**
 * When HAProxy refuses a rendered configuration, which apps are to blame: the apps whose part of
 * the configuration HAProxy refuses on its own, found by halving (about 2·k·log2(n) checks for k
 * culprits among n apps). Pure: `accepts` runs the check (the bridge gives it `haproxy -c`).
 */
import type { Service } from './services.js';

/**
 * The app ids to leave out, [] when every app is accepted on its own (the refusal comes from apps
 * together), or undefined when even no app at all is refused (the skeleton or options are at fault).
 */
export async function findRefusedApps(services: readonly Service[], accepts: (subset: readonly Service[]) => Promise<boolean>): Promise<string[] | undefined> {
  if (!(await accepts([]))) return undefined;
  const apps = [...new Set(services.map((s) => s.appId))];
  const refused: string[] = [];
  const search = async (group: string[]): Promise<void> => {
    if (group.length === 0) return;
    if (await accepts(services.filter((s) => group.includes(s.appId)))) return;
    if (group.length === 1) {
      refused.push(group[0]!);
      return;
    }
    const half = group.length >> 1;
    await search(group.slice(0, half));
    await search(group.slice(half));
  };
  await search(apps);
  return refused;
}
