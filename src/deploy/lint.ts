/**
 * Lint of an app definition before it is sent: the problems Marathon would reject, silently drop,
 * or hang on. Each rule names the mesosphere/marathon source (tag v1.10.26) it follows. Pure. Each finding has a stable code (tests and docs use
 * them), a Marathon-style path and a fix. Severity `error` always stops a deploy; `warning` stops it
 * under --strict; `info` never does.
 */
import { appIdProblems, suggestAppId } from '../marathon/app-id.js';
import { servicePortsOf } from '../marathon/service-ports.js';
import type { AppDefinition, HealthCheck } from '../marathon/types.js';
import { marathonPath } from './json-source.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  path: string;
  message: string;
  hint?: string;
}

const MARATHON_LEVEL_CHECKS = new Set(['HTTP', 'HTTPS', 'TCP']);
const SHORT_GRACE_SECONDS = 30;

export function lintApp(def: AppDefinition): Finding[] {
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);

  // the id: state/PathId.scala
  if (typeof def.id !== 'string') add({ code: 'id-missing', severity: 'error', path: '/id', message: 'the definition has no string "id"' });
  else {
    const id = def.id.startsWith('/') ? def.id : `/${def.id}`;
    const problems = appIdProblems(id);
    if (problems.length) {
      const fixed = suggestAppId(def.id);
      add({
        code: 'id-invalid',
        severity: 'error',
        path: '/id',
        message: `${JSON.stringify(def.id)} is not a valid Marathon app id: ${problems.join('; ')}`,
        hint: fixed ? `use "id": ${JSON.stringify(fixed)}` : 'ids are lowercase letters, digits, "-" and ".", segments separated by "/"',
      });
    }
  }

  // the pre-1.5 networking form, migrated by api/v2/AppNormalization.scala
  const docker = def.container?.docker;
  const legacyNetwork = docker?.network;
  const modes = (def.networks ?? []).map((n) => n.mode);
  if (legacyNetwork !== undefined) {
    add({
      code: 'deprecated-docker-network',
      severity: 'warning',
      path: '/container/docker/network',
      message: `container.docker.network "${legacyNetwork}" is the pre-1.5 form; Marathon migrates it and answers in the new form`,
      hint: `use "networks": [{"mode": "${legacyNetwork === 'HOST' ? 'host' : legacyNetwork === 'USER' ? 'container' : 'container/bridge'}"}]`,
    });
    if (def.networks !== undefined)
      add({
        code: 'network-conflict',
        severity: 'error',
        path: '/networks',
        message: 'both container.docker.network and networks are set; Marathon answers 422',
        hint: 'keep only "networks"',
      });
  }
  if (docker?.portMappings !== undefined)
    add({
      code: 'deprecated-docker-port-mappings',
      severity: 'warning',
      path: '/container/docker/portMappings',
      message: 'container.docker.portMappings is the pre-1.5 form',
      hint: 'move the list to container.portMappings',
    });
  const bridgeOrContainer = legacyNetwork === 'BRIDGE' || legacyNetwork === 'USER' || modes.some((m) => m === 'container/bridge' || m === 'container');

  // ports: dropped under bridge/container networking by api/v2/AppNormalization.scala (applyDefaultPortDefinitions)
  if (def.ports !== undefined) {
    add({
      code: 'deprecated-ports',
      severity: 'warning',
      path: '/ports',
      message: '"ports" is deprecated',
      hint: 'use "portDefinitions": [{"port": …}] with host networking, or container.portMappings with bridge networking',
    });
    if (bridgeOrContainer)
      add({
        code: 'ports-with-bridge',
        severity: 'warning',
        path: '/ports',
        message: `"ports" ${JSON.stringify(def.ports)} has no meaning with bridge or container networking: Marathon silently drops it`,
        hint: 'remove "ports"; the port mappings already declare the ports',
      });
  }
  if (def.portDefinitions !== undefined && bridgeOrContainer)
    add({
      code: 'port-definitions-with-bridge',
      severity: 'warning',
      path: '/portDefinitions',
      message: '"portDefinitions" has no meaning with bridge or container networking: Marathon silently drops it',
      hint: 'remove it; use container.portMappings',
    });

  // container.portMappings need a bridge or container network: api/v2/AppNormalization.scala
  // (maybeDropPortMappings) drops them when `networks` is missing or host, and the app then runs
  // on host networking, its container ports unmapped.
  const containerMappings = def.container?.portMappings ?? [];
  if (containerMappings.length > 0 && legacyNetwork === undefined && !modes.some((m) => m === 'container/bridge' || m === 'container'))
    add({
      code: 'port-mappings-without-networks',
      severity: 'warning',
      path: def.networks === undefined ? '/container/portMappings' : '/networks',
      message:
        def.networks === undefined
          ? 'container.portMappings without "networks": Marathon 1.5+ silently drops the mappings and runs the app on host networking'
          : 'container.portMappings with host networking: Marathon 1.5+ silently drops the mappings',
      hint: 'add "networks": [{"mode": "container/bridge"}]',
    });

  // A task behind a load balancer needs time to drain when it is stopped: Marathon passes
  // taskKillGracePeriodSeconds to Mesos as the kill policy (mesos/TaskBuilder.scala); without it
  // the Mesos Docker executor stops the container with a timeout of 0, cutting requests in flight.
  const servicePorts = servicePortsOf(def);
  const haproxyLabels = Object.keys(def.labels ?? {}).filter((k) => k.startsWith('HAPROXY_'));
  if (def.taskKillGracePeriodSeconds === undefined && (servicePorts.length > 0 || haproxyLabels.length > 0))
    add({
      code: 'no-task-kill-grace-period',
      severity: 'warning',
      path: '/taskKillGracePeriodSeconds',
      message: `the app ${haproxyLabels.length ? `has ${haproxyLabels[0]} labels` : 'has a service port'} but no taskKillGracePeriodSeconds: with the Mesos Docker executor a stopped task gets no time to finish its requests`,
      hint: 'set "taskKillGracePeriodSeconds" to the time the app needs to drain after SIGTERM (e.g. 10)',
    });

  // uris: migrated to fetch by api/v2/AppNormalization.scala (Artifacts)
  if (def.uris !== undefined) {
    const dockercfg = def.uris.some((u) => /\.dockercfg$/.test(u));
    add({
      code: 'deprecated-uris',
      severity: 'warning',
      path: '/uris',
      message:
        '"uris" is deprecated' +
        (dockercfg ? '; a .dockercfg only works with Docker before 1.6' : ''),
      hint: dockercfg
        ? 'use "fetch": [{"uri": "file:///etc/docker.tar.gz"}] with a docker.tar.gz holding .docker/config.json'
        : 'use "fetch": [{"uri": …}]',
    });
  }

  // health checks: core/health/HealthCheck.scala
  (def.healthChecks ?? []).forEach((hc: HealthCheck, i) => {
    const path = marathonPath('/healthChecks', i);
    const protocol = hc.protocol ?? 'HTTP';
    if ((protocol === 'TCP' || protocol === 'MESOS_TCP' || protocol === 'COMMAND') && hc.path !== undefined)
      add({
        code: 'health-check-path-ignored',
        severity: 'warning',
        path: `${path}/path`,
        message: `"path" ${JSON.stringify(hc.path)} is ignored by a ${protocol} check`,
        hint: protocol === 'COMMAND' ? 'remove "path"' : 'remove "path", or use "protocol": "MESOS_HTTP" to check that path',
      });
    if (MARATHON_LEVEL_CHECKS.has(protocol))
      add({
        code: 'marathon-level-health-check',
        severity: 'warning',
        path: `${path}/protocol`,
        message: `${protocol} checks run from the Marathon leader and are deprecated since Marathon 1.4`,
        hint: `use "protocol": "MESOS_${protocol}"`,
      });
    const grace = hc.gracePeriodSeconds ?? 300;
    if (grace < SHORT_GRACE_SECONDS)
      add({
        code: 'short-grace-period',
        severity: 'warning',
        path: `${path}/gracePeriodSeconds`,
        message: `gracePeriodSeconds ${grace} is very short (default 300): a slow start is killed and restarted in a loop`,
        hint: `use at least ${SHORT_GRACE_SECONDS}, e.g. 60`,
      });
  });

  // constraints against instances and the upgrade strategy: mesos/Constraints.scala, core/deployment/impl/TaskReplaceActor.scala
  out.push(...lintConstraints(def));

  // one argv element with spaces (Mesos runs args without a shell)
  if (Array.isArray(def.args) && def.args.length === 1 && /\s/.test(def.args[0] ?? ''))
    add({
      code: 'args-single-element',
      severity: 'warning',
      path: '/args(0)',
      message: `args is one element ${JSON.stringify(def.args[0])}; no shell splits it, the program gets it as a single argument`,
      hint: `split it: ${JSON.stringify((def.args[0] ?? '').trim().split(/\s+/))}`,
    });
  if (def.cmd && Array.isArray(def.args) && def.args.length > 0)
    add({ code: 'cmd-and-args', severity: 'error', path: '/args', message: 'both "cmd" and "args" are set; Marathon answers 422', hint: 'keep one' });

  // placeholders left in the image are caught when the template is filled (template.ts)

  // fixed service ports: state/AppDefinition.scala servicePorts; marathon-lb binds them
  const mappings = def.container?.portMappings ?? docker?.portMappings ?? [];
  mappings.forEach((m, i) => {
    if (m.servicePort !== undefined && m.servicePort !== 0)
      add({
        code: 'fixed-service-port',
        severity: 'info',
        path: `${docker?.portMappings && !def.container?.portMappings ? '/container/docker/portMappings' : '/container/portMappings'}(${i})/servicePort`,
        message: `servicePort ${m.servicePort} is fixed${m.servicePort === 20000 ? ' (the top of the auto-assign range 10000–20000)' : ''}: it must be unique across all apps, since HAProxy binds it`,
      });
  });
  return out;
}

