// A TCP proxy between a `bbm worker` and a master's msgpack_experimental_v7 port, for the keepalive
// test: `node stall-proxy.mjs UPSTREAM_PORT` listens on a free port of 127.0.0.1 and forwards every
// connection to 127.0.0.1:UPSTREAM_PORT. It is a plain script (not TypeScript) because it runs
// inside the master's network namespace (nsenter), where the test process cannot listen.
//
// SIGUSR1 stalls every connection open at that moment: from then on nothing is forwarded either
// way and neither socket is closed, also when the other side closes its own — a network path that
// died without a word (a NAT entry dropped, a peer gone). Connections made later are forwarded.
//
// It reads the WebSocket frames going through and prints one JSON line per event on stdout:
//   {"event":"listening","port":N}
//   {"conn":n,"event":"open","worker":NAME}        the worker's name from its HTTP basic auth (never the password)
//   {"conn":n,"event":"ping"}                       a WebSocket ping from the worker
//   {"conn":n,"event":"pong"}                       the master's pong answering it
//   {"conn":n,"event":"keepalive","seq":s}          the master's msgpack `keepalive` request
//   {"conn":n,"event":"keepalive-answered","seq":s} the worker's response to it
//   {"conn":n,"event":"stalled"}
//   {"conn":n,"event":"closed","by":"worker"|"master","stalled":bool}
import net from 'node:net';
import { decode } from '@msgpack/msgpack';

const upstreamPort = Number(process.argv[2]);
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const open = new Set();
let next = 0;

/** Parses one direction's byte stream: the HTTP upgrade head, then WebSocket frames. */
function reader(onHead, onFrame) {
  let buf = Buffer.alloc(0);
  let head = true;
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (head) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      onHead(buf.subarray(0, end).toString('latin1'));
      buf = buf.subarray(end + 4);
      head = false;
    }
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (buf[1] & 0x80) !== 0;
      const key = masked ? buf.subarray(off, off + 4) : undefined;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      onFrame({ fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload });
      buf = buf.subarray(off + len);
    }
  };
}

function message(payload) {
  try {
    const m = decode(payload);
    return m && typeof m === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

const server = net.createServer((worker) => {
  const conn = { id: ++next, stalled: false, worker, master: net.connect(upstreamPort, '127.0.0.1') };
  const { id, master } = conn;
  open.add(conn);
  const keepalives = new Set();
  const fromWorker = reader(
    (head) => {
      const auth = /^authorization:\s*basic\s+(\S+)/im.exec(head);
      const name = auth ? Buffer.from(auth[1], 'base64').toString('utf8').split(':')[0] : undefined;
      emit({ conn: id, event: 'open', worker: name });
    },
    ({ fin, opcode, payload }) => {
      if (opcode === 0x9) emit({ conn: id, event: 'ping' });
      if (opcode === 0x2 && fin) {
        const m = message(payload);
        if (m?.op === 'response' && keepalives.delete(m.seq_number)) emit({ conn: id, event: 'keepalive-answered', seq: m.seq_number });
      }
    },
  );
  const fromMaster = reader(
    () => {},
    ({ fin, opcode, payload }) => {
      if (opcode === 0xa) emit({ conn: id, event: 'pong' });
      if (opcode === 0x2 && fin) {
        const m = message(payload);
        if (m?.op === 'keepalive') {
          keepalives.add(m.seq_number);
          emit({ conn: id, event: 'keepalive', seq: m.seq_number });
        }
      }
    },
  );
  worker.on('data', (d) => {
    fromWorker(d);
    master.write(d);
  });
  master.on('data', (d) => {
    fromMaster(d);
    worker.write(d);
  });
  const closed = (by, other) => () => {
    emit({ conn: id, event: 'closed', by, stalled: conn.stalled });
    if (!conn.stalled) other.destroy();
  };
  worker.once('close', closed('worker', master));
  master.once('close', closed('master', worker));
  worker.on('error', () => {});
  master.on('error', () => {});
});

process.on('SIGUSR1', () => {
  for (const conn of open) {
    if (conn.stalled || conn.worker.destroyed) continue;
    conn.stalled = true;
    // Nothing read, nothing written, nothing closed from here on.
    conn.worker.pause();
    conn.master.pause();
    conn.worker.removeAllListeners('data');
    conn.master.removeAllListeners('data');
    emit({ conn: conn.id, event: 'stalled' });
  }
});
process.on('SIGTERM', () => process.exit(0));

server.listen(0, '127.0.0.1', () => emit({ event: 'listening', port: server.address().port }));
