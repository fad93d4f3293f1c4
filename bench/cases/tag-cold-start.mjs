// Cold start of the step-runner (the shipped entry, dist/cli.js): `bbm tag …` in a temporary git
// repository, `bbm --version`, `bbm deploy --dry-run`, `bbm detect` and `bbm --help`, against
// `node -e 0` measured in the same run (interleaved, so machine load hits all alike). Reports
// medians and the ratios; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from '../lib.mjs';

const RUNS = Number(process.env.BBM_BENCH_RUNS ?? 21);

function time(file, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export default async function tagColdStart(ctx) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bbm-bench-'));
  try {
    const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
    const git = (...a) => execFileSync('git', a, { cwd: dir, env, stdio: 'ignore' });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'one');
    git('tag', '0.5.20');
    for (let i = 0; i < 12; i++) git('commit', '-q', '--allow-empty', '-m', `c${i}`);

    writeFileSync(path.join(dir, 'setup.py'), 'from setuptools import setup\nsetup()\n');
    writeFileSync(path.join(dir, 'marathon.json'), JSON.stringify({
      id: '/web', instances: 2, cpus: 0.1, mem: 64, networks: [{ mode: 'container/bridge' }], taskKillGracePeriodSeconds: 10,
      container: { type: 'DOCKER', docker: { image: '${image}' }, portMappings: [{ containerPort: 8080, hostPort: 0 }] },
      healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0 }],
    }));
    const cases = {
      node: [process.execPath, ['-e', '0']],
      tag: [process.execPath, [ctx.cli, 'tag', '--project', 'webApp', '--build-number', '123', '--branch', 'master']],
      version: [process.execPath, [ctx.cli, '--version']],
      deploy: [process.execPath, [ctx.cli, 'deploy', '--app', 'marathon.json', '--image', '127.0.0.1:5000/web:1', '--dry-run']],
      detect: [process.execPath, [ctx.cli, 'detect']],
      help: [process.execPath, [ctx.cli, '--help']],
      git: ['git', ['describe', '--tags', '--long', '--always']],
    };
    const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let i = 0; i < 2; i++) for (const [file, args] of Object.values(cases)) time(file, args, dir); // warm the disk cache
    for (let i = 0; i < RUNS; i++) {
      for (const [name, [file, args]] of Object.entries(cases)) times[name].push(time(file, args, dir));
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v.sort((a, b) => a - b))]));
    return [
      { name: 'baseline: node -e 0 (median)', value: m.node, unit: 'ms', note: `${RUNS} runs, interleaved`, baseline: true },
      { name: 'bbm tag in a git repo, 12 commits past a tag (median)', value: m.tag, unit: 'ms' },
      { name: 'bbm --version (median)', value: m.version, unit: 'ms' },
      { name: 'bbm deploy --dry-run (median)', value: m.deploy, unit: 'ms' },
      { name: 'bbm detect (median)', value: m.detect, unit: 'ms' },
      { name: 'bbm --help (median)', value: m.help, unit: 'ms' },
      { name: 'git describe alone (median)', value: m.git, unit: 'ms', note: 'bbm tag runs git twice, at once', baseline: true },
      { name: 'bbm tag / node -e 0', value: m.tag / m.node, unit: 'x', digits: 2, note: 'goal ≤ 1.5' },
      { name: 'bbm --version / node -e 0', value: m.version / m.node, unit: 'x', digits: 2, note: 'goal ≤ 1.2' },
      { name: 'bbm deploy --dry-run / node -e 0', value: m.deploy / m.node, unit: 'x', digits: 2 },
      { name: 'bbm detect / node -e 0', value: m.detect / m.node, unit: 'x', digits: 2 },
      { name: 'bbm --help / node -e 0', value: m.help / m.node, unit: 'x', digits: 2 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
