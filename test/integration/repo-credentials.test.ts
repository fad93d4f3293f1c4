/**
 * Repository credentials by secret name, for real: a repository served by git's own
 * `git http-backend` behind HTTP basic auth, Debian's Buildbot master polling it (GitPoller) and
 * its worker cloning it (Git step), both with the user and token read from the master's secrets
 * folder. An anonymous clone is refused; a pushed commit is seen by the poller and builds green;
 * the token is nowhere in master.cfg, the build's step logs or any process's arguments.
 * The same master also polls and clones a second repository over SSH (OpenSSH's sshd on 127.0.0.1,
 * key and known_hosts from the secrets folder): anonymous and wrong-key logins are refused, the
 * key's lines appear nowhere either.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { freePort, run, startMaster, startWorker, stop, until } from '../support/buildbot.js';
import { openRepo } from '../support/git-repo.js';
import { BASE_IMAGE, REGISTRY, components, describeWith } from '../support/integration.js';

const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage, components.sshd]);
const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';
const USER = 'ci-bot';
const TOKEN = `tok-${process.pid}-${Date.now()}-repo`;

/** git's smart HTTP (git http-backend as CGI) behind basic auth; every request is recorded. */
function startGitServer(projectRoot: string): Promise<{ url: string; server: Server; requests: { path: string; authorized: boolean }[] }> {
  const requests: { path: string; authorized: boolean }[] = [];
  const expected = `Basic ${Buffer.from(`${USER}:${TOKEN}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorized = req.headers.authorization === expected;
    requests.push({ path: `${u.pathname}${u.search}`, authorized });
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="bbm test"' });
      return res.end();
    }
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        PATH: '/usr/bin:/bin',
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        REMOTE_USER: USER,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on('end', () => res.end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests })));
}

