/** `bbm endpoints`: every app's service ports with the host:port of its running tasks. */
import type { RunContext } from '../context.js';
import { untilStopped } from '../stopping.js';
import { makeClient, type MarathonConnection } from '../marathon/connection.js';
import { buildEndpoints, endpointsJson, formatEndpointLines } from './model.js';

export interface EndpointsOptions {
  marathon: MarathonConnection;
  json: boolean;
  /** Only tasks that are running and healthy (what HAProxy would route to). */
  healthyOnly: boolean;
  /** Bounds the whole command, retries included (default 60 s). */
  timeoutSeconds?: number;
}

export async function runEndpoints(o: EndpointsOptions, ctx: RunContext): Promise<void> {
  const client = await makeClient(o.marathon, ctx, { announce: false, deadline: Date.now() + (o.timeoutSeconds ?? 60) * 1000 });
  try {
    // JSON with embedded tasks: Marathon 1.10 turns text/plain /v2/tasks off by default. Read first,
    // print after: a stop prints nothing (endpoints changes nothing).
    const apps = await untilStopped(ctx.signal, () => `nothing printed; bbm endpoints only reads the apps of ${client.url}, nothing was changed`, () => client.getApps({ embed: ['apps.tasks'] }));
    let endpoints = buildEndpoints(apps);
    if (o.healthyOnly) endpoints = endpoints.map((e) => ({ ...e, addresses: e.addresses.filter((a) => a.healthy) }));
    if (o.json) ctx.stdout(JSON.stringify(endpointsJson(endpoints), null, 2));
    else for (const line of formatEndpointLines(endpoints)) ctx.stdout(line);
  } finally {
    await client.close();
  }
}
