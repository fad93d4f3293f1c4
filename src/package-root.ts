/**
 * The package's own folder (package.json, templates/, dist/) and version: one home for both. Found by
 * walking up from this module to the package.json named buildbot-marathon, so it holds wherever the
 * code runs from: src/ (tests), dist/ (tsc's output, the library) or the bundled CLI (dist/cli.js and
 * dist/bbm/, which put this code at other depths).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = 'buildbot-marathon';

let found: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME) return (found = { root: dir, version: String(pkg.version) });
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The package's folder. */
export const packageRoot = (): string => find().root;
/** The package's version (package.json), as `bbm --version` prints it. */
export const packageVersion = (): string => find().version;
