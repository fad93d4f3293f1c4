/**
 * A step log, read a page at a time from `/api/v2/logs/<id>/contents?offset=&limit=` (Buildbot's
 * logchunks endpoint): large logs never load whole into the page.
 */
export const PAGE_LINES = 1000;

export interface LogLine {
  /** `o` stdout, `e` stderr, `h` header (Buildbot's stream prefixes); `t` a text log's line. */
  stream: 'o' | 'e' | 'h' | 't';
  text: string;
}

/** Splits a chunk's content; stdio logs (type `s`) carry a one-letter stream prefix per line. */
export function parseChunk(content: string, type: string): LogLine[] {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (type !== 's') return lines.map((text) => ({ stream: 't', text }));
  return lines.map((l) => {
    const c = l.charAt(0);
    return c === 'o' || c === 'e' || c === 'h' ? { stream: c, text: l.slice(1) } : { stream: 'o', text: l };
  });
}

/** The page holding the last lines (where a running step's log is followed). */
export function lastPage(numLines: number, pageLines = PAGE_LINES): number {
  return Math.max(0, Math.ceil(numLines / pageLines) - 1);
}

/** Query of one page: offset and limit in lines. */
export function pageQuery(page: number, pageLines = PAGE_LINES): { offset: number; limit: number } {
  return { offset: page * pageLines, limit: pageLines };
}

export function pageLabel(page: number, numLines: number, pageLines = PAGE_LINES): string {
  if (numLines === 0) return 'no lines yet';
  const first = page * pageLines + 1;
  const last = Math.min(numLines, (page + 1) * pageLines);
  return `lines ${first}–${last} of ${numLines}`;
}
