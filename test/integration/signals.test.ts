/**
 * SIGINT/SIGTERM through real processes: each row starts a command, waits until it is busy, sends
 * the signal and checks the exit code (130/143), the message, that no output file or temporary
 * file is left and that nothing happened after the signal. Add a command by adding a row.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { baseConfig } from '../support/generate-config.js';
import { components, describeWith, BASE_IMAGE, type Component } from '../support/integration.js';
import { freePort, until } from '../support/ports.js';
import { CLI } from '../support/run-cli.js';
import { sendJson, startTestServer, type TestServer } from '../support/http-server.js';
import { startTestDevcluster, type TestDevcluster } from '../support/devcluster.js';
import { MarathonClient } from '../../src/marathon/client.js';

const root = mkdtempSync(path.join(tmpdir(), 'bbm-signals-'));
const servers: TestServer[] = [];
const images: string[] = [];
const clusters: TestDevcluster[] = [];
afterAll(async () => {
  for (const image of images) spawnSync('docker', ['rmi', image]);
  for (const dc of clusters) await dc.destroy();
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

interface Row {
  name: string;
  needs: Component[];
  signal: 'SIGINT' | 'SIGTERM';
  /** Prepares a folder; returns the arguments and what "busy" looks like: a line on stderr, or a probe given the process id. */
  setup(dir: string): Promise<{ args: string[]; busy: RegExp | ((pid: number) => boolean); env?: Record<string, string>; nodeOptions?: string[] }>;
  stderr: RegExp;
  /** Must not be on stderr (e.g. a retry after the signal). */
  notAfter?: RegExp;
  /** What stdout holds (default: nothing). */
  stdout?: RegExp;
  /** Files the folder may hold afterwards (anything else, e.g. *.tmp or output, fails). */
  leaves: string[];
  /** More checks once the process has exited (e.g. that what it says it left is there). */
  after?(stderr: string, dir: string): Promise<void>;
}

/** A never-answering Marathon: the command is busy once its first request arrived. */
async function silentMarathon(): Promise<TestServer> {
  const server = await startTestServer();
  servers.push(server);
  server.handle(() => {});
  return server;
}

/** Processes (id, name) whose parent is `pid`, from /proc. */
function children(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const m = /^\d+ \((.*)\) \S+ (\d+)/s.exec(stat);
      if (m && Number(m[2]) === pid) out.push({ pid: Number(entry), comm: m[1]! });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether any process still runs in `dir` (its working directory). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) found.push(Number(entry));
    } catch {
      // not ours to read, or gone
    }
  }
  return found;
}

/** A Docker app on devcluster whose tasks never pass their health check (nothing listens on 8080). */
const neverHealthy = (id: string) => ({
  id,
  cmd: 'sleep 1000',
  instances: 1,
  cpus: 0.05,
  mem: 16,
  networks: [{ mode: 'container/bridge' }],
  container: { type: 'DOCKER', docker: { image: BASE_IMAGE }, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] },
  healthChecks: [{ protocol: 'MESOS_TCP', portIndex: 0, gracePeriodSeconds: 600, intervalSeconds: 2, timeoutSeconds: 1, maxConsecutiveFailures: 0 }],
  labels: { build: 'never-healthy' },
  taskKillGracePeriodSeconds: 1,
});

/** A TypeScript config that says it is being evaluated, then never finishes. */
const hangingConfig = (dir: string) =>
  writeFileSync(
    path.join(dir, 'ci.config.ts'),
    `import { defineConfig, type CiConfig } from 'buildbot-marathon';\nprocess.stderr.write('config: evaluating\\n');\nsetInterval(() => {}, 1000);\nawait new Promise(() => {});\nexport default defineConfig(${JSON.stringify(baseConfig())} as CiConfig);\n`,
  );

