/**
 * `bbm detect`: the project type of a checkout, from the files at its top level. The first
 * matching rule wins, so a repository with several build files gets one well-defined type.
 */
import { readdir } from 'node:fs/promises';
import type { RecipeType } from './config/types.js';
import { UsageError } from './errors.js';

export const DETECT_RULES: readonly { type: RecipeType; files: readonly string[] }[] = [
  { type: 'maven', files: ['pom.xml'] },
  { type: 'gradle', files: ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts'] },
  { type: 'go', files: ['go.mod'] },
  { type: 'python', files: ['pyproject.toml', 'setup.py'] },
  { type: 'node', files: ['package.json'] },
  { type: 'docker', files: ['Dockerfile'] },
];

export interface Layout {
  type: RecipeType | null;
  /** A tests/ or test/ directory, or test_*.py / *_test.py at the top level. */
  tests: boolean;
  setupPy: boolean;
  pyproject: boolean;
  gradleWrapper: boolean;
}

/** Pure: the layout of a directory from the names (and kinds) of its top-level entries. */
export function layoutOf(entries: readonly { name: string; dir: boolean }[]): Layout {
  const files = new Set(entries.filter((e) => !e.dir).map((e) => e.name));
  const dirs = new Set(entries.filter((e) => e.dir).map((e) => e.name));
  const type = DETECT_RULES.find((r) => r.files.some((f) => files.has(f)))?.type ?? null;
  return {
    type,
    tests: dirs.has('tests') || dirs.has('test') || [...files].some((f) => /^test_.*\.py$|_test\.py$/.test(f)),
    setupPy: files.has('setup.py'),
    pyproject: files.has('pyproject.toml'),
    gradleWrapper: files.has('gradlew'),
  };
}

export async function detectLayout(dir: string): Promise<Layout> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new UsageError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { hint: 'pass --cwd DIR, a project checkout' });
  }
  return layoutOf(entries.map((e) => ({ name: e.name, dir: e.isDirectory() })));
}

export async function detectType(dir: string): Promise<RecipeType> {
  const layout = await detectLayout(dir);
  if (!layout.type) {
    throw new UsageError(`cannot tell the project type of ${dir}: none of ${DETECT_RULES.flatMap((r) => r.files).join(', ')} is there`, {
      hint: "set the project's type in ci.config.ts instead of 'auto'",
    });
  }
  return layout.type;
}
