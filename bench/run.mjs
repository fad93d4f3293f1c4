#!/usr/bin/env node
// `npm run bench`: runs every bench/cases/*.mjs in turn and prints its rows. Each case exports
// `default async function (ctx) → [{ name, value, unit, note?, digits?, baseline? }]`, and measures
// what it compares against in the same run (a baseline row beside each number). No case asserts on
// time. The results go to bench/report/ (or BBM_BENCH_OUT): results.json, one SVG chart per case
// and index.html to open in a browser (bench/report.mjs renders them).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { describeMachine, renderCaseSvg, renderIndexHtml } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const only = process.argv.slice(2);
const files = readdirSync(path.join(here, 'cases')).filter((f) => f.endsWith('.mjs')).sort();
const ctx = { root, cli: path.join(root, 'dist', 'cli.js') };
const outDir = path.resolve(process.env.BBM_BENCH_OUT ?? path.join(here, 'report'));
let commit;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  commit = undefined;
}
const machine = {
  cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
  cpus: os.availableParallelism?.() ?? os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.versions.node,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  loadStart: os.loadavg(),
  loadEnd: [],
  date: new Date().toISOString(),
  commit,
};
const results = { machine, cases: {} };
let failed = 0;
for (const file of files) {
  const name = file.replace(/\.mjs$/, '');
  if (only.length && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name}   (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
  const loadBefore = os.loadavg();
  try {
    const mod = await import(pathToFileURL(path.join(here, 'cases', file)).href);
    const rows = await mod.default(ctx);
    for (const r of rows) {
      const v = typeof r.value === 'number' ? r.value.toFixed(r.digits ?? 1) : String(r.value);
      process.stdout.write(`${r.name.padEnd(58)} ${v.padStart(12)} ${r.unit ?? ''}${r.note ? `   (${r.note})` : ''}\n`);
    }
    results.cases[name] = { rows, loadBefore, loadAfter: os.loadavg() };
  } catch (error) {
    failed++;
    process.stdout.write(`FAILED: ${error?.stack ?? error}\n`);
    results.cases[name] = { error: String(error?.message ?? error), rows: [], loadBefore, loadAfter: os.loadavg() };
  }
}
machine.loadEnd = os.loadavg();
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
for (const [name, c] of Object.entries(results.cases)) {
  if (!c.error) writeFileSync(path.join(outDir, `${name}.svg`), renderCaseSvg(name, c.rows, { machine: describeMachine(machine) }));
}
writeFileSync(path.join(outDir, 'index.html'), renderIndexHtml(results));
process.stdout.write(`\nreport: ${path.join(outDir, 'index.html')} (results.json and one SVG per case beside it)\n`);
process.exitCode = failed ? 1 : 0;