/** OpenSSH's sshd on 127.0.0.1:port for this user only, with a fresh host key; its log is kept (`-e`). */
async function startSshd(dir: string, authorizedKey: string): Promise<{ port: number; child: ChildProcess; log: () => string; knownHosts: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation folder
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  writeFileSync(path.join(dir, 'authorized_keys'), authorizedKey, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      `AllowUsers ${userInfo().username}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (log += s));
  await until('sshd to listen', async () => (/Server listening/.test(log) ? true : undefined), 20_000);
  const hostKey = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { port, child, log: () => log, knownHosts: `[127.0.0.1]:${port} ${hostKey}\n` };
}

/** Every process whose command line holds `needle` (pid and command line), from /proc. */
function processesWith(needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) hits.push(`${entry}: ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return hits;
}

d('repository credentials by secret name on a real Buildbot master and worker (HTTP basic, git http-backend)', () => {
  let root: string;
  let master: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let git: Awaited<ReturnType<typeof startGitServer>>;
  let api: string;
  let masterCfg: string;
  let wc: ReturnType<typeof openRepo>;
  let sshWc: ReturnType<typeof openRepo>;
  let sshKey: string;
  let sshUrl: string;
  let sshd: Awaited<ReturnType<typeof startSshd>> | undefined;
  /** Command lines seen holding the token while the master and worker ran (sampled every 50 ms). */
  const leaks: string[] = [];
  let sampler: NodeJS.Timeout | undefined;

  /**
   * After the poller's first look (`polled`), a pushed commit must be seen and build green with its
   * checkout; `secret` is in no step log of that build, nor in master.cfg, nor in any process's arguments.
   */
  async function pushBuildsGreenWithout(polled: () => boolean, repo: ReturnType<typeof openRepo>, secret: string) {
    // the poller's first look records the branch heads; the next commit is a change
    await until('the poller to read the repository', async () => (polled() ? true : undefined), 120_000, path.join(root, 'master', 'twistd.log'));
    await new Promise((r) => setTimeout(r, 3_000));
    writeFileSync(path.join(repo.dir, 'README'), `after ${Date.now()}\n`);
    repo.git('add', '-A');
    repo.commit('next');
    repo.git('push', '-q', 'origin', 'master');
    const head = repo.git('rev-parse', 'HEAD').trim();

    interface Build { buildid: number; complete: boolean; results: number | null; properties: Record<string, [unknown, string]> }
    const build = await until(
      'the polled commit to build',
      async () => {
        const res = await fetch(`${api}/builds?property=got_revision&property=revision&complete=true`);
        const { builds } = (await res.json()) as { builds: Build[] };
        return builds.find((b) => b.properties.revision?.[0] === head);
      },
      300_000,
      path.join(root, 'master', 'twistd.log'),
    );
    const { steps } = (await (await fetch(`${api}/builds/${build.buildid}/steps`)).json()) as { steps: { number: number; name: string; results: number | null }[] };
    expect(build.results, JSON.stringify(steps)).toBe(0);
    expect(steps.find((s) => s.name === 'checkout')?.results).toBe(0);
    expect(build.properties.got_revision?.[0]).toBe(head);

    // nowhere: master.cfg, any step's log, any process's arguments while it all ran
    expect(masterCfg).not.toContain(secret);
    for (const s of steps) {
      const log = await (await fetch(`${api}/builds/${build.buildid}/steps/${s.number}/logs/stdio/raw`)).text();
      expect(log, `step ${s.name}`).not.toContain(secret);
    }
    expect(leaks).toEqual([]);
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-repo-credentials-'));
    const repos = path.join(root, 'repos');
    mkdirSync(repos);
    const bare = path.join(repos, 'priv.git');
    run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
    wc = openRepo(path.join(root, 'wc'));
    run('git', ['clone', '-q', bare, wc.dir]);
    writeFileSync(path.join(wc.dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nLABEL bbm.test=repo-credentials\n');
    wc.git('add', '-A');
    wc.commit('first');
    wc.git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
    wc.git('push', '-q', 'origin', 'master', '--tags');
    git = await startGitServer(repos);

    // the SSH repository: a second bare repository, cloned by key only
    const sshBare = path.join(repos, 'privssh.git');
    run('git', ['clone', '-q', '--bare', bare, sshBare]);
    sshWc = openRepo(path.join(root, 'sshwc'));
    run('git', ['clone', '-q', sshBare, sshWc.dir]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bbm-test', '-f', path.join(root, 'client_key')]);
    sshKey = readFileSync(path.join(root, 'client_key'), 'utf8');
    sshd = await startSshd(path.join(root, 'sshd'), readFileSync(path.join(root, 'client_key.pub'), 'utf8'));
    sshUrl = `ssh://${userInfo().username}@127.0.0.1:${sshd.port}${sshBare}`;

    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    chmodSync(secrets, 0o700);
    const workerPassword = `wp-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(secrets, 'worker-w1'), workerPassword, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'git-user'), USER, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'git-token'), TOKEN, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'git-ssh-key'), sshKey, { mode: 0o600 });
    writeFileSync(path.join(secrets, 'git-known-hosts'), sshd.knownHosts, { mode: 0o600 });

    const [wwwPort, pbPort] = [await freePort(), await freePort()];
    const www = `http://127.0.0.1:${wwwPort}/`;
    api = `${www}api/v2`;
    masterCfg = renderConfig(
      resolveConfig({
        registry: REGISTRY,
        // no project deploys: the Marathon is never asked
        marathon: { url: 'http://127.0.0.1:9' },
        buildbot: { url: www, version: '3.7', workers: [{ name: 'w1' }], www: { address: '127.0.0.1', port: wwwPort }, workerAddress: '127.0.0.1', workerPort: pbPort, secretsDir: secrets },
        changeSources: { pollInterval: 2 },
        projects: [
          { name: 'priv', repo: `${git.url}/priv.git`, credentials: { userSecret: 'git-user', tokenSecret: 'git-token' }, type: 'docker', branches: ['master'], poll: true, repository: 'bbm-test/repo-credentials', buildArgs: { BASE: BASE_IMAGE } },
          { name: 'privssh', repo: sshUrl, credentials: { sshKeySecret: 'git-ssh-key', knownHostsSecret: 'git-known-hosts' }, type: 'docker', branches: ['master'], poll: true, repository: 'bbm-test/repo-credentials-ssh', buildArgs: { BASE: BASE_IMAGE } },
        ],
      }),
      'ci.config.ts',
    );
    const keyLine = sshKey.split('\n')[1]!; // a line of the private key's body
    sampler = setInterval(() => leaks.push(...processesWith(TOKEN), ...processesWith(keyLine)), 50);
    master = await startMaster(root, masterCfg, www);
    worker = startWorker(root, pbPort, 'w1', workerPassword);
  }, 300_000);

  afterAll(async () => {
    clearInterval(sampler);
    await stop(worker);
    await stop(master);
    sshd?.child.kill('SIGTERM');
    git?.server.closeAllConnections();
    git?.server.close();
    spawnSync('docker', ['image', 'rm', '-f', `${REGISTRY}/bbm-test/repo-credentials`]);
    spawnSync('docker', ['image', 'rm', '-f', `${REGISTRY}/bbm-test/repo-credentials-ssh`]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('an anonymous clone is refused (the repository needs the credentials)', async () => {
    // asynchronously: the git server lives in this process
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('git', ['clone', '-q', `${git.url}/priv.git`, path.join(root, 'anon')], { env: { PATH: '/usr/bin:/bin', HOME: root, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Authentication failed|could not read Username|401/);
    expect(git.requests.some((q) => !q.authorized)).toBe(true);
  });

  it('the poller reads the repository with the secrets, a pushed commit builds green, and the token is never shown', async () => {
    await pushBuildsGreenWithout(() => git.requests.some((r) => r.authorized && r.path.includes('git-upload-pack')), wc, TOKEN);
  }, 420_000);

  it('over SSH: a login without the key is refused; the poller and the checkout use the key from the secrets, and it is never shown', async () => {
    // without the right key: refused by sshd (the repository needs the key)
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(root, 'wrong_key')]);
    writeFileSync(path.join(root, 'known_hosts'), sshd!.knownHosts);
    const wrong = spawnSync('git', ['ls-remote', sshUrl], {
      env: { PATH: '/usr/bin:/bin', HOME: root, GIT_SSH_COMMAND: `ssh -i ${path.join(root, 'wrong_key')} -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=${path.join(root, 'known_hosts')}` },
      encoding: 'utf8',
    });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/Permission denied \(publickey\)/);

    // the poller logs in by key; a line of the key's body is the secret to look for
    await pushBuildsGreenWithout(() => /Accepted publickey/.test(sshd!.log()), sshWc, sshKey.split('\n')[1]!);
  }, 420_000);
});
