/**
 * Where a config value is written: a problem path (`projects[0].deploy.environments.prod`) → the
 * line in `ci.config.ts` (or `.json`) of that value, or of its nearest written parent. Validation
 * works on the evaluated object; this maps its paths back to the file so every config error is
 * reported at `file:line`. Reads the syntax tree only (the config is not evaluated again).
 */
import type { ts as TS } from 'ts-morph';

type Segment = string | number;

/** `a.b[2].c.d` → ['a', 'b', 2, 'c', 'd'] (a key holding dots is rejoined while walking). */
export function pathSegments(path: string): Segment[] {
  const out: Segment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

/** Line (1-based) of the value at `path` in a TypeScript config, or of its nearest written parent. */
export function tsLineOf(ts: typeof TS, text: string, fileName: string): (path: string) => number | undefined {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const line = (n: TS.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const declared = new Map<string, TS.Expression>();
  let root: TS.Expression | undefined;
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) declared.set(d.name.text, d.initializer);
    if (ts.isExportAssignment(st)) root = st.expression;
  }
  const unwrap = (e: TS.Expression, depth = 0): TS.Expression => {
    if (depth > 10) return e;
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) return unwrap(e.expression, depth + 1);
    if (ts.isCallExpression(e) && e.arguments.length === 1) return unwrap(e.arguments[0] as TS.Expression, depth + 1);
    if (ts.isIdentifier(e) && declared.has(e.text)) return unwrap(declared.get(e.text) as TS.Expression, depth + 1);
    return e;
  };
  return (path) => {
    if (!root) return undefined;
    let node = unwrap(root);
    let at = line(node);
    const segs = pathSegments(path);
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as Segment;
      let next: TS.Expression | TS.Node | undefined;
      if (typeof seg === 'number' && ts.isArrayLiteralExpression(node)) next = node.elements[seg];
      else if (typeof seg === 'string' && ts.isObjectLiteralExpression(node)) {
        // a key may hold dots (a label `bbm.image`): try the longest join first
        for (let j = segs.length; j > i && !next; j--) {
          const key = segs.slice(i, j).join('.');
          const prop = node.properties.find((p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) && p.name.text === key);
          if (prop) {
            next = ts.isPropertyAssignment(prop) ? prop.initializer : prop;
            at = line(prop);
            i = j - 1;
          }
        }
      }
      if (!next) break;
      if (typeof seg === 'number') at = line(next);
      if (!ts.isExpression(next as TS.Node)) break;
      node = unwrap(next as TS.Expression);
    }
    return at;
  };
}
