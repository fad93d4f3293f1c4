/**
 * `bbm worker` against Debian's Buildbot 3.7 master, beside the Python `buildbot-worker`, on ONE
 * master and at the same time: one generated master.cfg (`bbm generate` of a config whose recipe
 * workers are `rp` — buildbot-worker, PB — and `rb` — `kind: 'bbm'`, so the file offers msgpack),
 * plus test builders for the commands (`<case>-py` on `wp`, `<case>-bbm` on `wb`, and `<case>-pb` on `wq`,
 * which is `bbm worker --protocol pb` on the master's PB port). Every recipe
 * project exists twice (`<name>-py` on rp, `<name>-bbm` on rb) and all of them build while the
 * command cases run; each side checks its expectations on both builds and that both gave the same
 * steps and results. Builds run for real: venv + pip + pytest, npm ci + npm test, mvn and gradle
 * against Debian's Maven repository (/usr/share/maven-repo; nothing else is reachable), go test/build
 * of a module without dependencies, bbm tag, docker build (real engine), docker push (local registry);
 * the deploy step is skipped (forced with deploy off). The master runs in a private network namespace
 * (its msgpack port cannot be bound to loopback in 3.7): see test/support/msgpack-master.ts.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { renderConfig } from '../../src/generate.js';
import { BUILDBOT_WORKER, run, stop, until } from '../support/buildbot.js';
import { BASE_IMAGE, REGISTRY, components, describeWith, type Component } from '../support/integration.js';
import { MSGPACK_PORT, netnsAvailable, PB_PORT, startBbmWorker, startNamespace, TestMaster, type FinishedBuild, type Namespace } from '../support/msgpack-master.js';

const DEBIAN_MAVEN_REPO = '/usr/share/maven-repo';
const netns: Component = { name: 'network namespaces (unshare -n, nsenter, ip; root)', fix: 'run as root with util-linux and iproute2 (scripts/setup.sh)', probe: async () => netnsAvailable() };
const has = (file: string, args: string[]) => spawnSync(file, args, { stdio: 'ignore' }).status === 0;
const toolchains: Component = {
  name: 'the recipes\' toolchains: python3 (venv, pip, pytest, setuptools), mvn with Debian\'s compiler/surefire/jar plugins and junit4, gradle, go',
  fix: 'run `bash scripts/setup.sh`',
  probe: async () =>
    has('/usr/bin/python3', ['-c', 'import venv, pytest, setuptools, wheel']) &&
    has('/usr/bin/python3', ['-m', 'pip', '--version']) &&
    has('mvn', ['-v']) &&
    ['org/apache/maven/plugins/maven-surefire-plugin', 'org/apache/maven/plugins/maven-compiler-plugin', 'org/apache/maven/plugins/maven-jar-plugin', 'junit/junit/4.13.2'].every((p) => existsSync(path.join(DEBIAN_MAVEN_REPO, p))) &&
    existsSync('/usr/bin/gradle') &&
    has('go', ['version']),
};
const d = await describeWith([components.buildbot, components.git, components.docker, components.registry, components.baseImage, netns, toolchains]);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const REPOSITORY = 'bbm-test/worker';
const BIG = 5_000_000;
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };

/** A bare repository with one tagged commit of `files`. */
function project(root: string, name: string, files: Record<string, string>): string {
  const bare = path.join(root, `${name}.git`);
  const wc = path.join(root, `${name}-wc`);
  run('git', ['init', '-q', '--bare', '-b', 'master', bare]);
  run('git', ['clone', '-q', bare, wc]);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(wc, f)), { recursive: true });
    writeFileSync(path.join(wc, f), text);
  }
  run('git', ['-C', wc, 'add', '-A'], { env: gitEnv });
  run('git', ['-C', wc, 'commit', '-q', '-m', 'first commit'], { env: gitEnv });
  run('git', ['-C', wc, 'tag', '-a', 'v1.0.0', '-m', 'v1.0.0'], { env: gitEnv });
  run('git', ['-C', wc, 'push', '-q', 'origin', 'master', '--tags'], { env: gitEnv });
  return bare;
}

const DOCKERFILE = 'ARG BASE\nFROM ${BASE}\nCOPY marker.txt /app/marker.txt\nLABEL bbm.test=worker\n';
const NODE = {
  'package.json': JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts: { test: 'node test.js' } }),
  'package-lock.json': JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } }),
  'test.js': "console.log('node tests passed');\n",
  'marker.txt': 'node\n',
  Dockerfile: DOCKERFILE,
};
const JAVA_MAIN = 'package app;\n\npublic class App {\n    public static int answer() { return 42; }\n}\n';
const JAVA_TEST = 'package app;\n\nimport static org.junit.Assert.assertEquals;\nimport org.junit.Test;\n\npublic class AppTest {\n    @Test public void answer() { assertEquals(42, App.answer()); }\n}\n';
const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId><artifactId>mvnapp</artifactId><version>1.0</version><packaging>jar</packaging>
  <properties>
    <maven.compiler.source>11</maven.compiler.source><maven.compiler.target>11</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency></dependencies>
