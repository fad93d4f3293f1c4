/**
 * Pure HAProxy configuration renderer. Services (already validated by services.ts) → the text
 * of haproxy.cfg, deterministic for the same input.
 *
 * Each backend has a fixed number of server *slots* (`server s1 … s<N>`), filled with the
 * healthy tasks and the rest `disabled`. A change of tasks only changes the address and state of
 * slots, which the running HAProxy applies through its runtime API without a reload; only a
 * change of the *skeleton* (the text with slot contents blanked: frontends, backends, modes,
 * slot counts) needs a reload. Slots keep their task across renders (`previous`), so a task that
 * stays keeps its slot and its connections.
 */
import { UsageError } from '../errors.js';
import { BALANCE_ALGORITHMS, type Balance, type Mode, type Service } from './services.js';

export interface RenderOptions {
  /** Path of the stats (runtime API) socket in the global section. */
  statsSocket: string;
  /** Port of the shared HTTP frontend for HAPROXY_{n}_VHOST; only rendered when a vhost exists. */
  httpPort: number;
  /** Bind address of the vhost frontend. */
  httpBind: string;
  /** Smallest number of slots per backend (default 4). */
  minSlots?: number;
  /** Seconds old workers may keep serving established connections after a reload. */
  hardStopAfter?: number;
  /** Virtual hosts per `acl` line (default VHOSTS_PER_ACL_LINE); tests raise it to get HAProxy's refusal back. */
  vhostsPerAclLine?: number;
}

/**
 * HAProxy splits a configuration line into at most 64 words (MAX_LINE_ARGS in its
 * include/haproxy/defaults.h) and refuses the whole file beyond that; an `acl` line spends 5
 * words on itself. Repeated `acl` lines of one name are ORed, so an app's virtual hosts go on as
 * many lines as they need.
 */
export const VHOSTS_PER_ACL_LINE = 40;

/** `items` in runs of at most `n`. */
export function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** What fills one slot: `ip:port`, or null for an empty (disabled) slot. */
export type SlotTable = ReadonlyMap<string, readonly (string | null)[]>;

/** backend name → the slots (index 0 = s1) whose server connections are in use, from HAProxy's runtime API. */
export type BusySlots = ReadonlyMap<string, ReadonlySet<number>>;

const NONE_BUSY: ReadonlySet<number> = new Set();

export interface Rendered {
  text: string;
  /**
   * `text` with every slot's address and state blanked: equal skeletons need no reload. Made on
   * first read: only `--watch` compares it, and only when the text changed.
   */
  readonly skeleton: string;
  /** backend name → slot contents, index 0 = server s1. */
  slots: Map<string, (string | null)[]>;
}

const PLACEHOLDER = '0.0.0.0:0';

/** `  server sN ` and `  server sN 0.0.0.0:0 disabled` for slot index N-1, made once per index. */
const serverPrefix: string[] = [];
const disabledLine: string[] = [];

/** Slot `index` (0 = s1) holding `key` (`ip:port`), or empty (disabled); the bridge patches these lines in place. */
export function serverLine(index: number, key: string | null): string {
  for (let k = serverPrefix.length; k <= index; k++) {
    serverPrefix.push(`  server s${k + 1} `);
    disabledLine.push(`  server s${k + 1} ${PLACEHOLDER} disabled`);
  }
  return key === null ? (disabledLine[index] as string) : serverPrefix[index] + key;
}

/**
 * `ip:port` in HAProxy's address syntax (IPv6 needs the ipv6@ prefix to keep the port apart).
 * `ip` is an IP literal (services.ts and the --bind check let nothing else through), so a colon
 * means IPv6.
 */
