/**
 * Reads `ci.config.ts` (or `.mts`, or `ci.config.json`): type-checks a TypeScript config with
 * ts-morph first (errors as `file:LINE:COL message`), then transpiles it with ts-morph's bundled
 * TypeScript and imports the result. `import { defineConfig } from 'buildbot-marathon'` resolves to
 * this package, wherever the config file lives. Nothing is written to disk.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ts as TS } from 'ts-morph';
import { UsageError, ValidationError, type Problem } from '../errors.js';

export const PACKAGE_NAME = 'buildbot-marathon';
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LoadedConfig {
  /** The exported value, not yet validated. */
  value: unknown;
  /** The config path as the user sees it (relative to cwd when inside it). */
  display: string;
}

export async function loadConfig(file: string, cwd: string): Promise<LoadedConfig> {
  const abs = path.resolve(cwd, file);
  const display = path.relative(cwd, abs).startsWith('..') ? abs : path.relative(cwd, abs);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read config ${display}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'pass --config PATH, or run in the directory that holds ci.config.ts',
    });
  }
  if (abs.endsWith('.json')) return { value: parseJson(text, display), display };
  // ts-morph (and its TypeScript) is loaded only for a TypeScript config.
  const morph = await import('ts-morph');
  typeCheck(morph, abs, display, cwd);
  return { value: await evaluate(morph.ts, text, abs, display), display };
}

function parseJson(text: string, display: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    let where = display;
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = `${display}:${line}:${Number(at[1]) - before.lastIndexOf('\n')}`;
    }
    throw new UsageError(`${where} is not valid JSON: ${message}`);
  }
}

function declarationsPath(): string {
  const dts = path.join(packageRoot, 'dist', 'index.d.ts');
  return existsSync(dts) ? dts : path.join(packageRoot, 'src', 'index.ts');
}

type Morph = typeof import('ts-morph');

export function typeCheck({ Project, ts }: Morph, abs: string, display: string, cwd: string): void {
  const project = new Project({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: true,
      paths: { [PACKAGE_NAME]: [declarationsPath()] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  project.addSourceFileAtPath(abs);
  project.resolveSourceFileDependencies();
  const problems: Problem[] = project.getPreEmitDiagnostics().map((d) => {
    const sf = d.getSourceFile();
    const message = ts.flattenDiagnosticMessageText(d.getMessageText() as string | TS.DiagnosticMessageChain, '\n    ');
    if (!sf) return { path: display, message };
    const { line, column } = sf.getLineAndColumnAtPos(d.getStart() ?? 0);
    const name = sf.getFilePath() === abs.replaceAll('\\', '/') ? display : path.relative(cwd, sf.getFilePath());
    return { path: `${name}:${line}:${column}`, message };
  });
  if (problems.length > 0) {
    throw new ValidationError(`${display} does not type-check`, problems, {
      hint: `fix the type errors in ${display}; nothing was generated`,
    });
  }
}

/** Points `import … from 'buildbot-marathon'` at this package's own entry. */
function rewriteSpecifier(ts: typeof TS, target: string): TS.TransformerFactory<TS.SourceFile> {
  return (context) => (sourceFile) => {
    const f = context.factory;
    const visit = (node: TS.Node): TS.Node => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text === PACKAGE_NAME) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, f.createStringLiteral(target), node.attributes);
      }
      if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text === PACKAGE_NAME) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, f.createStringLiteral(target), node.attributes);
      }
      return node;
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

async function evaluate(ts: typeof TS, text: string, abs: string, display: string): Promise<unknown> {
  const entry = pathToFileURL(path.join(packageRoot, 'dist', 'index.js')).href;
  const out = ts.transpileModule(text, {
    fileName: abs,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    transformers: { before: [rewriteSpecifier(ts, entry)] },
  });
  // A data: URL keeps evaluation free of temporary files; the config is one file (relative imports
  // cannot resolve from a data: URL, and the error says so).
  const url = `data:text/javascript;base64,${Buffer.from(out.outputText).toString('base64')}`;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const relative = /relative|Invalid URL|ERR_UNSUPPORTED_RESOLVE_REQUEST/i.test(message + String((error as { code?: string }).code));
    throw new UsageError(`${display} failed while being evaluated: ${message}`, {
      hint: relative ? `a config is one file: import only '${PACKAGE_NAME}' and node: modules` : `fix ${display}; nothing was generated`,
    });
  }
  if (mod.default === undefined) {
    throw new UsageError(`${display} has no default export`, { hint: `write \`export default defineConfig({ … })\` (import { defineConfig } from '${PACKAGE_NAME}')` });
  }
  return mod.default;
}
