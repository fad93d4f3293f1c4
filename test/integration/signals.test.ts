/**
 * SIGINT/SIGTERM through real processes: each row starts a command, waits until it is busy, sends
 * the signal and checks the exit code (130/143), the message, that no output file or temporary
 * file is left and that nothing happened after the signal. Add a command by adding a row.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { baseConfig } from '../support/generate-config.js';
import { components, describeWith, BASE_IMAGE, type Component } from '../support/integration.js';
import { freePort, until } from '../support/ports.js';
import { CLI } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/http-server.js';

const root = mkdtempSync(path.join(tmpdir(), 'bbm-signals-'));
const servers: TestServer[] = [];
const images: string[] = [];
afterAll(async () => {
  for (const image of images) spawnSync('docker', ['rmi', image]);
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

interface Row {
  name: string;
  needs: Component[];
  signal: 'SIGINT' | 'SIGTERM';
  /** Prepares a folder; returns the arguments and what "busy" looks like on stderr. */
  setup(dir: string): Promise<{ args: string[]; busy: RegExp; env?: Record<string, string> }>;
  stderr: RegExp;
  /** Must not be on stderr (e.g. a retry after the signal). */
  notAfter?: RegExp;
  /** What stdout holds (default: nothing). */
  stdout?: RegExp;
  /** Files the folder may hold afterwards (anything else, e.g. *.tmp or output, fails). */
  leaves: string[];
}

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
      const server = await startTestServer();
      servers.push(server);
      server.handle(() => {}); // never answers
      writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ id: '/sig', cmd: 'sleep 1000', instances: 1, cpus: 0.1, mem: 32 }));
      return { args: ['deploy', '--app', 'app.json', '--image', 'sig:1', '--marathon-url', server.url, '--follow', 'poll'], busy: /./ };
    },
    stderr: /stopped by SIGTERM/,
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
];

const exits: string[] = [];
afterAll(() => process.stderr.write(`signals: time from signal to exit: ${exits.join(', ')}\n`));

for (const row of rows) {
  const d = await describeWith(row.needs);
  d(`bbm stopped by ${row.signal}: ${row.name}`, () => {
    it('exits 128+signal, says so, leaves no output or temporary file', async () => {
      const dir = path.join(root, row.name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      const { args, busy, env } = await row.setup(dir);
      const cleanEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BBM_')) cleanEnv[k] = v;
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await until(`${args[0]} to be busy`, () => busy.test(stderr) || (child.exitCode !== null ? Promise.reject(new Error(`exited early: ${stderr}`)) : false), 180_000, 50);
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
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
}