</project>
`;
// Gradle 4.4 (Debian's): testCompile; junit from Debian's Maven repository.
const BUILD_GRADLE = "apply plugin: 'java'\nrepositories { maven { url 'file:///usr/share/maven-repo' } }\ndependencies { testCompile 'junit:junit:4.13.2' }\n";
const PROJECTS = {
  pyapp: { type: 'python', files: { 'setup.py': "from setuptools import setup\nsetup(name='pyapp', version='1.0', py_modules=['pyapp'])\n", 'pyapp.py': 'def answer():\n    return 42\n', 'tests/test_pyapp.py': 'import pyapp\n\ndef test_answer():\n    assert pyapp.answer() == 42\n', 'marker.txt': 'py\n', Dockerfile: DOCKERFILE } },
  nodeapp: { type: 'node', files: NODE },
  dockapp: { type: 'docker', files: { 'marker.txt': 'docker\n', Dockerfile: DOCKERFILE } },
  autoapp: { type: 'auto', files: { ...NODE, 'marker.txt': 'auto\n' } },
  mvnapp: { type: 'maven', files: { 'pom.xml': POM, 'src/main/java/app/App.java': JAVA_MAIN, 'src/test/java/app/AppTest.java': JAVA_TEST, 'marker.txt': 'maven\n', Dockerfile: DOCKERFILE } },
  gradleapp: { type: 'gradle', files: { 'build.gradle': BUILD_GRADLE, 'settings.gradle': "rootProject.name = 'gradleapp'\n", 'src/main/java/app/App.java': JAVA_MAIN, 'src/test/java/app/AppTest.java': JAVA_TEST, 'marker.txt': 'gradle\n', Dockerfile: DOCKERFILE } },
  goapp: {
    type: 'go',
    files: {
      'go.mod': 'module example.com/goapp\n\ngo 1.19\n',
      'app.go': 'package goapp\n\nfunc Answer() int { return 42 }\n',
      'app_test.go': 'package goapp\n\nimport "testing"\n\nfunc TestAnswer(t *testing.T) {\n\tif Answer() != 42 {\n\t\tt.Fatal("wrong answer")\n\t}\n}\n',
      'marker.txt': 'go\n',
      Dockerfile: DOCKERFILE,
    },
  },
} as const;
type Tag = 'py' | 'bbm';
/** The max_builds case's workers: m<max_builds><p: buildbot-worker | b: bbm worker>. */
const MAX_BUILDS_WORKERS = ['m1p', 'm2p', 'm1b', 'm2b'] as const;
type MaxBuildsWorker = (typeof MAX_BUILDS_WORKERS)[number];
const STALL_PROXY = path.join(import.meta.dirname, '../support/stall-proxy.mjs');
const TAGS: Tag[] = ['py', 'bbm'];

/** Maven offline against Debian's repository (read through a file:// repository into the worker's own local one). */
const MAVEN_SETTINGS = `<settings>
  <profiles><profile><id>debian</id>
    <repositories><repository><id>central</id><url>file://${DEBIAN_MAVEN_REPO}</url><releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository></repositories>
    <pluginRepositories><pluginRepository><id>central</id><url>file://${DEBIAN_MAVEN_REPO}</url><releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository></pluginRepositories>
  </profile></profiles>
  <activeProfiles><activeProfile>debian</activeProfile></activeProfiles>
</settings>
`;

/** The command cases' builders, appended to the generated file (test-only; `T_` names stay out of its way). */
function commandBuilders(root: string, passwords: { wp: string; wb: string; wq: string; ka: string; ka0: string }): string {
  const q = JSON.stringify;
  return `
# ---- test-only: the command cases on workers wp (buildbot-worker), wb (bbm worker, msgpack) and wq (bbm worker, PB) ----
from buildbot.process import buildstep, remotecommand, results
from buildbot.steps.worker import CompositeStepMixin
ROOT = ${q(root)}
c['workers'] += [worker.Worker('wp', ${q(passwords.wp)}, max_builds=2), worker.Worker('wb', ${q(passwords.wb)}, max_builds=2), worker.Worker('wq', ${q(passwords.wq)}, max_builds=2)]

class Probe(buildstep.BuildStep, CompositeStepMixin):
    """The file commands no stock step sends alone: glob, listdir, rmfile, stat on missing paths."""
    logEnviron = False
    @defer.inlineCallbacks
    def run(self):
        out = {}
        base = os.path.join(self.worker.worker_basedir, self.build.builder.config.builddir)
        src = os.path.join(base, 'build', 'src')
        out['glob'] = sorted(os.path.basename(p) for p in (yield self.runGlob(os.path.join(src, '*.txt'))))
        out['glob_recursive'] = sorted(os.path.relpath(p, src) for p in (yield self.runGlob(os.path.join(src, '**'))))
        out['glob_hidden'] = sorted(os.path.basename(p) for p in (yield self.runGlob(os.path.join(src, '.h*'))))
        out['glob_none'] = yield self.runGlob(os.path.join(base, 'build', 'nothing-*'))
        cmd = yield self.run_listdir('build/src')
        out['listdir'] = sorted(cmd.updates['files'][-1]) if 'files' in cmd.updates else None
        cmd = yield self.run_listdir('build/missing')
        out['listdir_missing_rc'] = cmd.rc
        out['exists'] = yield self.pathExists(os.path.join('build', 'src', 'a.txt'))
        out['exists_missing'] = yield self.pathExists(os.path.join('build', 'missing'))
        yield self.runRmFile(os.path.join(src, 'a.txt'))
        out['exists_after_rmfile'] = yield self.pathExists(os.path.join('build', 'src', 'a.txt'))
        try:
            yield self.runRmFile(os.path.join(src, 'a.txt'))
            out['rmfile_missing'] = 'ok'
        except buildstep.BuildStepFailed:
            out['rmfile_missing'] = 'failed'
        yield self.addCompleteLog('probe', json.dumps(out, sort_keys=True))
        return results.SUCCESS

    @defer.inlineCallbacks
    def run_listdir(self, d):
        cmd = remotecommand.RemoteCommand('listdir', {'dir': d})
        yield self.runCommand(cmd)
        return cmd

