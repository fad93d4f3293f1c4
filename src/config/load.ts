/**
 * Reads `ci.config.ts` (or `.mts`, or `ci.config.json`): type-checks a TypeScript config with
 * ts-morph first (errors as `file:LINE:COL message`), then transpiles it with ts-morph's bundled
 * TypeScript and imports the result in a worker thread, which is stopped when the config has not
 * finished after `timeoutMs` (default 30 s) or when the run is interrupted.
 * `import { defineConfig } from 'buildbot-marathon'` resolves to this package, wherever the config
 * file lives; `node:` modules type-check against Node's own types. Nothing is written to disk.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ts as TS } from 'ts-morph';
import { UsageError, ValidationError, type Problem } from '../errors.js';
import { PACKAGE_NAME, packageRoot } from '../package-root.js';
import type { EvaluateReply, WorkerInput } from './evaluate-worker.js';
import { marathonPath, parseJsonSource } from '../deploy/json-source.js';
import { pathSegments, tsLineOf } from './locate.js';

export { PACKAGE_NAME };

export interface LoadedConfig {
  /** The exported value, not yet validated. */
  value: unknown;
  /** The config path as the user sees it (relative to cwd when inside it). */
  display: string;
  /** Line of the value at a problem path (`projects[0].name`), or of its nearest written parent. */
  lineOf: (path: string) => number | undefined;
}

export interface LoadOptions {
  /** How long evaluating a TypeScript config may take (default 30 s). */
  timeoutMs?: number;
  /** Stops the evaluation (the reason is thrown). */
  signal?: AbortSignal;
}

export const DEFAULT_CONFIG_TIMEOUT_MS = 30_000;

