/**
 * Service port assignment, as Marathon's AssignDynamicServiceLogic.assignPorts does it
 * (mesosphere/marathon src/main/scala/mesosphere/marathon/core/group/impl/AssignDynamicServiceLogic.scala):
 * each `0` gets, in order, first one of the app's previous service ports that lies in the service
 * port range and is not named by the new definition, then the lowest port of the range that no
 * app uses. So a definition re-sent with `0` keeps the port it was given, and is no upgrade; a
 * previous port outside the range (given explicitly once) is not reused: the new port makes the
 * definition differ, an upgrade that restarts the tasks (AppDefinition.isUpgrade). Pure.
 */
export class ServicePortsExhausted extends Error {
  constructor(readonly range: [number, number]) {
    super(`no free service port left in ${range[0]}-${range[1]}`);
  }
}

/**
 * @param wanted the new definition's service ports (0 = assign)
 * @param previous the app's current service ports ([] for a new app)
 * @param used every service port of every app, before and after (this app's previous ones included)
 */
export function assignServicePorts(wanted: number[], previous: number[], used: ReadonlySet<number>, range: [number, number]): number[] {
  const [lo, hi] = range;
  const reusable = previous.filter((p) => p >= lo && p <= hi && !wanted.includes(p));
  const taken = new Set(used);
  let next = lo;
  const fresh = (): number => {
    while (next <= hi && taken.has(next)) next++;
    if (next > hi) throw new ServicePortsExhausted(range);
    taken.add(next);
    return next;
  };
  return wanted.map((p) => (p !== 0 ? p : (reusable.shift() ?? fresh())));
}
