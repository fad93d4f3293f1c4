import { describe, expect, it } from 'vitest';
import { BananaDecoder, encode, type Banana, type Decoded } from '../../../src/worker/pb/banana.js';
import { Broker, LocalObject, PbConnectionLost, RemoteReference } from '../../../src/worker/pb/broker.js';
import { expandUser, pbArgs, pyJoin } from '../../../src/worker/pb/args.js';
import { challengeResponse, pbUpdates } from '../../../src/worker/pb/connection.js';
import { describeFailure, jelly, Tuple, unjelly } from '../../../src/worker/pb/jelly.js';

const b = (s: string) => Buffer.from(s);

describe('pyJoin (os.path.join) and expandUser', () => {
  it.each([
    [['/w/b', 'build'], '/w/b/build'],
    [['/w/b', 'build', 'f.txt'], '/w/b/build/f.txt'],
    [['/w/b', '/abs/x'], '/abs/x'],
    [['/w/b/', 'x'], '/w/b/x'],
    [['/w/b', ''], '/w/b/'],
    [['/w/b', 'build', ''], '/w/b/build/'],
  ])('%j → %s', (parts, out) => expect(pyJoin(...parts)).toBe(out));
  it.each([
    ['~/x', '/home/u', '/home/u/x'],
    ['~', '/home/u/', '/home/u'],
    ['~other/x', '/home/u', '~other/x'],
    ['a/~', '/home/u', 'a/~'],
    ['~/x', undefined, '~/x'],
  ])('expandUser(%s, %s) → %s', (p, home, out) => expect(expandUser(p, home)).toBe(out));
});

describe('pbArgs (buildbot-worker pb.py protocol_args_setup)', () => {
  const B = '/w/builder';
  it.each([
    ['mkdir', { dir: 'build/made' }, { paths: ['/w/builder/build/made'] }],
    ['rmdir', { dir: ['build/a', 'build/b'], timeout: 120 }, { paths: ['/w/builder/build/a', '/w/builder/build/b'], timeout: 120 }],
    ['cpdir', { fromdir: 'build/src', todir: 'build/copy' }, { from_path: '/w/builder/build/src', to_path: '/w/builder/build/copy' }],
    ['stat', { file: 'build/a.txt' }, { path: '/w/builder/build/a.txt' }],
    ['stat', { file: 'a.txt', workdir: 'build' }, { path: '/w/builder/build/a.txt', workdir: 'build' }],
    ['glob', { path: '/abs/*.txt' }, { path: '/abs/*.txt' }],
    ['listdir', { dir: 'build' }, { path: '/w/builder/build' }],
    ['rmfile', { path: 'build/x' }, { path: '/w/builder/build/x' }],
    ['shell', { workdir: 'build', command: ['true'], want_stdout: 1, want_stderr: 0 }, { workdir: '/w/builder/build', command: ['true'], want_stdout: true, want_stderr: false }],
    ['uploadFile', { workdir: 'build', workersrc: '~/f', blocksize: 16384 }, { path: '/home/u/f', blocksize: 16384 }],
    ['uploadDirectory', { workdir: 'build', workersrc: 'src' }, { path: '/w/builder/build/src' }],
    ['downloadFile', { workdir: 'build', workerdest: 'down/dl.bin', mode: 0o640 }, { path: '/w/builder/build/down/dl.bin', mode: 0o640 }],
  ])('%s %j', (command, raw, out) => expect(pbArgs(command, raw, B, '/home/u')).toEqual(out));
  it('refuses a path that is not a string', () => expect(() => pbArgs('listdir', { dir: 3 }, B, undefined)).toThrow(/'dir' must be a string/));
});

