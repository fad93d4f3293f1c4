#!/usr/bin/env node
// `npm run bench`: runs every bench/cases/*.mjs in turn and prints its rows. Each case exports
// `default async function (ctx) → [{ name, value, unit, note? }]`, and measures what it compares
// against in the same run (a baseline row beside each number). No case asserts on time.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const only = process.argv.slice(2);
const files = (await readdir(path.join(here, 'cases'))).filter((f) => f.endsWith('.mjs')).sort();
const ctx = { root, cli: path.join(root, 'dist', 'cli.js') };
let failed = 0;
for (const file of files) {
  const name = file.replace(/\.mjs$/, '');
  if (only.length && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name}\n`);
  try {
    const mod = await import(pathToFileURL(path.join(here, 'cases', file)).href);
    const rows = await mod.default(ctx);
    for (const r of rows) {
      const v = typeof r.value === 'number' ? r.value.toFixed(r.digits ?? 1) : String(r.value);
      process.stdout.write(`${r.name.padEnd(58)} ${v.padStart(12)} ${r.unit ?? ''}${r.note ? `   (${r.note})` : ''}\n`);
    }
  } catch (error) {
    failed++;
    process.stdout.write(`FAILED: ${error?.stack ?? error}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
