/**
 * The one home for credentials inside URLs (repository, database, Marathon, Buildbot URLs): finding
 * them, removing them (image labels) and hiding them in messages. Pure.
 *
 * Deliberately generous: a password may hold `/`, `?` or `@` unencoded, and a URL that does not
 * parse still gets its userinfo hidden, so no message can echo a password. The userinfo of
 * `scheme://…` is everything up to the last `@` before `?`/`#` (a leading `/`, as in
 * `sqlite:////path` or `file:///path`, means a path, not userinfo).
 */

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** Query keys that carry a secret (SQLAlchemy's `?password=`, GitLab's `private_token`…). */
const SECRET_QUERY = /([?&;](?:password|passwd|pwd|pass|token|access_token|private_token|secret)=)[^&;#]*/gi;
/** scp-like git address `user:password@host:path` (no scheme). */
const SCP_WITH_PASSWORD = /^[^/@:]*:[^/@]*@/;

interface Parts {
  scheme: string | null;
  /** Index range of the userinfo (without the `@`) in the string, if any. */
  userinfo: { start: number; end: number } | null;
}

function parts(url: string): Parts {
  const m = SCHEME.exec(url);
  if (!m) {
    const scp = SCP_WITH_PASSWORD.exec(url);
    return { scheme: null, userinfo: scp ? { start: 0, end: scp[0].length - 1 } : null };
  }
  const start = m[0].length;
  const stop = url.slice(start).search(/[?#]/);
  const head = stop < 0 ? url.slice(start) : url.slice(start, start + stop);
  const scheme = m[1]!.toLowerCase();
  if (head.startsWith('/')) return { scheme, userinfo: null };
  const at = head.lastIndexOf('@');
  if (at >= 0) return { scheme, userinfo: { start, end: start + at } };
  // A password may also hold `?` or `#` unencoded: SQLAlchemy's make_url reads the password as
  // everything up to the next `@` (`user:pa?ss@host/db`), so a `user:…@` reaching past `?`/`#` is
  // userinfo too. Refusing the rare URL whose query holds `@` after a port is the safe side.
  const loose = /^[^:/?#@]*:[^@]*@/.exec(url.slice(start));
  return { scheme, userinfo: loose ? { start, end: start + loose[0].length - 1 } : null };
}

/** The credential found in a URL, if any: `'password'` (userinfo with `:`), `'user'` (name only) or `'query'` (`?password=…`). */
export function urlCredentials(url: string): 'password' | 'user' | 'query' | null {
  const p = parts(url);
  if (p.userinfo && url.slice(p.userinfo.start, p.userinfo.end).includes(':')) return 'password';
  SECRET_QUERY.lastIndex = 0;
  if (SECRET_QUERY.test(url)) return 'query';
  return p.userinfo ? 'user' : null;
}

/**
 * Whether a URL carries something secret. Over http(s) a bare user name counts (forges take a
 * token as the user name: `https://TOKEN@host/x.git`); over ssh a user name (`git@host`) does not.
 */
export function hasUrlSecret(url: string): boolean {
  const found = urlCredentials(url);
  if (found === 'user') return /^https?$/.test(parts(url).scheme ?? '');
  return found !== null;
}

/** The URL without userinfo and without secret query values, e.g. for `org.opencontainers.image.source`. */
export function withoutUrlCredentials(url: string): string {
  const p = parts(url);
  let out = url;
  if (p.userinfo) out = url.slice(0, p.userinfo.start) + url.slice(p.userinfo.end + 1);
  SECRET_QUERY.lastIndex = 0;
  return out.replace(SECRET_QUERY, '$1');
}

/** The URL as it may appear in a message: userinfo and secret query values replaced by `***`. */
export function redactUrl(url: string): string {
  const p = parts(url);
  let out = url;
  if (p.userinfo) out = `${url.slice(0, p.userinfo.start)}***${url.slice(p.userinfo.end)}`;
  SECRET_QUERY.lastIndex = 0;
  return out.replace(SECRET_QUERY, '$1***');
}

/**
 * A HOST[:PORT][/…] value (a registry, an image reference) as it may appear in a message: a
 * `user:password@` before the host (a URL's userinfo without the scheme) becomes `***@`.
 */
export function redactHostUserinfo(value: string): string {
  const at = value.indexOf('@');
  const slash = value.indexOf('/');
  if (at < 0 || (slash >= 0 && slash < at)) return value;
  return value.slice(0, at).includes(':') ? `***${value.slice(at)}` : value;
}