def shell_factory(tag):
    f = util.BuildFactory()
    S = steps.ShellCommand
    f.addStep(S(name='argv', command=['printf', '%s|', 'a b', "it's", 'é日本', '']))
    f.addStep(S(name='string', command='echo one && echo two >&2; test -n "$PWD" && echo "pwd=$PWD"'))
    f.addStep(S(name='env', env={'FOO': 'pre:$' + '{PATH}', 'LIST': ['a', 'b'], 'HOME': None, 'EMPTY': '$' + '{NOPE_NOT_SET}x'},
                command=['sh', '-c', 'echo "FOO=$FOO"; echo "LIST=$LIST"; echo "HOME=$' + '{HOME-unset}"; echo "EMPTY=$EMPTY"']))
    f.addStep(S(name='workdir', workdir='sub/dir', command=['pwd']))
    f.addStep(S(name='rc3', command=['sh', '-c', 'exit 3'], decodeRC={0: results.SUCCESS, 3: results.WARNINGS}))
    f.addStep(S(name='signal', command=['sh', '-c', 'kill -9 $$'], flunkOnFailure=False, warnOnFailure=True))
    f.addStep(S(name='stdin', command=['cat'], initialStdin='from stdin\\n'))
    f.addStep(S(name='logfile', command=['sh', '-c', 'echo line1 > out.txt; sleep 0.3; echo line2 >> out.txt'], logfiles={'out': 'out.txt'}))
    f.addStep(S(name='binary', command=['head', '-c', '300000', '/dev/urandom']))
    f.addStep(S(name='large', command=['seq', '1', '200000']))
    f.addStep(S(name='idle-timeout', command=['sleep', '30'], timeout=2, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(S(name='maxtime', command=['sh', '-c', 'while true; do echo tick; sleep 0.3; done'], maxTime=2, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(S(name='missing-program', command=['/nonexistent/program'], flunkOnFailure=False, warnOnFailure=True))
    f.addStep(S(name='usepty', command=['echo', 'pty'], usePTY=False))
    return f

def files_factory(tag):
    f = util.BuildFactory()
    up = os.path.join(ROOT, 'up-' + tag)
    f.addStep(steps.ShellCommand(name='prepare', command=['sh', '-c',
        'mkdir -p src/sub && echo a > src/a.txt && echo c > src/c.txt && echo b > src/sub/b.txt && echo h > src/.hidden && head -c ${BIG} /dev/urandom > big.bin && sha256sum big.bin']))
    f.addStep(steps.MakeDirectory(name='mkdir', dir='build/made/deep'))
    f.addStep(steps.FileExists(name='exists-file', file='build/src/a.txt'))
    f.addStep(steps.FileExists(name='exists-missing', file='build/nope', haltOnFailure=False, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(steps.CopyDirectory(name='cpdir', src='build/src', dest='build/copy'))
    f.addStep(steps.ShellCommand(name='check-copy', command=['sh', '-c', 'cat copy/a.txt copy/sub/b.txt copy/.hidden && test -d made/deep']))
    f.addStep(steps.RemoveDirectory(name='rmdir', dir='build/copy'))
    f.addStep(steps.ShellCommand(name='check-rmdir', command=['sh', '-c', 'test ! -e copy']))
    f.addStep(steps.RemoveDirectory(name='rmdir-missing', dir='build/never-there'))
    f.addStep(steps.FileUpload(name='upload', workersrc='big.bin', masterdest=os.path.join(up, 'big.bin')))
    f.addStep(steps.FileUpload(name='upload-missing', workersrc='nope.bin', masterdest=os.path.join(up, 'nope.bin'), haltOnFailure=False, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(steps.FileUpload(name='upload-max', workersrc='big.bin', masterdest=os.path.join(up, 'max.bin'), maxsize=1000, haltOnFailure=False, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(steps.DirectoryUpload(name='dirupload', workersrc='src', masterdest=os.path.join(up, 'src')))
    f.addStep(steps.DirectoryUpload(name='dirupload-gz', workersrc='src', masterdest=os.path.join(up, 'src-gz'), compress='gz'))
    f.addStep(steps.FileDownload(name='download', mastersrc=os.path.join(ROOT, 'download.bin'), workerdest='down/dl.bin', mode=0o640))
    f.addStep(steps.ShellCommand(name='check-download', command=['sh', '-c', 'sha256sum down/dl.bin; stat -c %a down/dl.bin']))
    f.addStep(steps.FileDownload(name='download-missing', mastersrc=os.path.join(ROOT, 'absent.bin'), workerdest='down/x.bin', haltOnFailure=False, flunkOnFailure=False, warnOnFailure=True))
    f.addStep(Probe(name='probe'))
    return f

def git_factory(tag):
    f = util.BuildFactory()
    f.addStep(steps.Git(name='clone', repourl=os.path.join(ROOT, 'repo.git'), mode='full', method='clobber', branch='master'))
    f.addStep(steps.Git(name='update', repourl=os.path.join(ROOT, 'repo.git'), mode='incremental', branch='master'))
    f.addStep(steps.ShellCommand(name='log', command=['git', 'log', '--format=%s']))
    return f

def interrupt_factory(tag):
    # The shell ignores SIGTERM and so does its child: only the kill after sigtermTime ends them.
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='sleeper', sigtermTime=2,
        command=['sh', '-c', 'trap "" TERM; sleep 300 & echo $! > ' + os.path.join(ROOT, 'pid-interrupt-' + tag) + '; wait']))
    return f

def orphan_factory(tag):
    # The shell dies on SIGTERM, its child ignores it: the whole group still goes within sigtermTime.
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='sleeper', sigtermTime=2,
        command=['sh', '-c', '(trap "" TERM; exec sleep 300) & echo $! > ' + os.path.join(ROOT, 'pid-orphan-' + tag) + '; wait']))
    return f

T_FACTORIES = {'shell': shell_factory, 'files': files_factory, 'git': git_factory, 'interrupt': interrupt_factory, 'orphan': orphan_factory}
T_BUILDERS = [util.BuilderConfig(name=case + '-' + tag, workernames=[w], factory=make(tag))
              for case, make in T_FACTORIES.items() for tag, w in (('py', 'wp'), ('bbm', 'wb'), ('pb', 'wq'))]

# The keepalive case: bbm workers behind a proxy, ka with keepalives every 2 s, ka0 without.
c['workers'] += [worker.Worker('ka', ${q(passwords.ka)}), worker.Worker('ka0', ${q(passwords.ka0)})]
# The master's own keepalive request to msgpack workers comes every 3 s instead of every hour
# (Buildbot 3.7 fixes Connection.keepalive_interval at 3600 s in worker/protocols/msgpack.py).
from buildbot.worker.protocols import msgpack as _msgpack_protocol
_msgpack_protocol.Connection.keepalive_interval = 3
def keepalive_factory():
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='hello', command=['echo', 'built on ka']))
    return f
T_BUILDERS.append(util.BuilderConfig(name='keepalive', workernames=['ka'], factory=keepalive_factory()))

# The max_builds case: workers m1p, m2p (buildbot-worker) and m1b, m2b (bbm worker), with max_builds
# 1 and 2 from the generated file, two builders each (a, b) that leave markers in one folder per worker.
def alone_factory(w, me, other):
    # Fails if the other builder's build runs at the same time.
    d = os.path.join(ROOT, 'mb-' + w)
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='alone', command=['sh', '-c',
        'mkdir -p {d}; test ! -e {d}/{o} || {{ echo "{o} is running"; exit 1; }}; touch {d}/{m}; sleep 2; '
        'if test -e {d}/{o}; then echo "{o} is running"; rc=1; else echo "ran alone"; rc=0; fi; rm -f {d}/{m}; exit $rc'.format(d=d, m=me, o=other)]))
    return f
def together_factory(w, me, other):
    # Fails unless the other builder's build starts while this one runs (markers stay).
    d = os.path.join(ROOT, 'mb-' + w)
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='together', command=['sh', '-c',
        'mkdir -p {d}; touch {d}/{m}; n=0; while test ! -e {d}/{o}; do n=$((n+1)); '
        'if test $n -gt 1200; then echo "{o} never ran beside {m}"; exit 1; fi; sleep 0.1; done; echo "{o} is running too"'.format(d=d, m=me, o=other)]))
    return f
