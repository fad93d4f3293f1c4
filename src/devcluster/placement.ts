/**
 * Whether one more task of an app fits on the devcluster's single "agent", following Marathon's
 * constraint operators (hostname is the advertise host; there are no other agent attributes) and
 * fixed host ports. A task that does not fit is not launched, and its deployment waits, as on
 * Marathon when no offer matches. Pure.
 */
import type { ResolvedApp } from './app.js';
import { isHostNetworking } from './app.js';

export function attributeValue(field: string, host: string): string | undefined {
  return field === 'hostname' || field === '@hostname' ? host : undefined;
}

function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** Host ports a task of this app needs exactly (requirePorts, or a fixed bridge hostPort). */
export function fixedHostPorts(app: ResolvedApp): number[] {
  if (isHostNetworking(app)) return app.requirePorts ? (app.portDefinitions ?? []).map((d) => d.port) : [];
  return (app.container?.portMappings ?? []).map((m) => m.hostPort ?? 0).filter((p) => p !== 0);
}

/** Undefined when one more task fits, otherwise why not. */
export function unplaceableReason(app: ResolvedApp, host: string, tasksOfApp: number, portsInUse: ReadonlySet<number>): string | undefined {
  for (const c of app.constraints ?? []) {
    const [field = '', op, arg] = c;
    const value = attributeValue(field, host);
    const why = `constraint ${JSON.stringify(c)} does not match the only agent (${field}=${value ?? '<absent>'})`;
    switch (op) {
      case 'UNIQUE':
        if (value === undefined || tasksOfApp >= 1) return why;
        break;
      case 'CLUSTER':
        if (value === undefined || (arg !== undefined && arg !== '' && value !== arg)) return why;
        break;
      case 'GROUP_BY':
        if (value === undefined) return why;
        break;
      case 'LIKE':
        if (value === undefined || !fullMatch(arg ?? '', value)) return why;
        break;
      case 'UNLIKE':
        if (value !== undefined && fullMatch(arg ?? '', value)) return why;
        break;
      case 'MAX_PER':
        if (value === undefined || tasksOfApp >= Number(arg)) return why;
        break;
      case 'IS':
        if (value !== arg) return why;
        break;
      case 'IN':
        if (value === undefined || !(arg ?? '').split(',').map((s) => s.trim()).includes(value)) return why;
        break;
    }
  }
  const taken = fixedHostPorts(app).filter((p) => portsInUse.has(p));
  if (taken.length > 0) return `host port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already in use by another task`;
  return undefined;
}