describe('pbUpdates', () => {
  it('sends text as text, logs as (name, text), other keys as they are, in order', () => {
    expect(
      pbUpdates([
        ['header', ['h\n', [1], [0]]],
        ['stdout', ['a\nb\n', [1, 3], [0, 0]]],
        ['log', ['out', ['l\n', [1], [0]]]],
        ['rc', 0],
        ['elapsed', 1.5],
      ]),
    ).toEqual([[{ header: 'h\n' }, 0], [{ stdout: 'a\nb\n' }, 0], [{ log: new Tuple('out', 'l\n') }, 0], [{ rc: 0 }, 0], [{ elapsed: 1.5 }, 0]]);
  });
});

describe('challengeResponse (pb.py respond)', () => {
  it('is md5(md5(password) + challenge)', () => {
    // python3 -c "from twisted.spread import pb; print(pb.respond(b'0123456789abcdef', b'sekret').hex())"
    expect(challengeResponse(Buffer.from('0123456789abcdef'), 'sekret').toString('hex')).toBe('2672cd60593dd6723b372e92f46fda8f');
  });
});

/** A broker wired to an in-memory transport; `sent()` decodes what it wrote. */
function harness() {
  const written: Buffer[] = [];
  const logs: string[] = [];
  let destroyed = false;
  const broker = new Broker({ write: (d: Buffer) => written.push(d), destroy: () => (destroyed = true), writableLength: 0 }, (l) => logs.push(l));
  const peer = new BananaDecoder();
  peer.vocabulary = true;
  const sent = (): Decoded[] => peer.push(Buffer.concat(written.splice(0)));
  const feed = (expr: Banana, vocabulary = true) => broker.dataReceived(encode(expr, vocabulary));
  feed([b('pb'), b('none')], false);
  const tick = () => new Promise((r) => setTimeout(r, 5));
  return { broker, sent, feed, logs, tick, destroyed: () => destroyed };
}