for _w in ('m1p', 'm2p', 'm1b', 'm2b'):
    for _me, _other in (('a', 'b'), ('b', 'a')):
        T_BUILDERS.append(util.BuilderConfig(name='mb-%s-%s' % (_w, _me), workernames=[_w],
            factory=(alone_factory if _w.startswith('m1') else together_factory)(_w, _me, _other)))

c['builders'] += T_BUILDERS
c['schedulers'].append(schedulers.ForceScheduler(name='cmd', builderNames=[b.name for b in T_BUILDERS]))
`;
}

const stepsOf = (b: FinishedBuild) => b.steps.map((s) => [s.name, s.results]);

d('bbm worker beside buildbot-worker on one Debian Buildbot 3.7 master (msgpack_experimental_v7 and PB)', () => {
  let root: string;
  let ns: Namespace;
  let master: TestMaster;
  const workers: ChildProcess[] = [];
  let wb: ChildProcess;
  let wq: ChildProcess;
  let recipes: Promise<Record<Tag, Record<string, FinishedBuild>>>;
  const images: string[] = [];

  // The command cases run while every recipe builds: the deadlines are generous.
  const both = async (kase: string): Promise<{ py: FinishedBuild; bbm: FinishedBuild; pb: FinishedBuild }> => {
    const [p, b, q] = await Promise.all(['py', 'bbm', 'pb'].map((tag) => master.build(`${kase}-${tag}`, {}, 'cmd', 540_000)));
    return { py: p!, bbm: b!, pb: q! };
  };
  const log = async (b: FinishedBuild, step: string, name = 'stdio') => master.stepLog(b.buildid, b.steps.find((s) => s.name === step)!.number, name);

  /** Every recipe project on both workers at once; resolves when all are finished. */
  const buildRecipes = async (): Promise<Record<Tag, Record<string, FinishedBuild>>> => {
    const names = TAGS.flatMap((tag) => Object.keys(PROJECTS).map((name) => [tag, name] as const));
    const built = await Promise.all(names.map(async ([tag, name]) => [tag, name, await master.build(`${name}-${tag}`, { branch: 'master', reason: 'worker test', deploy: false }, 'force', 540_000)] as const));
    const out: Record<Tag, Record<string, FinishedBuild>> = { py: {}, bbm: {} };
    for (const [tag, name, b] of built) {
      out[tag][name] = b;
      const props = (await master.get<{ properties: Record<string, [unknown, string]>[] }>(`/builds/${b.buildid}/properties`)).properties[0]!;
      if (typeof props.image?.[0] === 'string') images.push(props.image[0]);
    }
    return out;
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bbm-worker-'));
    chmodSync(root, 0o755);
    const stamp = `${process.pid}-${Date.now()}`;
    const passwords = Object.fromEntries(['wp', 'wb', 'wq', 'rp', 'rb', 'ka', 'ka0', ...MAX_BUILDS_WORKERS].map((w) => [w, `pw-${w}-${stamp}`])) as Record<'wp' | 'wb' | 'wq' | 'rp' | 'rb' | 'ka' | 'ka0' | MaxBuildsWorker, string>;
    const secrets = path.join(root, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    for (const w of ['rp', 'rb', ...MAX_BUILDS_WORKERS] as const) writeFileSync(path.join(secrets, `worker-${w}`), passwords[w], { mode: 0o600 });
    for (const w of ['wb', 'wq', 'rb', 'ka', 'ka0', 'm1b', 'm2b'] as const) writeFileSync(path.join(root, `${w}-password`), `${passwords[w]}\n`, { mode: 0o600 });
    writeFileSync(path.join(root, 'download.bin'), randomBytes(3_000_000));
    project(root, 'repo', { README: 'hello\n' }); // for steps.Git

    const config = resolveConfig({
      registry: REGISTRY,
      marathon: { url: 'http://127.0.0.1:9/' },
      buildbot: {
        url: 'http://localhost/',
        title: 'worker test',
        version: '3.7',
        workers: [
          { name: 'rp', maxBuilds: Object.keys(PROJECTS).length },
          { name: 'rb', maxBuilds: Object.keys(PROJECTS).length, kind: 'bbm' },
          // the max_builds case's workers (no project builds on them: see below)
          { name: 'm1p', maxBuilds: 1 },
          { name: 'm2p', maxBuilds: 2 },
          { name: 'm1b', maxBuilds: 1, kind: 'bbm' },
          { name: 'm2b', maxBuilds: 2, kind: 'bbm' },
        ],
        workerAddress: '127.0.0.1',
        workerPort: PB_PORT,
        msgpackPort: MSGPACK_PORT,
        secretsDir: secrets,
      },
      changeSources: { pollInterval: 600 },
      projects: Object.entries(PROJECTS).flatMap(([name, p]) => {
        const repo = project(root, name, p.files);
        return TAGS.map((tag) => ({
          name: `${name}-${tag}`,
          repo,
          type: p.type,
          branches: ['master'],
          repository: `${REPOSITORY}-${name}-${tag}`,
          buildArgs: { BASE: BASE_IMAGE },
          deploy: { branches: ['master'], app: 'marathon.json' },
        }));
      }),
    });
    const generated = renderConfig(config, 'ci.config.ts');
    expect(generated).toContain(`'msgpack_experimental_v7': {'port': ${MSGPACK_PORT}}`);
    for (const w of MAX_BUILDS_WORKERS) expect(generated).toMatch(new RegExp(`\\{'name': '${w}', 'password_secret': 'worker-${w}', 'max_builds': ${w[1]}\\}`));
    // The generated file, plus what this test needs: the REST API on a unix socket, no login
    // (authorization is not what this test is about), each project on its own worker, the command cases.
    const cfg = `${generated}
