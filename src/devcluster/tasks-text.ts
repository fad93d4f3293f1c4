/**
 * text/plain /v2/tasks exactly as Marathon 1.10 renders it (EndpointsHelper.appsToEndpointString):
 * one line per service port of every app, every field followed by a TAB, apps without service
 * ports as `id TAB space TAB host TAB …`. Pure.
 */
import { safeAppId } from './ids.js';

export interface EndpointApp {
  id: string;
  servicePorts: number[];
  tasks: { host: string; ports: number[] }[];
}

export function endpointsText(apps: EndpointApp[]): string {
  let out = '';
  for (const app of apps) {
    const name = safeAppId(app.id);
    if (app.servicePorts.length === 0) {
      out += [name, ' ', ...app.tasks.map((t) => t.host)].map((f) => `${f}\t`).join('') + '\n';
      continue;
    }
    app.servicePorts.forEach((servicePort, i) => {
      const addresses = app.tasks.flatMap((t) => (t.ports[i] === undefined ? [] : [`${t.host}:${t.ports[i]}`]));
      out += [name, String(servicePort), ...addresses].map((f) => `${f}\t`).join('') + '\n';
    });
  }
  return out;
}
