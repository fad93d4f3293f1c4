import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BbmError } from '../../src/errors.js';
import { runGenerate, type GenerateOptions } from '../../src/generate.js';
import { memoryReporter } from '../../src/reporter.js';
import { baseConfig } from '../support/generate-config.js';

const repo = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repo, 'dist/cli.js');
/** Through the real CLI: exit codes and stderr as a user sees them (slower: a process each). */
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [cli, 'generate', ...args], { cwd, encoding: 'utf8' });

/** The same library call in-process (ts-morph loads once for the file): status and message like the CLI's. */
async function gen(cwd: string, options: GenerateOptions = {}): Promise<{ status: number; stderr: string }> {
  const reporter = memoryReporter();
  try {
    await runGenerate(options, { cwd, env: {}, reporter, stdout: () => {} });
    return { status: 0, stderr: reporter.lines.join('\n') };
  } catch (error) {
    if (!(error instanceof BbmError)) throw error;
    return { status: error.exitCode, stderr: `${error.message}\n${error.hint ?? ''}` };
  }
}

const root = mkdtempSync(path.join(tmpdir(), 'bbm-generate-'));
let n = 0;
function dirWith(files: Record<string, string>): string {
  const dir = path.join(root, String(n++));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    spawnSync('mkdir', ['-p', path.dirname(file)]);
    writeFileSync(file, text);
  }
  return dir;
}

const tsConfig = (body: string) => `import { defineConfig } from 'buildbot-marathon';\n\nexport default defineConfig(${body});\n`;

describe('bbm generate', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("keeps the repository's generated/master.cfg in step with ci.config.ts", () => {
    const r = run(repo, '--check');
    expect(r.stderr).toMatch(/generated\/master\.cfg is up to date/);
    expect(r.status).toBe(0);
  });

  it('writes master.cfg from a TypeScript config that imports defineConfig, outside this repository', async () => {
    const dir = dirWith({ 'ci.config.ts': tsConfig(JSON.stringify(baseConfig(), null, 2)) });
    const r = await gen(dir);
    expect(r.status, r.stderr).toBe(0);
    const out = readFileSync(path.join(dir, 'generated/master.cfg'), 'utf8');
    expect(out).toMatch(/^# -\*- python -\*-\n# generated from ci\.config\.ts/);
    expect(out).toContain("'name': 'webApp'");
    expect((await gen(dir, { check: true })).status).toBe(0);
  });

  it('reports a type error as file:LINE:COL, exits 2 and writes nothing', () => {
    const c = JSON.stringify(baseConfig(), null, 2).replace('"python"', '"pyton"');
    const dir = dirWith({ 'ci.config.ts': tsConfig(c) });
    const r = run(dir);
    expect(r.status).toBe(2);
    const line = tsConfig(c).split('\n').findIndex((l) => l.includes('pyton')) + 1;
    expect(r.stderr).toMatch(new RegExp(`ci\\.config\\.ts:${line}:\\d+: Type '"pyton"' is not assignable`));
    expect(r.stderr).toMatch(/nothing was generated/);
    expect(existsSync(path.join(dir, 'generated'))).toBe(false);
  });

  it('reports every validation problem with its path, exits 2 and writes nothing', async () => {
    const c = baseConfig([
      { name: 'webApp', repo: 'a', deploy: { branches: ['release'] } },
      { name: 'webapp', repo: 'b', repository: 'Bad Repo' },
    ]);
    const dir = dirWith({ 'ci.config.ts': tsConfig(JSON.stringify(c)) });
    const r = await gen(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ci\.config\.ts is not valid: 3 problems/);
    expect(r.stderr).toMatch(/projects\[0\]\.deploy\.branches: deploy branch "release" is not built/);
    expect(r.stderr).toMatch(/projects\[1\]\.repository: "Bad Repo" is not a valid Docker repository name .*use "bad-repo"/);
    expect(r.stderr).toMatch(/projects\[1\]\.name: duplicate project name/);
    expect(existsSync(path.join(dir, 'generated'))).toBe(false);
  });

  it('accepts ci.config.json, validates it without types, and --check finds a stale file', async () => {
    const dir = dirWith({ 'ci.config.json': JSON.stringify(baseConfig()) });
    expect((await gen(dir)).status).toBe(0);
    expect((await gen(dir, { check: true })).status).toBe(0);
    writeFileSync(path.join(dir, 'ci.config.json'), JSON.stringify({ ...baseConfig(), registry: 'other.example.com' }));
    const stale = run(dir, '--check');
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/generated\/master\.cfg is stale/);
    expect(stale.stderr).toMatch(/run `bbm generate`/);
    writeFileSync(path.join(dir, 'ci.config.json'), JSON.stringify({ ...baseConfig(), projects: 'none' }));
    const bad = await gen(dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/projects: must be a list, got "none"/);
  });

  it('points at broken JSON by line and column', async () => {
    const dir = dirWith({ 'ci.config.json': '{\n  "registry": "x",\n  oops\n}' });
    const r = await gen(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ci\.config\.json:3:\d+ is not valid JSON/);
  });

  it('exits 2 when there is no config, no default export, or the config throws', async () => {
    expect((await gen(dirWith({ 'x.txt': '' }))).stderr).toMatch(/no config found .*ci\.config\.ts, ci\.config\.mts, ci\.config\.json/);
    const noDefault = await gen(dirWith({ 'ci.config.ts': 'export const x = 1;\n' }));
    expect(noDefault.status).toBe(2);
    expect(noDefault.stderr).toMatch(/has no default export/);
    const throws = await gen(dirWith({ 'ci.config.ts': "throw new Error('boom');\nexport default {};\n" }));
    expect(throws.status).toBe(2);
    expect(throws.stderr).toMatch(/failed while being evaluated: boom/);
  });

  it('--out and --config choose the files', async () => {
    const dir = dirWith({ 'conf/my.config.json': JSON.stringify(baseConfig()) });
    const r = await gen(dir, { config: 'conf/my.config.json', out: 'out/m.cfg' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out/m.cfg'), 'utf8')).toMatch(/generated from my\.config\.json/);
  });
});