export async function loadConfig(file: string, cwd: string, options: LoadOptions = {}): Promise<LoadedConfig> {
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
  if (abs.endsWith('.json')) {
    const value = parseJson(text, display);
    const source = parseJsonSource(text, display);
    const lineOf = (p: string) => source.lineOf(pathSegments(p).reduce<string>((acc, s) => marathonPath(acc, s), '/'));
    const reserved = reservedKeyPath(value);
    if (reserved !== undefined) {
      const line = lineOf(reserved);
      throw new UsageError(`${display}${line ? `:${line}` : ''}: ${reserved}: the key ${JSON.stringify(reserved.replace(/^.*[.\]]/, ''))} is not allowed in a config`, {
        hint: '__proto__, constructor and prototype name JavaScript internals, never a setting: remove the key',
      });
    }
    return { value, display, lineOf };
  }
  const value = await inWorker({ abs, display, cwd, text }, options);
  // Lines are looked up only when there is a problem to report: TypeScript is loaded then, synchronously.
  let lineOf: ((p: string) => number | undefined) | undefined;
  return {
    value,
    display,
    lineOf: (p) => (lineOf ??= tsLineOf((createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph')).ts, text, abs))(p),
  };
}

/** Keys that name JavaScript internals: in a JSON config they are a mistake or an attack, never a setting. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The dot-path (`projects[0].__proto__`) of the first reserved key in a parsed JSON value. */
export function reservedKeyPath(value: unknown, at = ''): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = reservedKeyPath(value[i], `${at}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const p = at ? `${at}.${key}` : key;
      if (RESERVED_KEYS.has(key)) return p;
      const found = reservedKeyPath((value as Record<string, unknown>)[key], p);
      if (found !== undefined) return found;
    }
  }
  return undefined;
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
  const dts = path.join(packageRoot(), 'dist', 'index.d.ts');
  return existsSync(dts) ? dts : path.join(packageRoot(), 'src', 'index.ts');
}

type Morph = typeof import('ts-morph');

/** Node's type declarations (`node:` imports, `process`), where the package has them installed. */
function nodeTypesRoot(): string | undefined {
  try {
    return path.dirname(path.dirname(createRequire(path.join(packageRoot(), 'package.json')).resolve('@types/node/package.json')));
  } catch {
    return undefined;
  }
}

export function typeCheck({ Project, ts }: Morph, abs: string, display: string, cwd: string): Problem[] {
  const typesRoot = nodeTypesRoot();
  const project = new Project({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      ...(typesRoot ? { types: ['node'], typeRoots: [typesRoot] } : { types: [] }),
      skipLibCheck: true,
      paths: { [PACKAGE_NAME]: [declarationsPath()] },
    },
    skipAddingFilesFromTsConfig: true,
  });
  // Without Node's declarations, `node:` modules are still allowed (untyped).
  if (!typesRoot) project.createSourceFile(path.join(path.dirname(abs), '.bbm-node-modules.d.ts'), "declare module 'node:*';\n", { overwrite: true });
  project.addSourceFileAtPath(abs);
  project.resolveSourceFileDependencies();
  const problems: Problem[] = project.getPreEmitDiagnostics().map((d) => {
    const sf = d.getSourceFile();
    // The compiler's own message (a string or a chain: `const c = {…}; defineConfig(c)` gives a
    // chain); ts-morph's getMessageText() wraps a chain in an object flatten cannot read.
    const message = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n    ');
    if (!sf) return { path: display, message };
    const { line, column } = sf.getLineAndColumnAtPos(d.getStart() ?? 0);
    const name = sf.getFilePath() === abs.replaceAll('\\', '/') ? display : path.relative(cwd, sf.getFilePath());
    return { path: `${name}:${line}:${column}`, message };
  });
  return problems;
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

/** Transpiles the config to a data: URL (no temporary files) whose `buildbot-marathon` import is this package. */
export function transpileConfig(ts: typeof TS, text: string, abs: string): string {
  const entry = pathToFileURL(path.join(packageRoot(), 'dist', 'index.js')).href;
  const out = ts.transpileModule(text, {
    fileName: abs,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    transformers: { before: [rewriteSpecifier(ts, entry)] },
  });
  // The config is one file: relative imports cannot resolve from a data: URL, and the error says so.
  return `data:text/javascript;base64,${Buffer.from(out.outputText).toString('base64')}`;
}

const workerFile = () => path.join(packageRoot(), 'dist', 'config', 'evaluate-worker.js');

/**
 * Type check, transpile and evaluation run in a worker thread: the type check is seconds of
 * synchronous work, and the config's own code may never finish. The thread is stopped on the
 * run's signal at once, and `timeoutMs` after the evaluation started.
 */
async function inWorker(input: WorkerInput, options: LoadOptions): Promise<unknown> {
  const { display } = input;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONFIG_TIMEOUT_MS;
  options.signal?.throwIfAborted();
  const reply = await new Promise<EvaluateReply>((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: input });
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: unknown, value?: EvaluateReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (value) resolve(value);
      else reject(error);
    };
    const onAbort = () => finish(options.signal!.reason);
    const timedOut = () =>
      finish(
        new UsageError(`${display} did not finish loading within ${timeoutMs / 1000} s (stopped)`, {
          hint: 'a config computes its value without waiting for anything (no network, timers or endless loops); if it really needs longer, pass --config-timeout SECONDS',
        }),
      );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: EvaluateReply) => {
      if (m.kind === 'evaluating') timer = setTimeout(timedOut, timeoutMs);
      else finish(undefined, m);
    });
    worker.once('error', (e) => finish(undefined, { kind: 'threw', message: e instanceof Error ? e.message : String(e) }));
    worker.once('exit', (code) => finish(new UsageError(`${display} ended the process (exit code ${code}) while being evaluated`, { hint: `remove the process.exit() from ${display}` })));
  });
  switch (reply.kind) {
    case 'value':
      return reply.value;
    case 'type-errors':
      throw new ValidationError(`${display} does not type-check`, reply.problems, { hint: `fix the type errors in ${display}; nothing was generated` });
    case 'no-default':
      throw new UsageError(`${display} has no default export`, { hint: `write \`export default defineConfig({ … })\` (import { defineConfig } from '${PACKAGE_NAME}')` });
    case 'not-data':
      throw new UsageError(`${display}: the exported config is not plain data: ${reply.message}`, { hint: `fix ${display}; nothing was generated` });
    case 'threw': {
      const relative = /relative|Invalid URL|ERR_UNSUPPORTED_RESOLVE_REQUEST/i.test(reply.message + String(reply.code));
      throw new UsageError(`${display} failed while being evaluated: ${reply.message}`, {
        hint: relative ? `a config is one file: import only '${PACKAGE_NAME}' and node: modules` : `fix ${display}; nothing was generated`,
      });
    }
    default:
      throw new UsageError(`${display}: unexpected answer from the config loader (${reply.kind})`);
  }
}

/** Resolves a loaded config; every problem is reported at `file:line` with its path. */
export function withLines<T>(loaded: LoadedConfig, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problems = error.problems.map((p) => {
      const line = p.path ? loaded.lineOf(p.path) : undefined;
      return { path: line ? `${loaded.display}:${line}: ${p.path}` : p.path, message: p.message };
    });
    throw new ValidationError(error.message.split(':')[0] ?? loaded.display, problems, { hint: error.hint });
  }
}
