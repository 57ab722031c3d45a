// Lesson 10: zero-copy send (SEND_ZC). A plain SEND copies the bytes into
// the kernel before it completes; SEND_ZC lets the network stack read them
// straight from our buffer, so the buffer stays in use after the send's
// result is known. It posts two CQEs, under the same user_data:
//   1. the result: res = bytes sent, with IORING_CQE_F_MORE (more to come);
//   2. the notification: IORING_CQE_F_NOTIF, once the kernel has let go of
//      the buffer. Only now may the buffer be written again.
//
//   npx tsx examples/10-zero-copy-send.ts
//
// The peer is an ordinary node:net server on 127.0.0.1. Over loopback the
// kernel copies anyway (the bytes never leave the machine): with
// IORING_SEND_ZC_REPORT_USAGE the notification says whether it copied.

import { once } from 'node:events';
import { closeSync } from 'node:fs';
import * as net from 'node:net';
import {
  AF_INET, IoUring, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_NOTIF_USAGE_ZC_COPIED, IORING_OP_SEND_ZC, IORING_OP_SOCKET,
  IORING_SEND_ZC_REPORT_USAGE, SOCK_STREAM, errnoName, prepConnect, prepSendZc, prepSocket, requireOpcode, type Sqe,
} from '../lib/index.ts';

try {
  for (const op of [IORING_OP_SOCKET, IORING_OP_SEND_ZC]) requireOpcode(op);
} catch (err) {
  console.log(`skipped: ${(err as Error).message}`);
  process.exit(0);
}

const SIZE = 16 * 1024;

// The peer: collects what arrives until the connection ends.
const server = net.createServer();
const received = new Promise<Buffer>((resolve) => {
  server.once('connection', (conn) => {
    const parts: Buffer[] = [];
    conn.on('data', (d: Buffer) => parts.push(d));
    conn.on('end', () => resolve(Buffer.concat(parts)));
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as net.AddressInfo;

using ring = new IoUring(8);
const run = (prep: (sqe: Sqe) => void): number => {
  prep(ring.getSqe()!);
  ring.submitAndWait(1);
  const cqe = ring.waitCqe();
  const res = cqe.res;
  ring.cqeSeen(cqe);
  if (res < 0) throw new Error(`setup failed: -${errnoName(res)}`);
  return res;
};
const fd = run((s) => prepSocket(s, AF_INET, SOCK_STREAM, 0));
run((s) => prepConnect(s, fd, { address: '127.0.0.1', port })); // the listen backlog takes it

const buf = Buffer.alloc(SIZE);
for (const fill of ['A', 'B']) {
  buf.fill(fill); // safe: no send is using the buffer now
  const sqe = ring.getSqe()!;
  prepSendZc(sqe, fd, buf, buf.length, 0, IORING_SEND_ZC_REPORT_USAGE);
  sqe.userData = 1;
  ring.submit();
  console.log(`SEND_ZC of ${SIZE} bytes of '${fill}':`);
  for (let done = false; !done;) {
    const cqe = ring.waitCqe();
    const { res, flags } = cqe;
    ring.cqeSeen(cqe);
    if (flags & IORING_CQE_F_NOTIF) {
      const copied = (res & IORING_NOTIF_USAGE_ZC_COPIED) !== 0;
      console.log(`  notification: F_NOTIF, the buffer is ours again (the kernel ${copied ? 'copied it after all, as over loopback' : 'sent it without a copy'})`);
      done = true;
    } else if (res < 0) {
      console.log(`  result: res ${res} (-${errnoName(res)})`);
      done = (flags & IORING_CQE_F_MORE) === 0;
    } else {
      const more = flags & IORING_CQE_F_MORE ? 'F_MORE: a notification follows, the buffer is still in use' : 'no F_MORE';
      console.log(`  result: res ${res} bytes sent, ${more}`);
      done = (flags & IORING_CQE_F_MORE) === 0;
    }
  }
}
closeSync(fd);

const got = await received;
server.close();
const want = Buffer.concat([Buffer.alloc(SIZE, 'A'), Buffer.alloc(SIZE, 'B')]);
console.log(`the server received ${got.length} bytes: ${got.equals(want) ? `${SIZE} 'A's then ${SIZE} 'B's, as sent` : 'NOT what was sent'}`);
