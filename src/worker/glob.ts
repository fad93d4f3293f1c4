/**
 * Python's `glob.glob(pattern, recursive=True)`, which Buildbot's `glob` command answers with:
 * `*`, `?`, `[seq]`, `[!seq]`; `**` matches any depth of folders; names starting with `.` match only
 * a pattern segment that starts with `.`; a pattern without wildcards names a path if it exists.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const MAGIC = /[*?[]/;

/** fnmatch's translation of one segment into an anchored RegExp. */
export function segmentRegex(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (segment[j] === '!') j++;
      if (segment[j] === ']') j++;
      while (j < segment.length && segment[j] !== ']') j++;
      if (j >= segment.length) out += '\\[';
      else {
        let body = segment.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        out += `[${body}]`;
        i = j;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir || '.');
  } catch {
    return [];
  }
}

/** Every folder under dir (not hidden), depth first, relative to dir; files too when `files`. */
function walk(dir: string, files: boolean): string[] {
  const out: string[] = [];
  for (const name of list(dir)) {
    if (name.startsWith('.')) continue;
    const full = dir ? path.join(dir, name) : name;
    if (isDir(full)) {
      out.push(name);
      for (const sub of walk(full, files)) out.push(path.join(name, sub));
    } else if (files) out.push(name);
  }
  return out;
}

export function glob(pattern: string): string[] {
  if (!MAGIC.test(pattern)) return exists(pattern) ? [pattern] : [];
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current: string[] = [absolute ? '/' : ''];
  if (absolute) segments.shift();
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const base of current) {
      if (segment === '**') {
        next.push(last ? (base === '/' || base === '' ? base : `${base}/`) : base);
        for (const rel of walk(base, last)) next.push(base ? path.join(base, rel) : rel);
      } else if (!MAGIC.test(segment)) {
        const p = base ? path.join(base, segment) : segment;
        if (last ? exists(p) : isDir(p)) next.push(p);
      } else {
        const re = segmentRegex(segment);
        for (const name of list(base)) {
          if (name.startsWith('.') && !segment.startsWith('.')) continue;
          if (!re.test(name)) continue;
          const p = base ? path.join(base, name) : name;
          if (last || isDir(p)) next.push(p);
        }
      }
    }
    current = next;
  });
  return current.filter((p) => p !== '');
}
