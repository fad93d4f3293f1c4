/**
 * Where the console is mounted and where Buildbot's own endpoints are. The console is served at the
 * master's root (where it stands in for Buildbot's UI) or at `<root>bbm/` beside Buildbot's UI; both
 * are the same origin as `/api/v2`, `/auth` and `/ws`, so every URL is relative to the master's root.
 */
export function masterRoot(pathname: string): string {
  const dir = pathname.endsWith('/') ? pathname : pathname.slice(0, pathname.lastIndexOf('/') + 1);
  return dir.endsWith('/bbm/') ? dir.slice(0, -'bbm/'.length) : dir;
}

/** The websocket URL of Buildbot's `/ws` for a page at `href`. */
export function wsUrl(href: string, root: string): string {
  const u = new URL(root + 'ws', href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/** Hash routes: `#/builds`, `#/builders/3`, `#/builds/17`, `#/builders/3/builds/2`, `#/deployments`. */
export type Route =
  | { page: 'builds' }
  | { page: 'builder'; builderid: number }
  | { page: 'build'; buildid: number }
  /** Buildbot's own build URL form (`util.URLForBuild`, the `bbm.build-url` label): `#/builders/3/builds/12`. */
  | { page: 'builderBuild'; builderid: number; number: number }
  | { page: 'deployments' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const n = Number(parts[1]);
  const m = Number(parts[3]);
  if (parts[0] === 'builders' && parts[2] === 'builds' && Number.isInteger(n) && n > 0 && Number.isInteger(m) && m > 0) return { page: 'builderBuild', builderid: n, number: m };
  if (parts[0] === 'builders' && Number.isInteger(n) && n > 0) return { page: 'builder', builderid: n };
  if (parts[0] === 'builds' && Number.isInteger(n) && n > 0) return { page: 'build', buildid: n };
  if (parts[0] === 'deployments') return { page: 'deployments' };
  return { page: 'builds' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'builder':
      return `#/builders/${route.builderid}`;
    case 'build':
      return `#/builds/${route.buildid}`;
    case 'builderBuild':
      return `#/builders/${route.builderid}/builds/${route.number}`;
    default:
      return `#/${route.page}`;
  }
}
