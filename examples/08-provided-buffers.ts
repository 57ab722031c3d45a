// Lesson 8: provided buffers and a multishot receive. Instead of naming a
// buffer in each RECV, we hand the kernel a ring of buffers (a buffer group)
// and one RECV with IORING_RECV_MULTISHOT and IOSQE_BUFFER_SELECT. Each time
// data arrives the kernel picks a buffer, fills it, and posts a CQE whose
// flags carry the buffer id (IORING_CQE_F_BUFFER, id in the top 16 bits) and
// IORING_CQE_F_MORE while the receive goes on. Giving a buffer back
// (bufRingAdd + bufRingAdvance) recycles it.
//
//   npx tsx examples/08-provided-buffers.ts
//
// Memory goes only to sockets that have data, not to every receive waiting.
// When every buffer is out, the receive ends with -ENOBUFS (no F_MORE), and
// must be armed again once buffers are back. End of stream ends it too.

import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AF_UNIX, IoUring, IORING_CQE_F_MORE, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_SOCKET, IOSQE_BUFFER_SELECT, SHUT_WR,
  SOCK_STREAM, bufRingAdd, bufRingAdvance, bufRingAvailable, cqeBufferId, errnoName, prepAccept, prepBind, prepConnect,
  prepListen, prepRecvMultishot, prepSend, prepShutdown, prepSocket, requireOpcode, setupBufRing, sqeSetBufGroup, type Sqe,
} from '../lib/index.ts';

// This lesson makes its sockets through the ring: BIND and LISTEN need Linux 6.11.
try {
  for (const op of [IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN]) requireOpcode(op);
} catch (err) {
  console.log(`skipped: ${(err as Error).message}`);
  process.exit(0);
}

const RECV = 1; // the multishot receive's user_data
const BGID = 7; // our buffer group
const COUNT = 4; // buffers in the group
const SIZE = 32; // bytes per buffer

const dir = mkdtempSync(join(tmpdir(), 'tsuring-08-'));
try {
  using ring = new IoUring(16);
  // Runs one setup step; its res, or a throw.
  const run = (prep: (sqe: Sqe) => void): number => {
    const sqe = ring.getSqe()!;
    prep(sqe);
    ring.submitAndWait(1);
    const cqe = ring.waitCqe();
    const res = cqe.res;
    ring.cqeSeen(cqe);
    if (res < 0) throw new Error(`setting up the sockets failed: -${errnoName(res)}`);
    return res;
  };

  // A connected pair of AF_UNIX stream sockets: [client, server].
  const addr = { path: join(dir, 'sock') };
  const listener = run((s) => prepSocket(s, AF_UNIX, SOCK_STREAM, 0));
  run((s) => prepBind(s, listener, addr));
  run((s) => prepListen(s, listener, 1));
  const client = run((s) => prepSocket(s, AF_UNIX, SOCK_STREAM, 0));
  run((s) => prepConnect(s, client, addr)); // the listen backlog takes it
  const server = run((s) => prepAccept(s, listener));

  // The buffer group: one ArrayBuffer cut into COUNT buffers, their ids 0..3.
  const br = setupBufRing(ring, COUNT, BGID);
  const memory = new Uint8Array(COUNT * SIZE);
  const buffer = (bid: number) => memory.subarray(bid * SIZE, (bid + 1) * SIZE);
  for (let bid = 0; bid < COUNT; bid++) bufRingAdd(br, buffer(bid), bid, br.mask, bid);
  bufRingAdvance(br, COUNT); // publish all four to the kernel at once
  console.log(`buffer group ${BGID}: ${bufRingAvailable(ring, br)} buffers of ${SIZE} bytes`);

  const armRecv = () => {
    const sqe = ring.getSqe()!;
    prepRecvMultishot(sqe, server, null, 0, 0); // no buffer of its own: one comes from the group
    sqe.flags |= IOSQE_BUFFER_SELECT;
    sqeSetBufGroup(sqe, BGID);
    sqe.userData = RECV;
    ring.submit();
  };

  // Takes `n` CQEs, prints the RECV's, and holds on to the buffers they name.
  const held: number[] = [];
  const reap = (n: number) => {
    for (let i = 0; i < n; i++) {
      const cqe = ring.waitCqe();
      const { userData, res, flags } = cqe;
      const bid = cqeBufferId(cqe);
      ring.cqeSeen(cqe);
      if (userData !== RECV) continue; // the SEND's or SHUTDOWN's own CQE
      const more = flags & IORING_CQE_F_MORE ? 'F_MORE' : 'no F_MORE: the receive has ended';
      if (bid === undefined) console.log(`  RECV res ${res}${res < 0 ? ` (-${errnoName(res)})` : ' (end of stream)'}, no buffer, ${more}`);
      else console.log(`  RECV res ${res}, buffer ${bid}, ${more}: ${JSON.stringify(Buffer.from(buffer(bid).subarray(0, res)).toString())}`);
      if (bid !== undefined) held.push(bid);
    }
  };
  const send = (text: string) => {
    const sqe = ring.getSqe()!;
    prepSend(sqe, client, Buffer.from(text), text.length, 0);
    sqe.userData = 2;
    ring.submit();
    reap(2); // the SEND's CQE and the RECV's
  };

  console.log('one multishot RECV, four sends; we keep every buffer:');
  armRecv();
  for (const word of ['alpha', 'bravo', 'charlie', 'delta']) send(word);
  console.log(`buffers left in the group: ${bufRingAvailable(ring, br)}`);

  console.log('a fifth send, with no buffer left:');
  send('echo');

  // Recycle: put every buffer back at the tail of the ring, publish them
  // with one tail move, and arm the receive again. The fifth message waited
  // in the socket meanwhile.
  const back = held.splice(0);
  back.forEach((bid, i) => bufRingAdd(br, buffer(bid), bid, br.mask, i));
  bufRingAdvance(br, back.length);
  console.log(`gave back buffers ${back.join(', ')} (${bufRingAvailable(ring, br)} in the group), armed the RECV again:`);
  armRecv();
  reap(1);

  console.log('the client shuts down its side:');
  const sqe = ring.getSqe()!;
  prepShutdown(sqe, client, SHUT_WR);
  sqe.userData = 3;
  ring.submit();
  reap(2);
  for (const fd of [client, server, listener]) closeSync(fd);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