const rows: Row[] = [
  {
    name: 'generate, while the config loads',
    needs: [],
    signal: 'SIGTERM',
    setup: async (dir) => (hangingConfig(dir), { args: ['generate', '--out', 'out/master.cfg'], busy: /config: evaluating/ }),
    stderr: /^bbm: stopped by SIGTERM: nothing written; out\/master\.cfg is as it was$/m,
    leaves: ['ci.config.ts'],
  },
  {
    name: 'generate --check, while the config loads (never exit 0 without comparing)',
    needs: [],
    signal: 'SIGINT',
    setup: async (dir) => (hangingConfig(dir), { args: ['generate', '--check'], busy: /config: evaluating/ }),
    stderr: /^bbm: stopped by SIGINT/m,
    notAfter: /up to date/,
    leaves: ['ci.config.ts'],
  },
  {
    name: 'deploy, while Marathon does not answer',
    needs: [],
    signal: 'SIGTERM',
    setup: async (dir) => {
      const server = await silentMarathon();
      // the app is not there yet (deploy reads it before sending); the PUT is never answered
      server.handle((req, res) => (req.method === 'GET' && req.url === '/v2/apps/sig' ? sendJson(res, 404, { message: "App '/sig' does not exist" }) : undefined));
      writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ id: '/sig', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 32 }));
      return { args: ['deploy', '--app', 'app.json', '--image', 'sig:1', '--marathon-url', server.url, '--follow', 'poll'], busy: () => server.requests.some((r) => r.method === 'PUT') };
    },
    stderr: /^bbm: stopped by SIGTERM: the definition of \/sig was on its way and Marathon did not answer; it may have started a deployment \(see `bbm status --app-id \/sig`\)$/m,
    leaves: ['app.json'],
  },
  {
    name: 'haproxy --watch, while Marathon is away',
    needs: [],
    signal: 'SIGTERM',
    setup: async () => ({ args: ['haproxy', '--watch', '--marathon-url', `http://127.0.0.1:${await freePort()}`, '--out', 'haproxy.cfg'], busy: /reconnecting|retrying/ }),
    stderr: /^bbm: stopped by SIGTERM/m,
    leaves: [],
  },
  {
    name: 'push, between retries against a registry that refuses',
    needs: [components.docker, components.baseImage],
    signal: 'SIGINT',
    setup: async () => {
      const image = `127.0.0.1:${await freePort()}/bbm-signals-harden:1`;
      await new Promise((resolve, reject) => spawn('docker', ['tag', BASE_IMAGE, image]).on('exit', (c) => (c === 0 ? resolve(c) : reject(new Error(`docker tag ${c}`)))));
      images.push(image);
      return { args: ['push', '--image', image, '--retries', '10', '--retry-delay-ms', '20000'], busy: /retry 1 of 10/ };
    },
    stderr: /^bbm: stopped by SIGINT: no further attempt after 1;/m,
    notAfter: /retry 2 of/,
    leaves: [],
  },
  {
    name: 'devcluster, while serving',
    needs: [components.docker],
    signal: 'SIGTERM',
    setup: async () => ({ args: ['devcluster', '--port', '0', '--state-dir', 'state', '--name', 'harden-signals'], busy: /listening|devcluster: state in/ }),
    stderr: /^bbm: stopped by SIGTERM/m,
    stdout: /^devcluster listening on http:\/\/127\.0\.0\.1:\d+\n$/,
    leaves: ['state'],
  },
  {
    name: 'build, while a RUN step runs',
    needs: [components.docker, components.baseImage],
    signal: 'SIGINT',
    setup: async (dir) => {
      writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nRUN echo step-started && sleep 60\n`);
      return { args: ['build', '--image', 'bbm-signals-harden-build:1'], busy: /step-started/ };
    },
    stderr: /^bbm: stopped by SIGINT/m,
    leaves: ['Dockerfile'],
  },
  {
    name: 'tag, while git is blocked reading the checkout',
    needs: [components.git],
    signal: 'SIGINT',
    setup: async (dir) => {
      execFileSync('git', ['init', '-q', dir]);
      execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'one']);
      execFileSync('git', ['-C', dir, 'tag', 'v1.0']);
      // HEAD becomes a FIFO nobody writes to: git blocks opening it, as on a file system that hangs
      renameSync(path.join(dir, '.git/HEAD'), path.join(dir, '.git/HEAD.saved'));
      execFileSync('mkfifo', [path.join(dir, '.git/HEAD')]);
      return { args: ['tag', '--project', 'sig', '--build-number', '1', '--branch', 'main'], busy: (pid) => children(pid).some((c) => c.comm === 'git') };
    },
    stderr: /^bbm: stopped by SIGINT: no tag printed; bbm tag only reads \S+, which is as it was$/m,
    leaves: ['.git'],
    after: async (_stderr, dir) => {
      // the git it started is gone too (the stop kills it), not left blocked in the checkout
      await until('git to be gone', () => processesIn(dir).length === 0, 10_000, 50);
    },
  },
  {
    name: 'detect, while its code loads from a disk that hangs',
    needs: [],
    signal: 'SIGTERM',
    setup: async (dir) => {
      writeFileSync(path.join(dir, 'go.mod'), 'module example.com/sig\n');
      // the module hook holds dist/bbm/detect-layout.js (the command's work, loaded after its stop
      // handling is in place) forever and says so on stderr
      return {
        args: ['detect'],
        busy: /holding .*\/detect-layout\.js/,
        env: { BBM_TEST_HOLD_MODULE: '/dist/bbm/detect-layout.js' },
        nodeOptions: ['--import', path.resolve(import.meta.dirname, '../support/hold-module.mjs')],
      };
    },
    stderr: /^bbm: stopped by SIGTERM: nothing printed; bbm detect only reads \S+$/m,
    leaves: ['go.mod'],
  },
  {
    name: 'status, while Marathon does not answer',
    needs: [],
    signal: 'SIGTERM',
    setup: async () => {
      const server = await silentMarathon();
      return { args: ['status', '--app-id', '/sig', '--marathon-url', server.url], busy: () => server.requests.length > 0 };
    },
    stderr: /^bbm: stopped by SIGTERM: nothing printed; bbm status only reads \/sig from http:\/\/127\.0\.0\.1:\d+, nothing was changed$/m,
    leaves: [],
  },
  {
    name: 'endpoints, while Marathon does not answer',
    needs: [],
    signal: 'SIGINT',
    setup: async () => {
      const server = await silentMarathon();
      return { args: ['endpoints', '--json', '--marathon-url', server.url], busy: () => server.requests.length > 0 };
    },
    stderr: /^bbm: stopped by SIGINT: nothing printed; bbm endpoints only reads the apps of http:\/\/127\.0\.0\.1:\d+, nothing was changed$/m,
    leaves: [],
  },
  {
    name: 'rollback, while its deployment waits for health (devcluster)',
    needs: [components.docker, components.baseImage],
    signal: 'SIGTERM',
    setup: async () => {
      const dc = await startTestDevcluster({ name: 'harden-signals-rb' });
      clusters.push(dc);
      const client = new MarathonClient({ url: dc.url });
      try {
        // version 1 never gets healthy; version 2 (forced over it) has no health check and runs
        const v1 = await client.putApp(neverHealthy('/sig/rb') as never, { force: true });
        const v2 = await client.putApp({ ...neverHealthy('/sig/rb'), healthChecks: [], labels: { build: 'two' } } as never, { force: true });
        await until('version 2 to be deployed', async () => (await client.getDeployments()).every((d) => d.version !== v2.version) || undefined, 120_000, 250);
        return { args: ['rollback', '--app-id', '/sig/rb', '--to', v1.version, '--marathon-url', dc.url, '--timeout', '600'], busy: /^deployment \S+, new version/m };
      } finally {
        await client.close();
      }
    },
    stderr: /^bbm: stopped by SIGTERM: rollback deployment \S+ of \/sig\/rb is left running in Marathon: \/sig\/rb goes from configuration \S+ to \S+ \(version \S+\); see `bbm status --app-id \/sig\/rb`, cancel it with DELETE http:\/\/127\.0\.0\.1:\d+\/v2\/deployments\/\S+$/m,
    leaves: [],
    after: async (stderr) => {
      // what it says it left is what Marathon shows: that deployment, still running
      const id = /rollback deployment (\S+) of/.exec(stderr)![1]!;
      const dc = clusters[clusters.length - 1]!;
      const client = new MarathonClient({ url: dc.url });
      try {
        expect((await client.getDeployments()).map((d) => d.id)).toContain(id);
      } finally {
        await client.close();
      }
    },
  },
];

const exits: string[] = [];
afterAll(() => process.stderr.write(`signals: time from signal to exit: ${exits.join(', ')}\n`));

for (const row of rows) {
  const d = await describeWith(row.needs);
  d(`bbm stopped by ${row.signal}: ${row.name}`, () => {
    it('exits 128+signal, says so, leaves no output or temporary file', async () => {
      const dir = path.join(root, row.name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      const { args, busy, env, nodeOptions } = await row.setup(dir);
      const cleanEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BBM_')) cleanEnv[k] = v;
      const child = spawn(process.execPath, [...(nodeOptions ?? []), CLI, ...args], { cwd: dir, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const isBusy = () => (typeof busy === 'function' ? busy(child.pid!) : busy.test(stderr));
        await until(`${args[0]} to be busy`, () => isBusy() || (child.exitCode !== null ? Promise.reject(new Error(`exited early: ${stderr}`)) : false), 180_000, 50);
        const before = stderr.length;
        const sent = Date.now();
        child.kill(row.signal);
        const code = await Promise.race([exited, new Promise<'hang'>((r) => setTimeout(() => r('hang'), 30_000))]);
        exits.push(`${row.name}: ${Date.now() - sent} ms`);
        expect(code, stderr).toBe(row.signal === 'SIGINT' ? 130 : 143);
        expect(stderr).toMatch(row.stderr);
        expect(stderr).not.toMatch(/internal error|\n\s+at /);
        if (row.notAfter) expect(stderr.slice(before)).not.toMatch(row.notAfter);
        if (row.stdout) expect(stdout).toMatch(row.stdout);
        else expect(stdout).toBe('');
        expect(readdirSync(dir).sort()).toEqual([...row.leaves].sort());
        await row.after?.(stderr, dir);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
}
