// Lesson 9: an echo server on AsyncRing, the promise layer over the ring.
// One multishot ACCEPT yields every connection; each connection gets one
// multishot RECV into provided buffers, and each chunk received is sent
// back with a SEND. No thread per connection, no readiness polling: the
// kernel does the I/O and Node's event loop hears of completions.
//
//   npx tsx examples/09-echo-server.ts [CLIENTS]
//
// The example starts its own clients (node:net, 3 by default) on a Unix
// socket in a temporary directory, checks each gets its words back, and
// shuts down: leaving a `for await` loop over a multishot operation cancels
// it in the kernel, and the loop exits once the kernel has let go.

import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AF_UNIX, AsyncRing, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_SOCKET, MSG_WAITALL, SOCK_STREAM, requireOpcode,
} from '../lib/index.ts';

// The server's socket is made through the ring: BIND and LISTEN need Linux 6.11.
try {
  for (const op of [IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN]) requireOpcode(op);
} catch (err) {
  console.log(`skipped: ${(err as Error).message}`);
  process.exit(0);
}

const clients = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'tsuring-09-'));
const path = join(dir, 'echo.sock');
const io = new AsyncRing();

// One connection: echo every chunk until the client ends its side, then
// close. A chunk's data lives in a provided buffer; release() hands the
// buffer back to the kernel, so only after the SEND has read it.
async function session(fd: number): Promise<number> {
  let echoed = 0;
  for await (const chunk of io.recvMultishot(fd, 0, { bufferSize: 4096, buffers: 4 })) {
    try {
      echoed += await io.send(fd, chunk.data, MSG_WAITALL);
    } finally {
      chunk.release();
    }
  }
  await io.closeFd(fd); // IORING_OP_CLOSE
  return echoed;
}

// A node:net client: sends its line, ends its side, collects the echo.
function client(i: number): Promise<{ sent: string; got: string }> {
  const sent = `hello from client ${i}`;
  return new Promise((resolve, reject) => {
    let got = '';
    const sock = net.connect({ path }, () => sock.end(sent));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (got += d));
    sock.on('end', () => resolve({ sent, got }));
    sock.on('error', reject);
  });
}

try {
  const listener = await io.socket(AF_UNIX, SOCK_STREAM);
  await io.bind(listener, { path });
  await io.listen(listener, 512); // the backlog holds connections not yet accepted
  console.log(`listening on ${path}`);

  const server = (async () => {
    const sessions: Promise<number>[] = [];
    for await (const fd of io.acceptMultishot(listener)) {
      sessions.push(session(fd));
      if (sessions.length === clients) break; // cancels the multishot ACCEPT
    }
    return Promise.all(sessions);
  })();

  const [results, echoed] = await Promise.all([Promise.all(Array.from({ length: clients }, (_, i) => client(i + 1))), server]);
  for (const { sent, got } of results) console.log(`client sent ${JSON.stringify(sent)}, got back ${JSON.stringify(got)}${got === sent ? '' : ' (WRONG)'}`);
  console.log(`served ${echoed.length} connections, echoed ${echoed.reduce((a, b) => a + b, 0)} bytes`);
  await io.closeFd(listener);
} finally {
  await io.close(); // the ring: cancels whatever is left, waits for the kernel to let go
  rmSync(dir, { recursive: true, force: true });
}
