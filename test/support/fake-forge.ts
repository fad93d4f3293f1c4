/**
 * A local stand-in for the commit status APIs of GitHub and GitLab, as Buildbot's GitHubStatusPush
 * and GitLabStatusPush call them (buildbot/buildbot master/buildbot/reporters/github.py and
 * gitlab.py): GitHub `POST /repos/OWNER/REPO/statuses/SHA`; GitLab `GET /api/v4/projects/GROUP%2FNAME`
 * (the project's id), then `POST /api/v4/projects/ID/statuses/SHA`. Every request is recorded;
 * the statuses are read back per forge and commit, with the token header each carried.
 */
import { sendJson, startTestServer, type Recorded, type TestServer } from './http-server.js';

export interface ForgeStatus {
  /** `pending`/`success`/`failure`… (GitHub), `pending`/`running`/`success`/`failed`… (GitLab). */
  state: string;
  /** GitHub's `context`, GitLab's `name`. */
  context: string;
  target_url: string;
  description: string;
  /** GitLab's `ref` (the branch); GitHub has none. */
  ref?: string;
  /** The request's token header: GitHub's `authorization`, GitLab's `private-token`. */
  token: string;
  /** GitHub: OWNER/REPO; GitLab: the full path the project id was asked for (GROUP/NAME). */
  repo: string;
}

export interface FakeForge {
  url: string;
  requests: Recorded[];
  github(sha: string): ForgeStatus[];
  gitlab(sha: string): ForgeStatus[];
  close(): Promise<void>;
}

export async function startFakeForge(): Promise<FakeForge> {
  const server: TestServer = await startTestServer();
  /** GitLab project ids handed out, by full path. */
  const ids = new Map<string, number>();
  server.handle((req, res) => {
    const url = new URL(req.url, 'http://forge');
    let m = /^\/api\/v4\/projects\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const full = decodeURIComponent(m[1]!.replace(/\+/g, ' '));
      if (!ids.has(full)) ids.set(full, 100 + ids.size);
      return sendJson(res, 200, { id: ids.get(full), path_with_namespace: full });
    }
    m = /^\/api\/v4\/projects\/(\d+)\/statuses\/[0-9a-f]{40}$/.exec(url.pathname);
    if (req.method === 'POST' && m && [...ids.values()].includes(Number(m[1]))) return sendJson(res, 201, { id: server.requests.length });
    if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/.test(url.pathname)) return sendJson(res, 201, { state: 'ok' });
    return sendJson(res, 404, { message: '404 Not Found' });
  });
  const pathOfId = (id: string) => [...ids.entries()].find(([, v]) => String(v) === id)?.[0] ?? '';
  return {
    url: server.url,
    requests: server.requests,
    github: (sha) =>
      server.requests.flatMap((r) => {
        const m = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(r.url);
        if (r.method !== 'POST' || !m || m[2] !== sha) return [];
        const b = JSON.parse(r.body) as { state: string; context: string; target_url: string; description: string };
        return [{ ...b, token: String(r.headers.authorization ?? ''), repo: m[1]! }];
      }),
    gitlab: (sha) =>
      server.requests.flatMap((r) => {
        const m = /^\/api\/v4\/projects\/(\d+)\/statuses\/([0-9a-f]{40})$/.exec(r.url);
        if (r.method !== 'POST' || !m || m[2] !== sha) return [];
        const b = JSON.parse(r.body) as { state: string; name: string; target_url: string; description: string; ref: string };
        return [{ state: b.state, context: b.name, target_url: b.target_url, description: b.description, ref: b.ref, token: String(r.headers['private-token'] ?? ''), repo: pathOfId(m[1]!) }];
      }),
    close: () => server.close(),
  };
}
