// Builds the web console (src/console) into the www plugin's static folder: one minified ES module,
// its stylesheet and index.html. Offline (esbuild from node_modules). Run by `npm run build`.
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src', 'console');
const out = path.join(root, 'buildbot', 'master', 'console', 'bbm_console', 'static');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(out, 'console.js'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['chrome120', 'firefox120'],
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'console.css']) copyFileSync(path.join(src, f), path.join(out, f));
// Buildbot renders the base plugin's index.html as a Jinja2 template and sends it encoded as ASCII
// (buildbot/www/config.py, IndexResource): keep it free of template syntax and of non-ASCII characters.
const index = readFileSync(path.join(out, 'index.html'), 'utf8');
if (/\{[{%#]/.test(index)) throw new Error('src/console/index.html must not contain {{, {% or {#');
if (/[^\x00-\x7f]/.test(index)) throw new Error('src/console/index.html must be ASCII (use HTML entities)');
if (process.argv.includes('--size')) {
  let total = 0;
  for (const f of ['index.html', 'console.css', 'console.js']) {
    const bytes = readFileSync(path.join(out, f));
    const gz = gzipSync(bytes, { level: 9 }).length;
    total += gz;
    console.log(`${f}: ${statSync(path.join(out, f)).size} bytes, ${gz} gzipped`);
  }
  console.log(`total gzipped: ${total} bytes (${(total / 1024).toFixed(1)} KiB)`);
}
