// bbm's own share of a build's commit → serving (issue goal: ≤ 3 s in all): the example project
// (examples/hello) goes through the steps a generated Buildbot build runs — `bbm detect --json`
// (the layout step), `bbm tag`, `bbm build`, `bbm push` to the registry at 127.0.0.1:5000 and
// `bbm deploy` to a real `bbm devcluster` — once per round, each round a new commit that rolls out.
// Each command's last stderr line splits its wall time into what it waited on (the Docker engine's
// build and push, Marathon's rollout) and bbm's own work (src/timing.ts); the case sums bbm's own
// share per round. Beside it, same run: `node -e 0` (five bare Node start-ups are the floor of five
// invocations) and each command's wall time seen from outside (spawn to exit).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, startDevcluster } from '../lib.mjs';

const ROUNDS = Number(process.env.BBM_BENCH_STEP_ROUNDS ?? 3);
const REGISTRY = process.env.BBM_TEST_REGISTRY ?? '127.0.0.1:5000';
const BASE_IMAGE = process.env.BBM_TEST_BASE_IMAGE ?? 'bbm-test/busybox:latest';
const REPOSITORY = 'bbm-bench/step-share';
const APP_ID = '/bench/step-share';

/** The timing line (src/timing.ts's format; the bench reads the shipped CLI, not the sources). */
function parseTiming(stderr) {
  const last = stderr.trimEnd().split('\n').at(-1) ?? '';
  const m = /^bbm ([a-z-]+): (\d+\.\d\d) s, (?:of which (.+), )?bbm (\d+\.\d\d) s$/.exec(last);
  if (!m) throw new Error(`no timing line at the end of:\n${stderr}`);
  const waits = {};
  for (const part of m[3] ? m[3].split(', ') : []) {
    const w = /^(.+) (\d+\.\d\d) s$/.exec(part);
    waits[w[1]] = Number(w[2]) * 1000;
  }
  return { command: m[1], totalMs: Number(m[2]) * 1000, ownMs: Number(m[4]) * 1000, waits };
}

function run(file, args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    p.on('exit', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}:\n${err}`));
      else resolve({ stdout: out, stderr: err, wallMs });
    });
  });
}

export default async function stepShare({ cli, root }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bbm-bench-steps-'));
  const repo = path.join(dir, 'hello');
  const name = `bench-steps-${process.pid}`;
  const images = [];
  cpSync(path.join(root, 'examples', 'hello'), repo, { recursive: true });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
  const git = (...a) => execFileSync('git', a, { cwd: repo, env, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'hello');
  git('tag', '0.1.0');
  const dc = await startDevcluster(cli, path.join(dir, 'state'), name);
  const node = (args) => run(process.execPath, [cli, ...args], repo);
  const rounds = [];
  const bare = [];
  try {
    for (let round = 1; round <= ROUNDS + 1; round++) {
      writeFileSync(path.join(repo, 'www', 'index.html'), `<p>round ${round}</p>\n`);
      git('commit', '-qam', `round ${round}`);
      const steps = {};
      const layout = await node(['detect', '--json']);
      steps.detect = layout;
      const tag = await node(['tag', '--project', 'hello', '--build-number', String(round), '--branch', 'master', '--registry', REGISTRY, '--repository', REPOSITORY, '--json']);
      steps.tag = tag;
      const { image, tag: t, describe, commit } = JSON.parse(tag.stdout);
      images.push(image);
      steps.build = await node(['build', '--image', image, '--cwd=.', '--dockerfile', 'Dockerfile', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--revision', commit, '--image-version', t, '--build-number', String(round), '--branch', 'master', '--source', repo]);
      steps.push = await node(['push', '--image', image, '--json']);
      steps.deploy = await node([
        'deploy', '--app', 'marathon.json', '--image', image, '--marathon', dc.url, '--project', 'hello', '--build-number', String(round), '--branch', 'master',
        '--commit', commit, '--describe', describe, '--build-url', `http://buildbot.invalid/builds/${round}`, '--environment', 'bench', '--app-id', APP_ID, '--timeout', '300',
      ]);
      for (let i = 0; i < 5; i++) bare.push((await run(process.execPath, ['-e', '0'], repo)).wallMs);
      // round 1 creates the app (no rollout of an old version): not counted
      if (round > 1) rounds.push(Object.fromEntries(Object.entries(steps).map(([k, r]) => [k, { ...parseTiming(r.stderr), wallMs: r.wallMs }])));
    }
  } finally {
    dc.proc.kill('SIGTERM');
    await new Promise((r) => dc.proc.once('exit', r));
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=bbm.devcluster.name=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      if (images.length) execFileSync('docker', ['rmi', ...images], { stdio: 'ignore' });
    } catch {
      // best effort: the engine may already be gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (f) => median(rounds.map(f).sort((a, b) => a - b));
  const commands = Object.keys(rounds[0]);
  const ownPerRound = (r) => commands.reduce((n, c) => n + r[c].ownMs, 0);
  const waitOf = (what) => (r) => commands.reduce((n, c) => n + (r[c].waits[what] ?? 0), 0);
  const nodeMs = median(bare.sort((a, b) => a - b));
  const own = med(ownPerRound);
  return [
    { name: 'baseline: node -e 0 (median)', value: nodeMs, unit: 'ms', note: `${bare.length} runs between the rounds`, baseline: true },
    { name: 'baseline: five bare Node start-ups (5 × node -e 0)', value: 5 * nodeMs, unit: 'ms', note: 'the floor of five invocations', baseline: true },
    ...commands.map((c) => ({ name: `bbm ${c}: bbm's own (median)`, value: med((r) => r[c].ownMs), unit: 'ms', note: `wall from outside ${med((r) => r[c].wallMs).toFixed(0)} ms` })),
    { name: "bbm's own share of a build: detect+tag+build+push+deploy", value: own, unit: 'ms', note: `median of ${rounds.length} rounds; goal ≤ 3000 ms` },
    { name: 'waited: docker build (median)', value: med(waitOf('docker build')), unit: 'ms', baseline: true },
    { name: 'waited: docker push (median)', value: med(waitOf('docker push')), unit: 'ms', baseline: true },
    { name: 'waited: Marathon rollout (median)', value: med(waitOf('Marathon rollout')), unit: 'ms', note: '2 instances, health checks every 5 s', baseline: true },
    { name: "bbm's own share / 5 × node -e 0", value: own / (5 * nodeMs), unit: 'x', digits: 2, note: 'how far above five bare start-ups' },
    {
      name: 'spawn and exit outside the timing line, all five (median)',
      value: med((r) => commands.reduce((n, c) => n + r[c].wallMs - r[c].totalMs, 0)),
      unit: 'ms',
      note: 'what the lines do not see: exec before Node starts, exit after the line',
    },
  ];
}
