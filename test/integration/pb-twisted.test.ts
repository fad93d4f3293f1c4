/**
 * Banana and jelly against the real Twisted on this machine (Debian's python3-twisted, which Buildbot's
 * master runs on): what Twisted writes, bbm reads; what bbm writes, Twisted reads back to the same value.
 */
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';
import { BananaDecoder, encode, type Banana } from '../../src/worker/pb/banana.js';
import { CopiedInstance, CopyableFailure, describeFailure, jelly, Tuple, unjelly } from '../../src/worker/pb/jelly.js';
import { components, describeWith } from '../support/integration.js';

/** Runs Python with Twisted's banana in the pb dialect as `enc(obj) -> hex` and `dec(hex) -> obj`. */
function python(body: string): Promise<string> {
  const prelude = `
import sys
from io import BytesIO
from twisted.spread import banana, jelly, pb
def proto():
    b = banana.Banana(); b.connectionMade(); b._selectDialect(b"pb"); return b
def enc(obj):
    out = BytesIO(); b = proto(); b.transport = out; b.sendEncoded(obj); return out.getvalue().hex()
def dec(h):
    got = []; b = proto(); b.expressionReceived = got.append; b.dataReceived(bytes.fromhex(h)); return got[0]
class Invoker:
    serializingPerspective = None
    unserializingPerspective = None
`;
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', ['-c', prelude + body], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()))),
  );
}

function decode(hex: string): unknown {
  const d = new BananaDecoder();
  d.vocabulary = true;
  const [expr] = d.push(Buffer.from(hex, 'hex'));
  return unjelly(expr!, { remote: (luid) => ({ remote: luid }) });
}

const suite = await describeWith([components.buildbot]);

suite('PB codec against Twisted', () => {
  it('reads what Twisted jellies and encodes', async () => {
    const hex = await python(`
print(enc([b"message", 7, 1, b"startCommand", 1,
  jelly.jelly((b"x" * 70000, "stépId", {"args": {"workdir": "build", "env": {"A": None}, "big": 2**40, "neg": -2**40, "t": 1.25, "ok": True}, "l": [1, (2, 3)], "s": {4}})),
  jelly.jelly({})]))`);
    const d = new BananaDecoder();
    d.vocabulary = true;
    const [msg] = d.push(Buffer.from(hex, 'hex')) as Banana[][];
    expect(msg!.slice(0, 5)).toEqual([Buffer.from('message'), 7, 1, Buffer.from('startCommand'), 1]);
    const args = unjelly(msg![5] as never) as unknown[];
    expect(args[0]).toEqual(Buffer.alloc(70000, 'x'));
    expect(args.slice(1)).toEqual(['stépId', { args: { workdir: 'build', env: { A: null }, big: 2 ** 40, neg: -(2 ** 40), t: 1.25, ok: true }, l: [1, [2, 3]], s: [4] }]);
    expect(unjelly(msg![6] as never)).toEqual({});
  });

  it('reads a shared value Twisted sends as reference/dereference, and a Referenceable as remote', async () => {
    const hex = await python(`
class R(pb.Referenceable): pass
class B:
    luid = 0
    def registerReference(self, o):
        B.luid += 1; return B.luid
inv = Invoker(); inv.registerReference = B().registerReference
shared = [1]
print(enc(jelly.jelly((shared, shared, R()), invoker=inv)))`);
    const got = decode(hex) as unknown[];
    expect(got[0]).toBe(got[1]);
    expect(got[2]).toEqual({ remote: 1 });
  });

  it("reads a CopyableFailure as Twisted's broker sends it", async () => {
    const hex = await python(`
from twisted.python import failure
from twisted.cred import error
try:
    raise error.UnauthorizedLogin()
except Exception:
    f = pb.CopyableFailure(failure.Failure())
print(enc(jelly.jelly(f, invoker=Invoker())))`);
    const got = decode(hex);
    expect(got).toBeInstanceOf(CopiedInstance);
    expect(describeFailure(got)).toBe('twisted.cred.error.UnauthorizedLogin: ');
  });

  it('writes what Twisted decodes and unjellies to the same value', async () => {
    const value = new Tuple({ stdout: 'línea\n', rc: 0, elapsed: 1.5, big: 2 ** 40, neg: -3, data: Buffer.from([0, 255, 128]), none: null, flag: false }, [1, 'two'], new Tuple(3, 4));
    const wire = encode(jelly(value)).toString('hex');
    const repr = await python(`print(repr(jelly.unjelly(dec("${wire}"))))`);
    expect(repr).toBe(
      "({'stdout': 'línea\\n', 'rc': 0, 'elapsed': 1.5, 'big': 1099511627776, 'neg': -3, 'data': b'\\x00\\xff\\x80', 'none': None, 'flag': False}, [1, 'two'], (3, 4))",
    );
  });

  it('writes a failure Twisted unjellies to a CopiedFailure', async () => {
    const wire = encode(jelly(new CopyableFailure('twisted.spread.flavors.NoSuchMethod', 'No such method: remote_x'))).toString('hex');
    const out = await python(`f = jelly.unjelly(dec("${wire}"), invoker=Invoker()); print(type(f).__name__, f.type, f.value)`);
    expect(out).toBe("CopiedFailure b'twisted.spread.flavors.NoSuchMethod' No such method: remote_x");
  });

  it('matches Twisted byte for byte on plain items', async () => {
    const items: Banana[] = [0, 127, 128, 2 ** 31 - 1, 2 ** 31, -1, -(2 ** 31), -(2 ** 31) - 1, 2n ** 100n, 0.1, Buffer.from('dictionary'), Buffer.from('not a word'), [[], [Buffer.from('None')]]];
    const py = await python(`print(enc([0, 127, 128, 2**31-1, 2**31, -1, -2**31, -2**31-1, 2**100, 0.1, b"dictionary", b"not a word", [[], [b"None"]]]))`);
    expect(encode(items).toString('hex')).toBe(py);
  });
});