/**
 * How many hosts a set of hostname constraints can ever use, when it is knowable: a LIKE with a
 * finite pattern (literals and character classes, or an alternation of them), IS, or CLUSTER.
 */
export function hostLimit(constraints: readonly (readonly string[])[]): number | undefined {
  let limit: number | undefined;
  for (const c of constraints) {
    if (c[0] !== 'hostname') continue;
    const op = c[1];
    let n: number | undefined;
    if (op === 'IS' || op === 'CLUSTER') n = 1;
    else if (op === 'LIKE' && c[2] !== undefined) n = finitePatternSize(c[2]);
    if (n !== undefined) limit = limit === undefined ? n : Math.min(limit, n);
  }
  return limit;
}

/** Hosts a pattern can name, reading an unescaped "." as the dot it was meant to be; undefined when unbounded. */
export function finitePatternSize(pattern: string): number | undefined {
  const alternatives = pattern.split('|');
  let total = 0;
  for (const alt of alternatives) {
    let count = 1;
    for (let i = 0; i < alt.length; i++) {
      const c = alt[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '*' || c === '+' || c === '?' || c === '{' || c === '(' || c === ')') return undefined;
      if (c === '[') {
        const end = alt.indexOf(']', i + 1);
        if (end === -1) return undefined;
        const body = alt.slice(i + 1, end);
        if (body.startsWith('^')) return undefined;
        let size = 0;
        for (let j = 0; j < body.length; j++) {
          if (body[j + 1] === '-' && j + 2 < body.length) {
            size += (body.charCodeAt(j + 2) - body.charCodeAt(j)) + 1;
            j += 2;
          } else size++;
        }
        count *= Math.max(size, 1);
        i = end;
      }
    }
    total += count;
  }
  return total;
}

