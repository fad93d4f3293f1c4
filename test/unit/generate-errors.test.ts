/**
 * bbm generate: config diagnostics and output-path problems are exit 2 with a clear message, never
 * "internal error" or a stack trace. Cases are rows: add one by adding a row.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BbmError } from '../../src/errors.js';
import { runGenerate, type GenerateOptions } from '../../src/generate.js';
import { memoryReporter } from '../../src/reporter.js';
import { baseConfig } from '../support/generate-config.js';

const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
const root = mkdtempSync(path.join(tmpdir(), 'bbm-generate-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function dirWith(files: Record<string, string>): string {
  const dir = path.join(root, String(n++));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function gen(cwd: string, options: GenerateOptions = {}): Promise<{ status: number; text: string }> {
  const reporter = memoryReporter();
  try {
    await runGenerate(options, { cwd, env: {}, reporter, stdout: () => {} });
    return { status: 0, text: reporter.lines.join('\n') };
  } catch (error) {
    if (!(error instanceof BbmError)) throw error; // an internal error fails the test with its stack
    return { status: error.exitCode, text: `${error.message}\n${error.hint ?? ''}` };
  }
}

const head = "import { defineConfig, type CiConfig } from 'buildbot-marathon';\n";
const body = JSON.stringify(baseConfig(), null, 2);

describe('config diagnostics', () => {
  it.each([
    [
      'a type error in the `const c = {…}; defineConfig(c)` shape prints the whole chained message',
      `${head}const c = ${body.replace('"python"', '"pyton"')};\nexport default defineConfig(c);\n`,
      /ci\.config\.ts:\d+:\d+: Argument of type .*\n\s+Types of property 'projects' are incompatible/,
    ],
    ['a getter that throws names its path', `${head}const c: CiConfig = ${body};\nObject.defineProperty(c, 'registry', { enumerable: true, get() { throw new Error('no registry today'); } });\nexport default defineConfig(c);\n`, /registry: reading it threw: no registry today/],
    ['a function or a cycle in the config is refused with its path', `${head}const c: any = ${body};\nc.projects[0].name = () => 'x';\nexport default defineConfig(c);\n`, /projects\[0\]\.name: a function is not config data/],
    ['process.exit() in the config', `${head}process.exit(0);\nexport default defineConfig(${body} as CiConfig);\n`, /ended the process \(exit code 0\)/],
  ])('%s', async (_name, text, message) => {
    const r = await gen(dirWith({ 'ci.config.ts': text }));
    expect(r.status, r.text).toBe(2);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/: undefined$/m);
  });

  it('environment mistakes are config errors at ci.config.ts:LINE (unknown environment, promotion cycle, nothing reaches)', async () => {
    const text = [
      "import { defineConfig } from 'buildbot-marathon';",
      'export default defineConfig({',
      "  registry: '127.0.0.1:5000',",
      "  environments: { staging: { url: 'http://s:1' }, production: { url: 'http://p:1' }, dr: { url: 'http://d:1' } },",
      "  buildbot: { url: 'http://b:8010/', workers: [{ name: 'w' }] },",
      "  projects: [{ name: 'hello', repo: 'r', type: 'docker', deploy: { environments: {",
      "    staging: { promoteFrom: 'production' },",
      "    production: { promoteFrom: 'staging' },",
      '    dr: {},',
      "    qa: { branches: ['master'] },",
      '  } } }],',
      '});',
      '',
    ].join('\n');
    const r = await gen(dirWith({ 'ci.config.ts': text }));
    expect(r.status, r.text).toBe(2);
    expect(r.text).toMatch(/ci\.config\.ts:10: projects\[0\]\.deploy\.environments\.qa: unknown environment "qa"/);
    expect(r.text).toMatch(/ci\.config\.ts:7: projects\[0\]\.deploy\.environments\.staging\.promoteFrom: promotion cycle staging ← production ← staging/);
    expect(r.text).toMatch(/ci\.config\.ts:9: projects\[0\]\.deploy\.environments\.dr: nothing reaches this environment/);
  });

  it('node: imports type-check and run, as the docs allow', async () => {
    const dir = dirWith({
      'registry.txt': 'registry.example.org\n',
      'ci.config.ts': `${head}import { readFileSync } from 'node:fs';\nimport path from 'node:path';\nconst c: CiConfig = ${body};\nc.registry = readFileSync(path.join(process.cwd(), 'registry.txt'), 'utf8').trim();\nexport default defineConfig(c);\n`,
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await gen(dir);
      expect(r.status, r.text).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  it.each([
    ['a promise that never settles', `${head}setInterval(() => {}, 1000);\nawait new Promise(() => {});\nexport default defineConfig(${body} as CiConfig);\n`],
    ['an endless loop', `${head}for (;;) {}\n`],
  ])('%s is stopped after --config-timeout with exit 2', async (_name, text) => {
    const dir = dirWith({ 'ci.config.ts': text });
    const r = await gen(dir, { configTimeoutSeconds: 1 });
    expect(r.status, r.text).toBe(2);
    expect(r.text).toMatch(/ci\.config\.ts did not finish loading within 1 s \(stopped\)/);
    expect(r.text).toMatch(/--config-timeout/);
    expect(existsSync(path.join(dir, 'generated/master.cfg'))).toBe(false);
  });

  it('through the CLI: a throwing getter is exit 2 without a stack trace', () => {
    const dir = dirWith({ 'ci.config.ts': `${head}const c: CiConfig = ${body};\nObject.defineProperty(c, 'projects', { enumerable: true, get() { throw new TypeError('bad'); } });\nexport default defineConfig(c);\n` });
    const r = spawnSync(process.execPath, [cli, 'generate'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^bbm: error: ci\.config\.ts: the exported config is not plain data: projects: reading it threw: bad/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

describe('output path problems (exit 2, the path and the fix, nothing spins)', () => {
  const json = JSON.stringify(baseConfig());
  const cases: [string, (dir: string) => string, RegExp, RegExp][] = [
    ['a folder', (dir) => (mkdirSync(path.join(dir, 'out')), 'out'), /--out out is a folder, not a file/, /--out out\/master\.cfg/],
    ['under a file', (dir) => (writeFileSync(path.join(dir, 'plain'), ''), 'plain/master.cfg'), /--out plain\/master\.cfg: a part of the path is a file/, /folders are folders/],
    ['not writable', () => '/sys/kernel/bbm-master.cfg', /--out \/sys\/kernel\/bbm-master\.cfg: not writable here \((EACCES|EPERM|EROFS)\)/, /folder you may write to/],
  ];
  if (process.getuid?.() !== 0) {
    cases.push(['in a read-only folder', (dir) => (mkdirSync(path.join(dir, 'ro')), chmodSync(path.join(dir, 'ro'), 0o500), 'ro/master.cfg'), /not writable here/, /permissions/]);
  }
  it.each(cases)('--out %s', async (_name, make, message, fix) => {
    const dir = dirWith({ 'ci.config.json': json });
    const out = make(dir);
    const r = await gen(dir, { out });
    expect(r.status, r.text).toBe(2);
    expect(r.text).toMatch(message);
    expect(r.text).toMatch(fix);
  });

  it('a missing parent folder is made (as generated/ is)', async () => {
    const dir = dirWith({ 'ci.config.json': json });
    expect((await gen(dir, { out: 'a/b/master.cfg' })).status).toBe(0);
    expect(existsSync(path.join(dir, 'a/b/master.cfg'))).toBe(true);
  });

  it('--check never passes without having compared: a missing file is exit 1, a folder exit 2', async () => {
    const dir = dirWith({ 'ci.config.json': json });
    const missing = await gen(dir, { check: true, out: 'nope/master.cfg' });
    expect(missing.status).toBe(1);
    expect(missing.text).toMatch(/nope\/master\.cfg is missing/);
    mkdirSync(path.join(dir, 'folder'));
    const folder = await gen(dir, { check: true, out: 'folder' });
    expect(folder.status, folder.text).toBe(2);
    expect(folder.text).toMatch(/is a folder/);
  });
});

describe('keys that name JavaScript internals in a JSON config (exit 2 at file:line, nothing written)', () => {
  const pretty = (c: unknown) => JSON.stringify(c, null, 2);
  const withProject = (extra: Record<string, unknown>) => pretty({ ...baseConfig(), projects: [{ ...baseConfig().projects[0], ...extra }] });
  it.each<[string, string, RegExp]>([
    // JSON.parse keeps "__proto__" as an ordinary own key; written by hand it has to be placed in the text
    ['__proto__ at the top', pretty(baseConfig()).replace('{\n', '{\n  "__proto__": { "polluted": true },\n'), /^ci\.config\.json:2: __proto__: the key "__proto__" is not allowed in a config$/m],
    ['constructor in a project', withProject({ constructor: { name: 'x' } }), /^ci\.config\.json:\d+: projects\[0\]\.constructor: the key "constructor" is not allowed/m],
    ['prototype deep in buildbot', pretty({ ...baseConfig(), buildbot: { ...baseConfig().buildbot, workers: [{ name: 'w', prototype: 1 }] } }), /^ci\.config\.json:\d+: buildbot\.workers\[0\]\.prototype: the key "prototype"/m],
  ])('%s', async (_name, text, message) => {
    const dir = dirWith({ 'ci.config.json': text });
    const r = await gen(dir, { out: 'master.cfg' });
    expect(r.status, r.text).toBe(2);
    expect(r.text).toMatch(message);
    expect(r.text).toMatch(/remove the key/);
    expect(existsSync(path.join(dir, 'master.cfg'))).toBe(false);
    // the line named is the line holding the key
    const line = Number(/^ci\.config\.json:(\d+):/m.exec(r.text)![1]);
    expect(text.split('\n')[line - 1]).toMatch(/"(__proto__|constructor|prototype)"/);
  });
});
