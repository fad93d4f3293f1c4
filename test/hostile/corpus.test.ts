/** Runs every row of corpus.ts through the real CLI (see there for what is asserted). */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/http-server.js';
import { components, describeWith, type Suite } from '../support/integration.js';
import { CLI } from '../support/run-cli.js';
import { CORPUS, EXIT_CODE, SHELL_PAYLOADS, type HostileCase } from './corpus.js';

const root = mkdtempSync(path.join(tmpdir(), 'bbm-hostile-'));
let marathon: TestServer;
let apps: unknown[] = [];
beforeAll(async () => {
  marathon = await startTestServer();
  marathon.handle((req, res) => {
    if (req.url.startsWith('/v2/apps')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ apps }));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"not found"}');
  });
});
afterAll(async () => {
  await marathon?.close();
  rmSync(root, { recursive: true, force: true });
});

const STACK = /\n\s+at [^\n]*:\d+:\d+\)?$|internal error/m;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => !f.includes(`${path.sep}.git${path.sep}`) && statSync(f).isFile());
}

function run(args: string[], cwd: string, env: Record<string, string> = {}, stopWhen?: RegExp): Promise<{ code: number | null; out: string }> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BBM_')) clean[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    let stopped = false;
    const watch = (): void => {
      if (stopWhen && !stopped && stopWhen.test(out)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

describe('the canary payloads', () => {
  it('do create the canary when a shell sees them (so their absence below means no shell ran them)', () => {
    const dir = mkdtempSync(path.join(root, 'control-'));
    const canary = path.join(dir, 'canary');
    for (const p of SHELL_PAYLOADS) {
      spawnSync('sh', ['-c', `echo ${p.replaceAll('CANARY', canary)}`], { cwd: dir });
      expect(existsSync(canary), p).toBe(true);
      rmSync(canary);
    }
  });
});

const suites: Record<string, Suite> = {
  none: (name, body) => describe(name, body),
  git: await describeWith([components.git]),
  haproxy: await describeWith([components.haproxy]),
};

let n = 0;
for (const c of CORPUS) {
  suites[c.needs ?? 'none']!(`hostile input: ${c.name}`, () => {
    it(`exit ${c.exit.join('|')}, no stack, no canary, no secret`, async () => {
      const dir = path.join(root, String(n++));
      mkdirSync(dir);
      const canary = path.join(dir, 'canary');
      const sub = (s: string) => s.replaceAll('CANARY', canary).replaceAll('MARATHON', marathon.url);
      const inputs = new Map<string, string>();
      for (const [name, text] of Object.entries(c.files ?? {})) {
        writeFileSync(path.join(dir, name), typeof text === 'string' ? sub(text) : text);
        inputs.set(path.join(dir, name), readFileSync(path.join(dir, name), 'latin1'));
      }
      if (c.needs === 'git') {
        const git = (...a: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...a], { cwd: dir });
        git('init', '-q');
        git('commit', '-q', '--allow-empty', '-m', 'x');
        git('tag', 'v1');
      }
      apps = c.marathonApps ? JSON.parse(sub(JSON.stringify(c.marathonApps))) : [];
      const r = await run(c.args.map(sub), dir, c.env, c.stopWhen);

      expect(c.exit.map((e) => EXIT_CODE[e]), r.out).toContain(r.code);
      expect(r.out).not.toMatch(STACK);
      expect(existsSync(canary), 'a payload ran').toBe(false);
      if (c.output) expect(r.out).toMatch(c.output);
      const written = filesUnder(dir).filter((f) => inputs.get(f) !== readFileSync(f, 'latin1'));
      for (const secret of c.secrets ?? []) {
        expect(r.out, 'secret in the output').not.toContain(secret);
        for (const f of written) expect(readFileSync(f, 'latin1'), `secret in ${f}`).not.toContain(secret);
      }
      const cfg = path.join(dir, 'haproxy.cfg');
      if (existsSync(cfg)) expect(readFileSync(cfg, 'utf8')).not.toMatch(/^\s*(acl pwned|frontend evil)/m);
    });
  });
}