export function haproxyAddress(ip: string, port: number): string {
  return ip.includes(':') ? `ipv6@${ip}:${port}` : `${ip}:${port}`;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Whether `keys` holds a server that `previous` has no slot for yet (only then do busy slots matter). */
export function hasNewcomer(keys: readonly string[], previous: readonly (string | null)[] | undefined): boolean {
  if (!previous) return keys.length > 0;
  const held = new Set(previous);
  return keys.some((k) => !held.has(k));
}

/**
 * Keeps every server that is still there in its old slot, fills free slots (lowest first) with
 * the new ones in sorted order, grows the table (to a power of two) only when it must.
 *
 * `busy` (an HTTP backend that HAProxy runs, with the slots whose server connections are in use):
 * a new server goes only into a slot that is free, not busy, and not left by a server in this
 * very change (that one still carries requests until it is put into maint). HAProxy keeps idle
 * server connections per slot, not per address, and purges them when the address changes, but a
 * connection busy at that moment comes back to the slot afterwards and would carry later requests
 * to the old task (docs/service-discovery.md, "Server connections"). When no such slot is left,
 * the table grows: a reload, whose new worker starts without any connection.
 */
export function assignSlots(keys: readonly string[], previous: readonly (string | null)[] | undefined, minSlots: number, busy?: ReadonlySet<number>): (string | null)[] {
  let size = previous && previous.length >= keys.length ? previous.length : Math.max(minSlots, nextPowerOfTwo(keys.length));
  if (!previous) {
    const slots: (string | null)[] = new Array<string | null>(size).fill(null);
    // The first render (and every one-shot run): nothing to keep, the sorted keys in order.
    for (let i = 0; i < keys.length; i++) slots[i] = keys[i] as string;
    return slots;
  }
  const wanted = new Set(keys);
  const placed = new Set<string>();
  const kept: (string | null)[] = new Array<string | null>(previous.length).fill(null);
  previous.forEach((key, i) => {
    if (key !== null && wanted.has(key)) {
      kept[i] = key;
      placed.add(key);
    }
  });
  // A slot that may take a new server now.
  const open = (i: number) => i >= previous.length || (kept[i] === null && (busy === undefined || (previous[i] === null && !busy.has(i))));
  const newcomers = keys.filter((k) => !placed.has(k));
  if (busy !== undefined) {
    let room = 0;
    for (let i = 0; i < size; i++) if (open(i)) room++;
    if (room < newcomers.length) size = Math.max(minSlots, nextPowerOfTwo(size + newcomers.length - room));
  }
  const slots: (string | null)[] = new Array<string | null>(size).fill(null);
  for (let i = 0; i < Math.min(size, kept.length); i++) slots[i] = kept[i] ?? null;
  let free = 0;
  for (const key of newcomers) {
    while (slots[free] !== null || !open(free)) free++;
    slots[free] = key;
  }
  return slots;
}

/*
 * The text is made of whole lines, each ending in "\n", as a list of pieces joined once at the
 * end (no array of lines, no second pass); the skeleton is joined from the same pieces, with blank
 * server lines, when it is first read.
 */

function globalSection(options: RenderOptions): string {
  return [
    '# Generated by `bbm haproxy` from Marathon. Do not edit: it is rewritten on every change.',
    'global',
    `  stats socket ${quotePath(options.statsSocket)} mode 600 level admin expose-fd listeners`,
    '  stats timeout 2m',
    `  hard-stop-after ${options.hardStopAfter ?? 600}s`,
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout queue 30s',
    '  timeout http-request 15s',
    '  timeout http-keep-alive 15s',
    // A task that has just died is retried elsewhere instead of failing the request.
    '  retries 3',
    '  option redispatch 1',
    '',
  ].join('\n');
}

/** The shared HTTP frontend routing HAPROXY_{n}_VHOST names; empty when no service has one. */
function vhostFrontend(services: readonly Service[], options: RenderOptions): string {
  let out = '';
  const perLine = options.vhostsPerAclLine ?? VHOSTS_PER_ACL_LINE;
  for (const s of services) {
    if (s.vhosts.length === 0) continue;
    for (const run of chunks(s.vhosts, perLine)) out += `  acl host_${s.name} req.hdr(host),field(1,:),lower -m str ${run.join(' ')}\n`;
    out += `  use_backend ${s.name} if host_${s.name}\n`;
  }
  if (out === '') return '';
  return `\nfrontend bbm_http_vhosts\n  bind ${haproxyAddress(options.httpBind, options.httpPort)}\n  mode http\n  option forwardfor\n  option idle-close-on-response\n${out}`;
}

/** A frontend's lines after `bind`, up to the name of its default backend, per mode. */
const FRONTEND_TAIL: Readonly<Record<Mode, string>> = {
  tcp: '  mode tcp\n  default_backend ',
  // On a reload the old worker answers the next request of an idle keep-alive connection with
  // `Connection: close` instead of closing it under a client that may be sending.
  http: '  mode http\n  option forwardfor\n  option idle-close-on-response\n  default_backend ',
};

/** A backend's lines after its name, before its servers, per mode and balance algorithm. */
const BACKEND_HEAD: Readonly<Record<Mode, Readonly<Record<Balance, string>>>> = {
  tcp: Object.fromEntries(BALANCE_ALGORITHMS.map((b) => [b, `\n  mode tcp\n  balance ${b}\n`])) as Record<Balance, string>,
  // A task that died under a request is retried on another one, but a request that may have had
  // an effect (not GET/HEAD) is only retried when it never reached the task.
  http: Object.fromEntries(
    BALANCE_ALGORITHMS.map((b) => [b, `\n  mode http\n  balance ${b}\n  retry-on conn-failure empty-response junk-response response-timeout\n  http-request disable-l7-retry if !METH_GET\n`]),
  ) as Record<Balance, string>,
};

/**
 * A service's frontend and backend up to (not including) its server lines. Written as few
 * pieces as it takes (the constant runs above are one piece each): each `+` is a piece the final
 * join copies.
 */
function serviceSections(s: Service): string {
  return (
    '\n# ' + s.appId + ' service port ' + s.servicePort + ' (port index ' + s.portIndex + ')\nfrontend ' + s.name +
    '\n  bind ' + haproxyAddress(s.bind, s.servicePort) + '\n' + FRONTEND_TAIL[s.mode] + s.name +
    '\n\nbackend ' + s.name + BACKEND_HEAD[s.mode][s.balance]
  );
}

/** `  server sN ip:port` per filled slot, `  server sN 0.0.0.0:0 disabled` per empty one. */
function serverLines(table: readonly (string | null)[]): string {
  let out = '';
  for (let i = 0; i < table.length; i++) out += serverLine(i, table[i] ?? null) + '\n';
  return out;
}

/** The skeleton's server lines: the slots without their contents. */
function skeletonServerLines(size: number): string {
  let out = '';
  for (let i = 1; i <= size; i++) out += `  server s${i} -\n`;
  return out;
}

/**
 * `busy`: the running HAProxy's busy slots, given when the result is to be applied through the
 * runtime API; HTTP backends then never put a new server into a slot whose connections may still
 * reach the old one (assignSlots). TCP backends reuse no server connection.
 */
export function renderConfig(services: readonly Service[], options: RenderOptions, previous?: SlotTable, busy?: BusySlots): Rendered {
  const minSlots = options.minSlots ?? 4;
  const head = globalSection(options) + vhostFrontend(services, options);
  const text: string[] = [head];
  // The skeleton: the same pieces with blank server lines (sections[i] has sizes[i] slots).
  const sections: string[] = [];
  const sizes: number[] = [];
  const slots = new Map<string, (string | null)[]>();
  for (const s of services) {
    const own = serviceSections(s);
    const keys = s.servers.map((v) => haproxyAddress(v.ip, v.port));
    const table = assignSlots(keys, previous?.get(s.name), minSlots, busy && s.mode === 'http' ? (busy.get(s.name) ?? NONE_BUSY) : undefined);
    slots.set(s.name, table);
    sections.push(own);
    sizes.push(table.length);
    text.push(own, serverLines(table));
  }
  let skeleton: string | undefined;
  return {
    text: text.join(''),
    slots,
    get skeleton() {
      skeleton ??= skeletonOf(head, sections, sizes);
      return skeleton;
    },
  };
}

function skeletonOf(head: string, sections: readonly string[], sizes: readonly number[]): string {
  const pieces: string[] = [head];
  // Slot counts repeat (4 for most backends): each count's blank lines are made once.
  const blank = new Map<number, string>();
  sections.forEach((own, i) => {
    const size = sizes[i]!;
    let lines = blank.get(size);
    if (lines === undefined) blank.set(size, (lines = skeletonServerLines(size)));
    pieces.push(own, lines);
  });
  return pieces.join('');
}

/** Socket paths come from our own flags, but still must not break the line. */
function quotePath(p: string): string {
  if (!/^[A-Za-z0-9_@./:+-]+$/.test(p)) {
    throw new UsageError(`stats socket path ${JSON.stringify(p)} has characters an HAProxy config line cannot hold`, {
      hint: 'use a path of letters, digits and _ @ . / : + - only (--stats-socket)',
    });
  }
  return p;
}
