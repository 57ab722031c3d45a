// The servers bench/net.ts drives: each listens on 127.0.0.1, port 0, and
// prints `port N` once it accepts. Run by bench/net.ts, not by hand.
//
//   node:   a node:net echo server (each chunk written back as it comes)
//   node-http: node:http answering every request "hello", keep-alive
//   bun:    Bun.listen echoing (run under Bun: `bun bench/net-server.ts bun`)
//   tsuring: a tsuring/net echo server (for await each chunk, write it back)
//   raw:    the raw ring in a blocking loop of its own, no event loop: the
//           ceiling for JavaScript over this library
//
// tsuring-http is examples/17-http.ts itself, run with a port argument.
//
// Every server sets TCP_NODELAY on its connections, as loadgen does on its
// own, so neither side's Nagle delay is measured.

import { createServer as netServer, type AddressInfo } from 'node:net';
import { createServer as httpServer } from 'node:http';

const kind = process.argv[2];
const HELLO = 'hello';

function ready(port: number): void {
  process.stdout.write(`port ${port}\n`);
}

if (kind === 'node') {
  const server = netServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => ready((server.address() as AddressInfo).port));
} else if (kind === 'node-http') {
  const server = httpServer({ noDelay: true, keepAliveTimeout: 60_000 }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': HELLO.length });
    res.end(HELLO);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => ready((server.address() as AddressInfo).port));
} else if (kind === 'tsuring') {
  // Imported here, so that Bun, running this file, never loads koffi.
  const { createServer } = await import('../lib/net/index.ts');
  const server = createServer(async (socket) => {
    socket.setNoDelay(true);
    for await (const chunk of socket) await socket.write(chunk);
  });
  await server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  ready((server.address() as AddressInfo).port);
} else if (kind === 'raw') {
  // The ceiling for JavaScript on this library: the raw ring in a blocking
  // loop of its own (no event loop, no promise), as a C server would be
  // written. SINGLE_ISSUER|DEFER_TASKRUN, one multishot accept, a multishot
  // receive per connection into a buffer ring, each chunk sent back from its
  // buffer, which goes back to the ring once the send is done.
  const lib = await import('../lib/index.ts');
  const { socketName } = await import('../lib/net/address.ts');
  const { setsockopt } = await import('../ffi/index.ts');
  const {
    IoUring, AF_INET, SOCK_STREAM, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN, IORING_CQE_F_MORE, IORING_CQE_F_BUFFER,
    IORING_CQE_BUFFER_SHIFT, IOSQE_BUFFER_SELECT, MSG_NOSIGNAL, prepSocket, prepBind, prepListen, prepMultishotAccept, prepRecvMultishot,
    prepSend, prepClose, sqeSetBufGroup, setupBufRing, bufRingAdd, bufRingAdvance,
  } = lib;
  const SIZE = 16 * 1024;
  const COUNT = 1024;
  const BGID = 1;
  const ring = new IoUring(4096, { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, cqEntries: 16384 });
  const once = (prep: (sqe: import('../lib/index.ts').Sqe) => void): number => {
    prep(ring.getSqe()!);
    ring.submitAndWait(1);
    const res = ring.cqes[ring.cqeOffset(0) + 2]! | 0;
    ring.cqAdvance(1);
    if (res < 0) throw new Error(`setup failed: ${res}`);
    return res;
  };
  const listener = once((q) => prepSocket(q, AF_INET, SOCK_STREAM, 0));
  once((q) => prepBind(q, listener, { address: '127.0.0.1', port: 0 }));
  once((q) => prepListen(q, listener, 4096));
  const br = setupBufRing(ring, COUNT, BGID);
  const memory = new Uint8Array(SIZE * COUNT);
  const bufs = Array.from({ length: COUNT }, (_, bid) => memory.subarray(bid * SIZE, (bid + 1) * SIZE));
  for (let bid = 0; bid < COUNT; bid++) bufRingAdd(br, bufs[bid]!, bid, br.mask, bid);
  bufRingAdvance(br, COUNT);
  const one = new Int32Array([1]);
  // user_data: the low word says what completed, the high word the fd.
  const ACCEPT = 1;
  const RECV = 2;
  const SEND = 3; // | bid << 8
  const recv = (fd: number): void => {
    const q = ring.getSqe()!;
    prepRecvMultishot(q, fd, null, 0, 0);
    q.flags |= IOSQE_BUFFER_SELECT;
    sqeSetBufGroup(q, BGID);
    q.userData = RECV + fd * 2 ** 32;
  };
  const acceptQ = ring.getSqe()!;
  prepMultishotAccept(acceptQ, listener);
  acceptQ.userData = ACCEPT;
  ready((socketName(listener, false) as AddressInfo).port);
  const c = ring.cqes;
  for (;;) {
    ring.submitAndWait(1);
    const n = ring.cqReady();
    for (let i = 0; i < n; i++) {
      const o = ring.cqeOffset(i);
      const what = c[o]!;
      const fd = c[o + 1]!;
      const res = c[o + 2]! | 0;
      const flags = c[o + 3]!;
      if (what === ACCEPT) {
        if (res >= 0) {
          setsockopt(res, 6 /* IPPROTO_TCP */, 1 /* TCP_NODELAY */, one);
          recv(res);
        }
        if (!(flags & IORING_CQE_F_MORE)) throw new Error(`accept ended: ${res}`);
      } else if (what === RECV) {
        if (flags & IORING_CQE_F_BUFFER) {
          const bid = flags >>> IORING_CQE_BUFFER_SHIFT;
          if (res > 0) {
            const q = ring.getSqe()!;
            prepSend(q, fd, bufs[bid]!, res, MSG_NOSIGNAL);
            q.userData = SEND + (bid << 8) + fd * 2 ** 32;
          } else {
            bufRingAdd(br, bufs[bid]!, bid, br.mask, 0);
            bufRingAdvance(br, 1);
          }
        }
        if (!(flags & IORING_CQE_F_MORE)) {
          if (res > 0 || res === -105 /* ENOBUFS */) recv(fd);
          else prepClose(ring.getSqe()!, fd);
        }
      } else if ((what & 0xff) === SEND) {
        const bid = what >>> 8;
        bufRingAdd(br, bufs[bid]!, bid, br.mask, 0);
        bufRingAdvance(br, 1);
      }
    }
    ring.cqAdvance(n);
  }
} else if (kind === 'bun') {
  // Bun's own TCP server (https://bun.sh/docs/api/tcp), typed loosely: this
  // file is type-checked against Node's types.
  type BunSocket = { write(d: Uint8Array): number; setNoDelay?(on: boolean): void; data: Uint8Array | undefined };
  const bun = (globalThis as { Bun?: { listen(o: unknown): { port: number } } }).Bun;
  if (bun === undefined) throw new Error('--server bun runs under Bun');
  // write() takes what the socket has room for; the rest waits for drain.
  const send = (s: BunSocket, data: Uint8Array): void => {
    const n = s.write(data);
    s.data = n < data.length ? data.slice(Math.max(n, 0)) : undefined;
  };
  const server = bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s: BunSocket) {
        s.setNoDelay?.(true);
      },
      data(s: BunSocket, data: Uint8Array) {
        if (s.data === undefined) send(s, data);
        else s.data = Buffer.concat([s.data, data]);
      },
      drain(s: BunSocket) {
        if (s.data !== undefined) send(s, s.data);
      },
    },
  });
  ready(server.port);
} else {
  throw new Error(`unknown server ${kind}`);
}
