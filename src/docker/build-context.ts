/**
 * The build context of `bbm build`: the folder as a tar stream, without what `.dockerignore`
 * excludes (Docker's pattern rules, via @balena/dockerignore, including `!` exceptions). Like the
 * docker CLI, the Dockerfile and `.dockerignore` are always sent, even when listed.
 */
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import dockerignoreModule from '@balena/dockerignore';
import { pack } from 'tar-fs';

// CommonJS `module.exports = factory` typed as an ES default export: normalize once.
const dockerignore = ((dockerignoreModule as unknown as { default?: unknown }).default ?? dockerignoreModule) as typeof dockerignoreModule.default;

/**
 * Pure: a predicate "leave this path out" for paths relative to the context (posix separators).
 * `isDirectory` lets whole ignored folders be skipped when no `!` exception could bring back
 * something inside them.
 */
export function contextExclusion(dockerignoreText: string, dockerfile: string): (relative: string, isDirectory: () => boolean) => boolean {
  const lines = dockerignoreText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  const ig = dockerignore({ ignorecase: false }).add(lines);
  const hasExceptions = lines.some((l) => l.startsWith('!'));
  const always = new Set([dockerfile, '.dockerignore']);
  return (relative, isDirectory) => {
    if (relative === '' || relative === '.' || always.has(relative)) return false;
    if (!ig.ignores(relative)) return false;
    // An excluded folder may still hold an exception (`!keep/this`): then walk into it and decide per file.
    if (hasExceptions && isDirectory()) return false;
    return true;
  };
}

export function buildContextStream(contextDir: string, dockerfile: string): Readable {
  let text = '';
  try {
    text = readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    // No .dockerignore: everything is sent.
  }
  const excluded = contextExclusion(text, dockerfile);
  return pack(contextDir, {
    sort: true,
    ignore: (name) => {
      const relative = path.relative(contextDir, name).split(path.sep).join('/');
      return excluded(relative, () => lstatSync(name).isDirectory());
    },
  });
}