c['www']['port'] = ${JSON.stringify(`unix:${path.join(root, 'www.sock')}`)}
c['www'].pop('auth', None)
c['www']['authz'] = util.Authz()
c['www']['plugins'] = {}
for _b in c['builders']:
    _b.workernames = ['rb' if _b.name.endswith('-bbm') else 'rp']
${commandBuilders(root, passwords)}`;
    ns = await startNamespace();
    master = new TestMaster(ns, root);
    master.create(cfg, root);
    await master.start();

    const shim = path.join(root, 'bin');
    mkdirSync(shim);
    writeFileSync(path.join(shim, 'bbm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli.js'))} "$@"\n`, { mode: 0o755 });
    const cleanEnv = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, LANG: 'C.UTF-8' };
    // Each recipe worker its own HOME, Maven settings and caches (Java reads user.home from the
    // password database, not HOME: MAVEN_OPTS says it).
    const recipeEnv = (tag: Tag): NodeJS.ProcessEnv => {
      const home = path.join(root, `home-${tag}`);
      mkdirSync(path.join(home, '.m2'), { recursive: true });
      writeFileSync(path.join(home, '.m2', 'settings.xml'), MAVEN_SETTINGS);
      return {
        PATH: `${shim}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: home,
        LANG: 'C.UTF-8',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        npm_config_cache: path.join(home, 'npm-cache'),
        MAVEN_OPTS: `-Duser.home=${home}`,
        GRADLE_USER_HOME: path.join(home, '.gradle'),
        GOFLAGS: '-mod=mod',
        GOPROXY: 'off',
      };
    };
    const pythonWorker = (name: string, password: string, env: NodeJS.ProcessEnv) => {
      const dir = path.join(root, `worker-${name}`);
      run(BUILDBOT_WORKER, ['create-worker', '-q', dir, `127.0.0.1:${PB_PORT}`, name, password], { env });
      return ns.spawn(BUILDBOT_WORKER, ['start', '--nodaemon', dir], { cwd: dir, env });
    };
    workers.push(pythonWorker('wp', passwords.wp, cleanEnv), pythonWorker('rp', passwords.rp, recipeEnv('py')), pythonWorker('m1p', passwords.m1p, cleanEnv), pythonWorker('m2p', passwords.m2p, cleanEnv));
    for (const w of ['m1b', 'm2b']) workers.push(startBbmWorker(ns, { name: w, passwordFile: path.join(root, `${w}-password`), basedir: path.join(root, `worker-${w}`), log: path.join(root, `${w}.log`) }));
    wb = startBbmWorker(ns, {
      name: 'wb',
      passwordFile: path.join(root, 'wb-password'),
      basedir: path.join(root, 'worker-wb'),
      env: { ...cleanEnv, SECRET_TOKEN: 'must-not-leak', BBM_STEP_MODE: 'test' },
      log: path.join(root, 'wb.log'),
      extra: ['--admin', 'tests <t@example.invalid>', '--max-delay', '2'],
    });
    wq = startBbmWorker(ns, {
      name: 'wq',
      protocol: 'pb',
      passwordFile: path.join(root, 'wq-password'),
      basedir: path.join(root, 'worker-wq'),
      env: { ...cleanEnv, SECRET_TOKEN: 'must-not-leak', BBM_STEP_MODE: 'test' },
      log: path.join(root, 'wq.log'),
      extra: ['--admin', 'tests <t@example.invalid>', '--max-delay', '2'],
    });
    workers.push(wq);
    const passEnv = ['npm_config_audit', 'npm_config_fund', 'npm_config_update_notifier', 'npm_config_cache', 'MAVEN_OPTS', 'GRADLE_USER_HOME', 'GOFLAGS', 'GOPROXY'];
    workers.push(wb, startBbmWorker(ns, { name: 'rb', passwordFile: path.join(root, 'rb-password'), basedir: path.join(root, 'worker-rb'), env: recipeEnv('bbm'), log: path.join(root, 'rb.log'), extra: passEnv.flatMap((n) => ['--pass-env', n]) }));
    await Promise.all(['wp', 'wb', 'wq', 'rp', 'rb', ...MAX_BUILDS_WORKERS].map((w) => master.waitConnected(w, 120_000)));
    // The recipes build while the command cases run; the recipes case below waits for them.
    recipes = buildRecipes();
    recipes.catch(() => {});
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => stop(w, 30_000)));
    await master?.stop();
    await ns?.close();
    for (const image of images) spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
    if (root && !process.env.BBM_TEST_KEEP) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('connects with worker info: admin, host, version, and a filtered environment (msgpack and PB)', async () => {
    for (const [name, child] of [['wb', wb], ['wq', wq]] as const) {
      const w = await master.worker(name);
      expect(w?.workerinfo.admin, name).toBe('tests <t@example.invalid>');
      expect(String(w?.workerinfo.version), name).toMatch(/bbm worker/);
      // The master's own view of the worker (connection info, environment) through its Python objects is in twistd.log only;
      // the environment reaches the steps, checked below in the shell case.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
      expect(argv).not.toContain('pw-');
    }
    expect(readFileSync(path.join(root, 'wq.log'), 'utf8')).not.toContain('pw-wq');
  });

  it('shell: argv and string commands, env expansion and unset, workdir, exit codes, signals, stdin, logfiles, binary and large output, timeouts', async () => {
    const r = await both('shell');
    expect(stepsOf(r.bbm)).toEqual(stepsOf(r.py));
    expect(stepsOf(r.pb)).toEqual(stepsOf(r.py));
    for (const b of [r.bbm, r.pb]) {
      const res = Object.fromEntries(b.steps.map((s) => [s.name, s.results]));
      expect(res).toMatchObject({ argv: 0, string: 0, env: 0, workdir: 0, rc3: 1, signal: 2, stdin: 0, logfile: 0, binary: 0, large: 0, 'idle-timeout': 2, maxtime: 2, 'missing-program': 2, usepty: 0 });
    }
    for (const b of [r.py, r.bbm, r.pb]) {
      expect(await log(b, 'argv')).toContain("a b|it's|é日本||");
      const str = await log(b, 'string');
      expect(str).toMatch(/one\n/);
      expect(str).toMatch(/two\n/);
      const env = await log(b, 'env');
      expect(env).toMatch(/FOO=pre:\/[^\n]*\/usr\/bin/);
      expect(env).toContain('LIST=a:b');
      expect(env).toContain('HOME=unset');
      expect(env).toContain('EMPTY=x');
      expect(await log(b, 'workdir')).toMatch(/\/sub\/dir\n/);
      expect(await log(b, 'rc3')).toContain('program finished with exit code 3');
      const sig = await log(b, 'signal');
      expect(sig).toContain('process killed by signal 9');
      expect(sig).toContain('program finished with exit code -1');
      expect(await log(b, 'stdin')).toContain('from stdin');
      expect(await log(b, 'logfile', 'out')).toMatch(/^line1\nline2\n?$/);
      expect((await log(b, 'large')).split('\n').filter((l) => /^\d+$/.test(l)).length).toBe(200000);
      expect(await log(b, 'idle-timeout')).toContain('command timed out: 2 seconds without output');
      expect(await log(b, 'maxtime')).toContain('command timed out: 2 seconds elapsed');
    }
    // The environment steps see (and the log prints) is the filtered one: no secret-named variable of the worker.
    for (const b of [r.bbm, r.pb]) {
      const bbmEnv = await log(b, 'env');
      expect(bbmEnv).not.toContain('must-not-leak');
      expect(bbmEnv).toContain('BBM_MODE=test');
    }
  }, 600_000);

  it('file commands and transfers: mkdir, stat, cpdir, rmdir, glob, listdir, rmfile, uploads and downloads, missing paths', async () => {
    const r = await both('files');
    expect(stepsOf(r.bbm)).toEqual(stepsOf(r.py));
    expect(stepsOf(r.pb)).toEqual(stepsOf(r.py));
    for (const b of [r.bbm, r.pb]) {
      const res = Object.fromEntries(b.steps.map((s) => [s.name, s.results]));
      expect(res).toMatchObject({ prepare: 0, mkdir: 0, 'exists-file': 0, 'exists-missing': 2, cpdir: 0, 'check-copy': 0, rmdir: 0, 'check-rmdir': 0, 'rmdir-missing': 0, upload: 0, 'upload-missing': 2, 'upload-max': 2, dirupload: 0, 'dirupload-gz': 0, download: 0, 'check-download': 0, 'download-missing': 2, probe: 0 });
    }
    const probes = await Promise.all([r.py, r.bbm, r.pb].map((b) => log(b, 'probe', 'probe')));
    const [pyProbe, bbmProbe, pbProbe] = probes.map((p) => JSON.parse(p) as Record<string, unknown>) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(bbmProbe).toEqual(pyProbe);
    expect(pbProbe).toEqual(pyProbe);
    expect(bbmProbe).toMatchObject({ glob: ['a.txt', 'c.txt'], glob_hidden: ['.hidden'], glob_none: [], listdir: ['.hidden', 'a.txt', 'c.txt', 'sub'], exists: true, exists_missing: false, exists_after_rmfile: false, rmfile_missing: 'failed', listdir_missing_rc: 2 });
    expect(bbmProbe.glob_recursive).toEqual(['.', 'a.txt', 'c.txt', 'sub', 'sub/b.txt']);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    for (const tag of ['py', 'bbm', 'pb']) {
      const up = path.join(root, `up-${tag}`);
      expect(readFileSync(path.join(up, 'big.bin')).length).toBe(BIG);
      expect(readFileSync(path.join(up, 'src', 'sub', 'b.txt'), 'utf8')).toBe('b\n');
      expect(readFileSync(path.join(up, 'src-gz', '.hidden'), 'utf8')).toBe('h\n');
    }
    // The master opens the destination before the worker reports the missing source: same leftovers either way.
    expect(existsSync(path.join(root, 'up-bbm', 'nope.bin'))).toBe(existsSync(path.join(root, 'up-py', 'nope.bin')));
    expect(readFileSync(path.join(root, 'up-bbm', 'max.bin')).length).toBe(readFileSync(path.join(root, 'up-py', 'max.bin')).length);
    expect(sha(path.join(root, 'up-bbm', 'big.bin'))).toMatch(/^[0-9a-f]{64}$/);
    expect(await log(r.bbm, 'prepare')).toContain(sha(path.join(root, 'up-bbm', 'big.bin')));
    expect(await log(r.pb, 'prepare')).toContain(sha(path.join(root, 'up-pb', 'big.bin')));
    expect(existsSync(path.join(root, 'up-pb', 'nope.bin'))).toBe(existsSync(path.join(root, 'up-py', 'nope.bin')));
    expect(readFileSync(path.join(root, 'up-pb', 'max.bin')).length).toBe(readFileSync(path.join(root, 'up-py', 'max.bin')).length);
    // FileDownload of 3 MB of random bytes: buildbot-worker and bbm worker over PB get them exactly, with the mode
    for (const b of [r.py, r.pb]) expect(await log(b, 'check-download')).toContain(`${sha(path.join(root, 'download.bin'))}  down/dl.bin\n640`);
    expect(await log(r.pb, 'download-missing')).toBe(await log(r.py, 'download-missing'));
    // Over msgpack_experimental_v7 the master answers every read with nothing (Buildbot ≤ 4.3,
    // master/buildbot/worker/protocols/manager/msgpack.py call_update_read_file drops remote_read's
    // result): the file is created with its mode and stays empty. If a master fixes it, this fails.
    const EMPTY = createHash('sha256').digest('hex');
    expect(await log(r.bbm, 'check-download')).toContain(`${EMPTY}  down/dl.bin\n640`);
  }, 600_000);

  it('steps.Git clones and updates as with buildbot-worker', async () => {
    const r = await both('git');
    expect(stepsOf(r.bbm)).toEqual(stepsOf(r.py));
    expect(stepsOf(r.pb)).toEqual(stepsOf(r.py));
    expect(r.bbm.results).toBe(0);
    expect(r.pb.results).toBe(0);
    expect(await log(r.bbm, 'log')).toContain('first commit');
    expect(await log(r.pb, 'log')).toContain('first commit');
    const props = (await master.get<{ properties: Record<string, [unknown, string]>[] }>(`/builds/${r.bbm.buildid}/properties`)).properties[0]!;
    const pyProps = (await master.get<{ properties: Record<string, [unknown, string]>[] }>(`/builds/${r.py.buildid}/properties`)).properties[0]!;
    expect(props.got_revision?.[0]).toMatch(/^[0-9a-f]{40}$/);
    expect(props.got_revision?.[0]).toBe(pyProps.got_revision?.[0]);
    const pbProps = (await master.get<{ properties: Record<string, [unknown, string]>[] }>(`/builds/${r.pb.buildid}/properties`)).properties[0]!;
    expect(pbProps.got_revision?.[0]).toBe(pyProps.got_revision?.[0]);
  }, 240_000);

  const stopBuild = async (kase: string, tag: string, waitMs = 20_000) => {
    const brid = await master.startBuild(`${kase}-${tag}`, 'cmd');
    const pidFile = path.join(root, `pid-${kase}-${tag}`);
    const pid = await until(`${kase}-${tag} to start its process`, async () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) || undefined : undefined), 60_000);
    const { builds } = await master.get<{ builds: { buildid: number }[] }>(`/buildrequests/${brid}/builds`);
    await master.post(`/api/v2/builds/${builds[0]!.buildid}`, { jsonrpc: '2.0', method: 'stop', id: 1, params: { reason: 'test stops it' } });
    const stoppedAt = Date.now();
    const build = await master.finished(brid, 60_000);
    const alive = () => spawnSync('kill', ['-0', String(pid)]).status === 0;
    const gone = await until(`${kase}-${tag}'s process to die`, async () => (!alive() ? Date.now() : undefined), waitMs).catch(() => undefined);
    return { build, pid, killedAfterMs: gone === undefined ? undefined : gone - stoppedAt };
  };

  it('a stopped build kills its whole process group (SIGTERM ignored: SIGKILL after sigtermTime)', async () => {
    const [p, b, q] = await Promise.all([stopBuild('interrupt', 'py', 8_000), stopBuild('interrupt', 'bbm'), stopBuild('interrupt', 'pb')]);
    expect(b.build.results).toBe(p.build.results);
    expect(q.build.results).toBe(p.build.results);
    expect(b.build.results).toBe(6); // CANCELLED
    expect(b.killedAfterMs, 'the ignoring child survived').toBeDefined();
    expect(q.killedAfterMs, 'the ignoring child survived (PB)').toBeDefined();
    expect(await log(q.build, 'sleeper')).toContain('command interrupted, attempting to kill');
    // buildbot-worker 3.7 forgets the group after SIGTERM and then kills only the shell
    // (runprocess.py sendSig clears pgid): its child lives on, so it is not held to this.
    if (p.killedAfterMs === undefined) spawnSync('kill', ['-KILL', String(p.pid)]);
    expect(await log(b.build, 'sleeper')).toContain('command interrupted, attempting to kill');
  }, 120_000);

  it('a child that outlives its shell\'s SIGTERM is still killed once sigtermTime is over (bbm worker)', async () => {
    const [b, q] = await Promise.all([stopBuild('orphan', 'bbm'), stopBuild('orphan', 'pb')]);
    expect(b.build.results).toBe(6);
    expect(b.killedAfterMs, 'the orphan survived').toBeDefined();
    expect(q.build.results).toBe(6);
    expect(q.killedAfterMs, 'the orphan survived (PB)').toBeDefined();
  }, 120_000);


  it('keepalives: a connection that dies without closing is noticed within two keepalive intervals, dropped, and made again; the next build runs (without keepalives it goes unnoticed)', async () => {
    // Worker ka (--keepalive 5: its reply timeout too, so not less on a loaded machine) and ka0 (--keepalive 0) reach the master through a proxy; SIGUSR1 makes
    // the proxy stop forwarding their connections without closing either side.
    const proxyLog = path.join(root, 'stall-proxy.log');
    type ProxyEvent = { conn?: number; event: string; worker?: string; port?: number; by?: string };
    const events = (): ProxyEvent[] =>
      readFileSync(proxyLog, 'utf8')
        .split('\n')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as ProxyEvent];
          } catch {
            return [];
          }
        });
    const connsOf = (name: string) => events().flatMap((e) => (e.event === 'open' && e.worker === name ? [e.conn!] : []));
    const on = (conn: number, event: string) => events().some((e) => e.conn === conn && e.event === event);
    const proxy = ns.spawn(process.execPath, [STALL_PROXY, String(MSGPACK_PORT)], { log: proxyLog });
    const logs = { ka: path.join(root, 'ka.log'), ka0: path.join(root, 'ka0.log') };
    const started: ChildProcess[] = [proxy];
    try {
      const port = await until('the proxy to listen', async () => events().find((e) => e.event === 'listening')?.port, 30_000, proxyLog);
      for (const [name, keepalive] of [['ka', '5'], ['ka0', '0']] as const) {
        started.push(startBbmWorker(ns, { name, port, passwordFile: path.join(root, `${name}-password`), basedir: path.join(root, `worker-${name}`), log: logs[name], extra: ['--keepalive', keepalive, '--max-delay', '2'] }));
      }
      await Promise.all(['ka', 'ka0'].map((w) => master.waitConnected(w, 120_000)));
      const [first] = connsOf('ka');
      const [first0] = connsOf('ka0');
      // A live connection carries keepalives both ways: ka's pings answered by the master's pongs, the
      // master's keepalive requests answered by the worker (ka0 too: it only sends no pings).
      await until("the master's pongs to ka's pings, and both workers' answers to the master's keepalives", async () => (on(first!, 'pong') && on(first!, 'keepalive-answered') && on(first0!, 'keepalive-answered') ? true : undefined), 60_000, proxyLog);
      expect(on(first0!, 'ping')).toBe(false);
      expect((await master.build('keepalive', {}, 'cmd')).results).toBe(0);

      process.kill(proxy.pid!, 'SIGUSR1');
      await until('the proxy to stall both connections', async () => (on(first!, 'stalled') && on(first0!, 'stalled') ? true : undefined), 30_000, proxyLog);
      await until('ka to notice the dead connection', async () => (readFileSync(logs.ka, 'utf8').includes('no answer to a keepalive ping within 5 s') ? true : undefined), 60_000, logs.ka);
      // A new connection, accepted: the master sends keepalives on it once the worker is attached (after
      // pinging the old connection in vain for 10 s, worker/manager.py PING_TIMEOUT, and dropping it).
      const second = await until('ka to be attached again over a new connection', async () => connsOf('ka').find((c) => c !== first && on(c, 'keepalive-answered')), 120_000, logs.ka);
      expect(events().some((e) => e.conn === first && e.event === 'closed' && e.by === 'master')).toBe(true);
      expect((await master.build('keepalive', {}, 'cmd')).results).toBe(0);
      expect(on(second, 'pong')).toBe(true);
      // Without keepalives, the dead connection is still ka0's only one, and the master still lists ka0 as connected.
      expect(connsOf('ka0')).toEqual([first0]);
      expect(readFileSync(logs.ka0, 'utf8')).not.toMatch(/disconnected|no answer to a keepalive/);
      expect((await master.worker('ka0'))?.connected_to.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(started.reverse().map((c) => stop(c, 10_000)));
    }
  }, 300_000);

  it('max_builds from the config: with 1 a worker runs its two builders\' builds one at a time, with 2 at once (bbm worker as buildbot-worker)', async () => {
    type Timed = FinishedBuild & { started_at: number; complete_at: number };
    const runs = await Promise.all(
      MAX_BUILDS_WORKERS.map(async (w) => {
        // Both requests first, then wait: with max_builds 1 the second waits in the queue.
        const brids = await Promise.all(['a', 'b'].map((x) => master.startBuild(`mb-${w}-${x}`, 'cmd')));
        const builds = (await Promise.all(brids.map((id) => master.finished(id, 300_000)))) as Timed[];
        return { w, builds };
      }),
    );
    for (const { w, builds } of runs) {
      const step = w.startsWith('m1') ? 'alone' : 'together';
      const logs = await Promise.all(builds.map((b) => log(b, step)));
      expect(builds.map((b) => b.results), `${w}: ${logs.join(' | ')}`).toEqual([0, 0]);
      const [x, y] = [...builds].sort((p, q) => p.started_at - q.started_at) as [Timed, Timed];
      if (step === 'alone') {
        for (const l of logs) expect(l).toContain('ran alone');
        expect(y.started_at, `${w}: the second build started before the first ended`).toBeGreaterThanOrEqual(x.complete_at);
      } else {
        expect(logs[0]).toContain('b is running too');
        expect(logs[1]).toContain('a is running too');
        expect(y.started_at, `${w}: the second build waited for the first`).toBeLessThanOrEqual(x.complete_at);
      }
    }
  }, 360_000);

  it('the recipes (python, node, docker, auto, maven, gradle, go) build end to end on both workers with the same steps and results', async () => {
    const r = await recipes;
    for (const name of Object.keys(PROJECTS)) {
      const [p, b] = [r.py[name]!, r.bbm[name]!];
      const view = (x: FinishedBuild) => x.steps.map((s) => `${s.name}=${s.results}`);
      expect(p.results, `${name} on buildbot-worker: ${JSON.stringify(p.steps)}`).toBe(0);
      expect(view(b), name).toEqual(view(p));
      expect(b.results, `${name}: ${JSON.stringify(b.steps)}`).toBe(0);
      expect(b.steps.find((s) => s.name === 'deploy')?.results, `${name} deploy`).toBe(3);
    }
    expect(Object.keys(r.bbm.mvnapp!.steps.reduce((a, s) => ({ ...a, [s.name]: 1 }), {}))).toEqual(expect.arrayContaining(['mvn verify', 'mvn package']));
    for (const image of images) {
      const [repo, tag] = image.slice(REGISTRY.length + 1).split(':') as [string, string];
      const tags = (await (await fetch(`http://${REGISTRY}/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags).toContain(tag);
    }
    expect(images.length).toBe(2 * Object.keys(PROJECTS).length);
    // The toolchains really ran their tests, on both workers.
    for (const tag of TAGS) {
      const stepLog = (name: string, step: string) => {
        const b = r[tag][name]!;
        return master.stepLog(b.buildid, b.steps.find((s) => s.name === step)!.number);
      };
      expect(await stepLog('pyapp', 'pytest')).toMatch(/1 passed/);
      expect(await stepLog('mvnapp', 'mvn verify')).toMatch(/Tests run: 1, Failures: 0, Errors: 0/);
      expect(await stepLog('mvnapp', 'mvn package')).toMatch(/maven-jar-plugin:[\d.]+:jar[\s\S]*BUILD SUCCESS/);
      expect(existsSync(path.join(root, `worker-r${tag === 'py' ? 'p' : 'b'}`, `mvnapp-${tag}`, 'build', 'target', 'mvnapp-1.0.jar'))).toBe(true);
      expect(await stepLog('gradleapp', 'gradle test')).toMatch(/:test\b/);
      expect(existsSync(path.join(root, `worker-r${tag === 'py' ? 'p' : 'b'}`, 'gradleapp-' + tag, 'build', 'build', 'test-results', 'test', 'TEST-app.AppTest.xml'))).toBe(true);
      expect(await stepLog('gradleapp', 'gradle assemble')).toMatch(/BUILD SUCCESSFUL/);
      expect(await stepLog('goapp', 'go test')).toMatch(/^ok\s+example\.com\/goapp/m);
    }
  }, 600_000);

  it('survives a master restart while idle and runs the next build', async () => {
    await recipes.catch(() => {});
    await master.stop();
    await master.start();
    await master.waitConnected('wb', 90_000);
    await master.waitConnected('wq', 90_000);
    const [b, q] = await Promise.all([master.build('git-bbm', {}, 'cmd'), master.build('git-pb', {}, 'cmd')]);
    expect(b.results).toBe(0);
    expect(q.results).toBe(0);
    expect(wb.exitCode).toBeNull();
    expect(wq.exitCode).toBeNull();
  }, 240_000);

  it('shuts down when the master asks (graceful stop: no new builds, then exit 0), over msgpack and PB', async () => {
    const all = (await master.get<{ workers: { workerid: number; name: string }[] }>('/workers')).workers;
    await Promise.all(
      ([['wb', wb], ['wq', wq]] as const).map(async ([name, child]) => {
        const w = all.find((x) => x.name === name)!;
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        await master.post(`/api/v2/workers/${w.workerid}`, { jsonrpc: '2.0', method: 'stop', id: 1, params: {} });
        expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]), name).toBe(0);
        await until(`the master to see ${name} gone`, async () => ((await master.worker(name))?.connected_to.length === 0 ? true : undefined), 30_000);
      }),
    );
  }, 90_000);
});
