// Bundles the `bbm` entry (package.json "bin": dist/cli.js) with esbuild after tsc has written dist/:
// start-up is most of a build step's own time (docs/performance.md), and Node's ES module loader pays
// for every file it reads. So each part is ONE file, loaded only when needed:
//   dist/cli.js             the entry (tsc's is replaced): fast paths, command table, error boundary
//   dist/bbm/<command>.js   a command with all the library code it uses (loaded when it runs)
//   dist/bbm/cli-yargs.js   yargs, bundled in, for help and mistakes only
//   dist/bbm/detect-layout.js   detect's work, loaded when the detect command runs
//   dist/bbm/errors.js, cli-context.js   shared by all of them: the error classes (cli.ts maps them
//                           to exit codes by instanceof) and the run's one abort signal exist once.
// Runtime dependencies other than yargs stay in node_modules, required on first use. The library ("main": dist/index.js and
// the config evaluation worker) stays tsc's output.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = (p) => path.join(root, 'src', p);
const dist = path.join(root, 'dist');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

const commands = readdirSync(src('commands'))
  .filter((f) => f.endsWith('.ts') && f !== 'define.ts' && /\bdefineCommand</.test(readFileSync(src(`commands/${f}`), 'utf8')))
  .map((f) => [src(`commands/${f}`), path.join(dist, 'bbm', f.replace(/\.ts$/, '.js'))]);
/** Every separately built file: source → output. An import of one from another stays an import. */
const parts = new Map([
  [src('cli.ts'), path.join(dist, 'cli.js')],
  [src('cli-yargs.ts'), path.join(dist, 'bbm', 'cli-yargs.js')],
  [src('errors.ts'), path.join(dist, 'bbm', 'errors.js')],
  [src('cli-context.ts'), path.join(dist, 'bbm', 'cli-context.js')],
  // detect's work (reading the checkout) is loaded only once the command runs, after its stop
  // handling is in place: a stop while it loads or reads says what bbm detect leaves (nothing)
  [src('detect.ts'), path.join(dist, 'bbm', 'detect-layout.js')],
  ...commands,
]);

const otherParts = (self) => ({
  name: 'other-parts',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const js = path.resolve(args.resolveDir, args.path);
      const ts = js.replace(/\.js$/, '.ts');
      const out = parts.get(ts);
      if (!out || ts === self) return undefined;
      let rel = path.relative(path.dirname(parts.get(self)), out);
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
});

/**
 * Runtime dependencies are required when the code that uses them first runs, not when a file loads:
 * an ES module's imports of an external package would all load up front (`bbm --help` reads every
 * command's file and would load dockerode, undici and ejs). Each import of a dependency becomes a
 * CommonJS module `module.exports = require(NAME)`, which esbuild evaluates on first use; the banner
 * gives the files a `require`. (All of them ship CommonJS; yargs is bundled.)
 */
const dependencies = Object.keys(pkg.dependencies).filter((d) => d !== 'yargs');
const isDependency = (spec) => dependencies.some((d) => spec === d || spec.startsWith(`${d}/`));
const requiredOnUse = {
  name: 'required-on-use',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!isDependency(args.path)) return undefined;
      if (args.namespace === 'required-on-use') return { path: args.path, external: true };
      return { path: args.path, namespace: 'required-on-use' };
    });
    b.onLoad({ filter: /.*/, namespace: 'required-on-use' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js', resolveDir: root }));
  },
};

rmSync(path.join(dist, 'bbm'), { recursive: true, force: true });
rmSync(path.join(dist, 'cli.js.map'), { force: true }); // tsc's map of the file replaced below
await Promise.all([...parts].map(([entry, outfile]) => build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [otherParts(entry), requiredOnUse],
  banner: { js: "import { createRequire as __bbmCreateRequire } from 'node:module';\nconst require = __bbmCreateRequire(import.meta.url);" },
  // Smaller files parse faster; names are kept so an internal error's stack still reads.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
})));
for (const out of parts.values()) if (!existsSync(out)) throw new Error(`build-cli: ${out} was not written`);