function lintConstraints(def: AppDefinition): Finding[] {
  const out: Finding[] = [];
  const constraints = (def.constraints ?? []).filter((c): c is string[] => Array.isArray(c));
  constraints.forEach((c, i) => {
    if (c[1] === 'LIKE' || c[1] === 'UNLIKE') {
      const pattern = c[2] ?? '';
      // a "." between two word characters in a host pattern is almost always meant literally
      if (/[A-Za-z0-9\]]\.[A-Za-z0-9[]/.test(pattern.replace(/\\./g, '')))
        out.push({
          code: 'constraint-unescaped-dot',
          severity: 'warning',
          path: `/constraints(${i})(2)`,
          message: `${c[1]} ${JSON.stringify(pattern)} must match the whole value, and each unescaped "." matches any character`,
          hint: `escape the dots: ${JSON.stringify(pattern.replace(/(?<!\\)\.(?![*+?])/g, '\\.'))}`,
        });
    }
  });
  const unique = constraints.some((c) => c[0] === 'hostname' && (c[1] === 'UNIQUE' || (c[1] === 'MAX_PER' && c[2] === '1')));
  if (!unique) return out;
  const hosts = hostLimit(constraints);
  if (hosts === undefined) return out;
  const instances = def.instances ?? 1;
  const minHealth = def.upgradeStrategy?.minimumHealthCapacity ?? 1;
  const maxOver = def.upgradeStrategy?.maximumOverCapacity ?? 1;
  if (instances > hosts) {
    out.push({
      code: 'constraints-exceed-hosts',
      severity: 'warning',
      path: '/instances',
      message: `instances ${instances} with hostname UNIQUE, but the constraints allow at most ${hosts} host${hosts === 1 ? '' : 's'}: the deployment can never place every instance and waits forever`,
      hint: `lower "instances" to ${hosts} or widen the hostname constraints`,
    });
    return out;
  }
  // core/deployment/impl/TaskReplaceActor.scala: after killing down to minHealthy old tasks it must place a new
  // one on a free host; with one task per host that needs minHealthy < hosts.
  const minHealthy = Math.ceil(instances * minHealth);
  const maxCapacity = Math.floor(instances * (1 + maxOver));
  if (minHealthy >= hosts && instances > 0) {
    const suggested = Math.floor(((hosts - 1) / instances) * 100) / 100;
    out.push({
      code: 'constraints-block-rolling-restart',
      severity: 'warning',
      path: def.upgradeStrategy ? '/upgradeStrategy' : '/constraints',
      message:
        `hostname UNIQUE on at most ${hosts} host${hosts === 1 ? '' : 's'} with instances ${instances} and upgradeStrategy ` +
        `{minimumHealthCapacity: ${minHealth}, maximumOverCapacity: ${maxOver}}: a restart keeps ${minHealthy} old task${minHealthy === 1 ? '' : 's'} ` +
        `and may grow to ${Math.max(maxCapacity, minHealthy + 1)}, so it needs a host more than the constraints allow; every upgrade hangs forever`,
      hint:
        hosts > 1
          ? `add "upgradeStrategy": {"minimumHealthCapacity": ${suggested}, "maximumOverCapacity": 0} so Marathon replaces tasks one host at a time`
          : 'with a single host, use "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0} (stop, then start)',
    });
  }
  return out;
}

/** `warning: marathon.json:31 /healthChecks(0)/path: … (fix: …)` lines, errors first. */
export function formatFindings(findings: readonly Finding[], where: (path: string) => string): string[] {
  const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return [...findings]
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map((f) => `${f.severity}: ${where(f.path)} ${f.path}: ${f.message} [${f.code}]${f.hint ? `\n    fix: ${f.hint}` : ''}`);
}
