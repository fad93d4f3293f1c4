/** Written configs for the generator's tests: a valid base, and values chosen to break Python or a shell. */
import { resolveConfig } from '../../src/config/resolve.js';
import type { CiConfig, ProjectConfig } from '../../src/config/types.js';
import { ValidationError, type Problem } from '../../src/errors.js';

/** `version` defaults to Debian's 3.7, the Buildbot the tests run (CI has no other). */
export function baseConfig(
  projects: ProjectConfig[] = [{ name: 'webApp', repo: 'https://github.com/example/webapp.git', type: 'python' }],
  version = '3.7',
): CiConfig {
  return {
    registry: 'registry.example.com',
    marathon: { url: 'http://marathon.example.com:8080' },
    buildbot: { url: 'http://localhost:8010/', workers: [{ name: 'docker-1' }], version },
    projects,
  };
}

/** The problems resolveConfig finds in `input` (none: []); any other error is thrown. */
export function configProblems(input: unknown): Problem[] {
  try {
    resolveConfig(input);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  return [];
}

/** Strings that end or escape a Python literal, run a shell, or trip encoders. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  "it's",
  'say "hi"',
  "'''",
  '"""',
  "''' + __import__('os').system('touch pwned') + '''",
  'back\\slash\\',
  '\\',
  "\\'",
  'line1\nline2',
  'cr\rlf\r\n',
  'tab\there',
  'nul\u0000byte',
  'bell\u0007 esc\u001b[31m del\u007f',
  'é ü ñ — “quotes”',
  '日本語',
  'emoji 🚀 astral 𝕏',
  'lone \ud800 surrogate',
  'line\u2028separator\u2029para',
  '$(touch pwned); `id` && rm -rf / | cat > /etc/passwd',
  '%(prop:branch)s %(secret:x)s %s {0}',
  '# comment\nimport os',
  '\\N{BULLET} \\x41 \\u0041',
  'x'.repeat(5000),
];

/** Branch names git accepts that still carry quotes, `$(...)`, backticks and non-ASCII. */
export const HOSTILE_BRANCHES: readonly string[] = [
  "it's\"$(touch${IFS}pwned)'''",
  'feature/`id`;&|<>',
  'ré-ünïcödé/日本',
  'x/--help',
];
