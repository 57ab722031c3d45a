// The servers bench/net.ts drives: each listens on 127.0.0.1, port 0, and
// prints `port N` once it accepts. Run by bench/net.ts, not by hand.
//
//   node:   a node:net echo server (each chunk written back as it comes)
//   node-http: node:http answering every request "hello", keep-alive
//   bun:    Bun.listen echoing (run under Bun: `bun bench/net-server.ts bun`)
//   tsuring: a tsuring/net echo server (for await each chunk, write it back)
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