describe('Broker', () => {
  it('chooses the pb dialect and sends its version', async () => {
    const h = harness();
    expect(h.sent()).toEqual([b('pb'), [b('version'), 6]]);
    await h.broker.ready;
  });

  it('calls a remote method and resolves with its answer; an error rejects with the failure', async () => {
    const h = harness();
    h.sent();
    const call = h.broker.root().callRemote('login', [b('w1')]);
    const [msg] = h.sent() as Decoded[][];
    expect(msg!.slice(0, 5)).toEqual([b('message'), 1, b('root'), b('login'), 1]);
    expect(unjelly(msg![5]!)).toEqual([b('w1')]);
    h.feed([b('answer'), 1, jelly(new Tuple(b('chal'), { remote: 1 }), { referenceFor: () => undefined }) as Banana]);
    expect(await call).toEqual([b('chal'), { remote: 1 }]);
    const failing = h.broker.root().callRemote('respond');
    h.sent();
    h.feed([b('error'), 2, [b('twisted.spread.pb.CopyableFailure'), [b('dictionary'), [[b('unicode'), b('type')], b('twisted.cred.error.UnauthorizedLogin')], [[b('unicode'), b('value')], [b('unicode'), b('')]]]]]);
    await expect(failing).rejects.toMatchObject({ remoteType: 'twisted.cred.error.UnauthorizedLogin' });
  });

  it("answers the peer's messages to our objects, NoSuchMethod for unknown ones, and counts references", async () => {
    const h = harness();
    h.sent();
    const bot = new LocalObject('bot', { echo: (args, kw) => ({ args, kw }), builder: () => child });
    const child = new LocalObject('child', { ping: () => 'pong' });
    // our object goes to the peer (as the mind of a login): luid 1
    void h.broker.root().callRemote('respond', [b('r'), bot]);
    const [msg] = h.sent() as Decoded[][];
    expect(msg![5]).toEqual([b('tuple'), b('r'), [b('remote'), 1]]);
    h.feed([b('message'), 7, 1, b('echo'), 1, [b('tuple'), 1, [b('unicode'), b('x')]], [b('dictionary'), [[b('unicode'), b('message')], [b('unicode'), b('hi')]]]]);
    await h.tick();
    const [answer] = h.sent() as Decoded[][];
    expect(answer!.slice(0, 2)).toEqual([b('answer'), 7]);
    expect(unjelly(answer![2]!)).toEqual({ args: [1, 'x'], kw: { message: 'hi' } });
    h.feed([b('message'), 8, 1, b('nope'), 1, [b('tuple')], [b('dictionary')]]);
    await h.tick();
    const [err] = h.sent() as Decoded[][];
    expect(err!.slice(0, 2)).toEqual([b('error'), 8]);
    expect(describeFailure(unjelly(err![2]!))).toBe('twisted.spread.flavors.NoSuchMethod: No such method: remote_nope');
    // the same object sent twice is counted twice; two decrefs forget it
    h.feed([b('message'), 9, 1, b('builder'), 1, [b('tuple')], [b('dictionary')]]);
    h.feed([b('message'), 10, 1, b('builder'), 1, [b('tuple')], [b('dictionary')]]);
    await h.tick();
    expect((h.sent() as Decoded[][]).map((a) => a[2])).toEqual([[b('remote'), 2], [b('remote'), 2]]);
    expect(h.broker.localCount).toBe(2);
    h.feed([b('decref'), 2]);
    expect(h.broker.localCount).toBe(2);
    h.feed([b('decref'), 2]);
    expect(h.broker.localCount).toBe(1);
    h.feed([b('message'), 11, 2, b('ping'), 1, [b('tuple')], [b('dictionary')]]);
    await h.tick();
    expect(describeFailure(unjelly((h.sent() as Decoded[][])[0]![2]!))).toMatch(/Invalid Object ID/);
  });

  it("releases the peer's references it received unless the method keeps them", async () => {
    const h = harness();
    h.sent();
    let kept: RemoteReference | undefined;
    const bot = new LocalObject('bot', { keep: (args, _kw, call) => call.retain((kept = args[0] as RemoteReference)), drop: () => null });
    void h.broker.root().callRemote('respond', [bot]);
    h.sent();
    h.feed([b('message'), 1, 1, b('drop'), 1, [b('tuple'), [b('remote'), 40]], [b('dictionary')]]);
    h.feed([b('message'), 2, 1, b('keep'), 1, [b('tuple'), [b('remote'), 41]], [b('dictionary')]]);
    await h.tick();
    expect((h.sent() as Decoded[][]).map((m) => m[0]!.toString() + (m[0]!.toString() === 'decref' ? m[1] : ''))).toEqual(['decref40', 'answer', 'answer']);
    kept!.release();
    kept!.release();
    expect(h.sent()).toEqual([[b('decref'), 41]]);
  });

  it.each([
    ['bytes that are no Banana', Buffer.from([0x01, 0x99])],
    ['a message that is no list', encode(5)],
    ['an answer to no request', encode([b('answer'), 99, 1])],
    ['another PB version', encode([b('version'), 5])],
  ])('closes the connection with a log line on %s, and fails pending calls', async (_name, data) => {
    const h = harness();
    h.sent();
    const pending = h.broker.root().callRemote('login', []);
    h.broker.dataReceived(data);
    expect(h.destroyed()).toBe(true);
    expect(h.logs.at(-1)).toMatch(/^closing the connection: the master sent/);
    await expect(pending).rejects.toBeInstanceOf(PbConnectionLost);
  });

  it('answers bad arguments with an error, not a crash', async () => {
    const h = harness();
    h.sent();
    const bot = new LocalObject('bot', { x: () => null });
    void h.broker.root().callRemote('respond', [bot]);
    h.sent();
    h.feed([b('message'), 1, 1, b('x'), 1, [b('tuple'), [b('function'), b('os.system')]], [b('dictionary')]]);
    await h.tick();
    const [err] = h.sent() as Decoded[][];
    expect(err![0]).toEqual(b('error'));
    expect(h.destroyed()).toBe(false);
  });
});
