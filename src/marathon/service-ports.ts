/**
 * An app's service ports, Marathon's rule (mesosphere/marathon
 * src/main/scala/mesosphere/marathon/state/AppDefinition.scala, `servicePorts`): the container's
 * port mappings when it has any, its port definitions otherwise. Marathon's normalizer drops port
 * mappings under host networking and port definitions under bridge/container networking
 * (api/v2/AppNormalization.scala), so for a stored app this is also "by network mode".
 */

export interface ServicePort {
  servicePort: number;
  protocol: string;
}

interface PortMappingView {
  servicePort?: number | undefined;
  protocol?: string | undefined;
}

/** The parts of an app (as Marathon returns it, or as devcluster stores it) that carry ports. */
export interface PortsView {
  container?: { portMappings?: readonly PortMappingView[] | undefined; docker?: unknown } | null | undefined;
  portDefinitions?: readonly { port: number; protocol?: string | undefined }[] | undefined;
  tasks?: readonly { servicePorts?: number[] | undefined }[] | undefined;
}

/** The service ports in index order (the `{n}` of HAPROXY_{n}_* labels and of $PORTn). */
export function servicePortsOf(app: PortsView): ServicePort[] {
  // the pre-1.5 container.docker.portMappings, in case a definition was never normalised
  const legacy = (app.container?.docker as { portMappings?: readonly PortMappingView[] } | null | undefined)?.portMappings;
  const mappings = app.container?.portMappings ?? legacy;
  if (mappings && mappings.length > 0) return mappings.map((m) => ({ servicePort: m.servicePort ?? 0, protocol: m.protocol ?? 'tcp' }));
  if (app.portDefinitions && app.portDefinitions.length > 0) return app.portDefinitions.map((d) => ({ servicePort: d.port, protocol: d.protocol ?? 'tcp' }));
  // An app seen through a client that dropped the definition: fall back on what its tasks say.
  const fromTask = app.tasks?.find((t) => Array.isArray(t.servicePorts) && t.servicePorts.length > 0);
  return (fromTask?.servicePorts ?? []).map((p) => ({ servicePort: p, protocol: 'tcp' }));
}
