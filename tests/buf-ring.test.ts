import { ERRNO } from '../lib/errno.ts';
/**
 * Tests for provided buffers: buffer rings (lib/register/buf-ring.ts), in JS
 * memory and in kernel memory (IOU_PBUF_RING_MMAP), with incremental
 * consumption (IOU_PBUF_RING_INC); the classic PROVIDE_BUFFERS /
 * REMOVE_BUFFERS and READ_MULTISHOT encoders of lib/prep/buffers.ts. Each
 * encoder's SQE bytes, the arguments refused, and the kernel taking buffers
 * from the ring for reads from pipes and a receive on a loopback socket.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { once } from 'node:events';
import { addressOf } from '../ffi/index.ts';
import { IoUringError } from '../lib/errors.ts';
import { IoUring } from '../lib/ring/io-uring.ts';
import type { Sqe } from '../lib/ring/sqe.ts';
import { prepRw } from '../lib/prep/rw.ts';
import * as layout from '../lib/uapi/layout.ts';
import {
  IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUF_MORE, IORING_CQE_F_BUFFER, IORING_CQE_F_MORE, IORING_OP_CONNECT,
  IORING_OP_PROVIDE_BUFFERS, IORING_OP_READ, IORING_OP_READ_MULTISHOT, IORING_OP_RECV, IORING_OP_REMOVE_BUFFERS,
  IORING_OP_SOCKET, IOSQE_BUFFER_SELECT, IOU_PBUF_RING_INC, IOU_PBUF_RING_MMAP,
} from '../lib/uapi/constants.ts';
import { prepProvideBuffers, prepReadMultishot, prepRemoveBuffers } from '../lib/prep/buffers.ts';
import {
  BufRing, bufRingAdd, bufRingAdvance, bufRingAvailable, bufRingCqAdvance, bufRingHead, bufRingInit, bufRingMask,
  freeBufRing, setupBufRing, unregisterBufRing,
} from '../lib/register/buf-ring.ts';
import { forceGc, itOp, reapOne, ringFixtures, runOne, sqeBytes, sqeFields, staleSqe, type Done, ioErr } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { ENOENT, EEXIST, EINVAL, ENOBUFS } = ERRNO;
const AF_INET = 2;
const SOCK_STREAM = 1;

const { fds, open, pipe } = ringFixtures();

/** A READ (at the file position) of up to `len` bytes into a buffer of group `bgid`. */
function readSelect(fd: number, len: number, bgid: number): (sqe: Sqe) => void {
  return (sqe) => {
    prepRw(IORING_OP_READ, sqe, fd, 0, len, -1);
    sqe.flags = IOSQE_BUFFER_SELECT;
    sqe.bufIndex = bgid; // buf_group
  };
}

/** The buffer id a CQE reports, or -1 when it has none. */
function bidOf(d: Done): number {
  return d.flags & IORING_CQE_F_BUFFER ? d.flags >>> IORING_CQE_BUFFER_SHIFT : -1;
}

/** Buffers of `size` bytes, added with ids 0.. and published. */
function fill(br: BufRing, n: number, size: number): Buffer[] {
  const bufs = Array.from({ length: n }, () => Buffer.alloc(size));
  bufs.forEach((b, i) => bufRingAdd(br, b, i, br.mask, i));
  bufRingAdvance(br, n);
  return bufs;
}



/** Why a buffer ring with `flags` can't be set up here ('' when it can). */
function bufRingUnavailable(flags: number): string {
  const ring = new IoUring(2);
  try {
    freeBufRing(ring, setupBufRing(ring, 2, 0, flags));
    return '';
  } catch (err) {
    if (err instanceof IoUringError) return `setup_buf_ring with flags ${flags}: ${err.code}`;
    throw err;
  } finally {
    ring.close();
  }
}

// ------------------------------------------------------ encoders, byte level

describe('buffer encoders write the SQE', () => {
  const pool = Buffer.alloc(64);
  interface Row {
    name: string;
    prep: (s: Sqe) => void;
    opcode: number;
    flags: number;
    fd: number;
    off: bigint;
    addr: number | 'pool';
    len: number;
    bufGroup: number;
  }
  const rows: Row[] = [
    { name: 'prepProvideBuffers', prep: (s) => prepProvideBuffers(s, pool, 16, 4, 9, 100), opcode: IORING_OP_PROVIDE_BUFFERS, flags: 0, fd: 4, off: 100n, addr: 'pool', len: 16, bufGroup: 9 },
    { name: 'prepProvideBuffers (65535, 65535)', prep: (s) => prepProvideBuffers(s, pool, 64, 1, 65535, 65535), opcode: IORING_OP_PROVIDE_BUFFERS, flags: 0, fd: 1, off: 65535n, addr: 'pool', len: 64, bufGroup: 65535 },
    { name: 'prepRemoveBuffers', prep: (s) => prepRemoveBuffers(s, 3, 9), opcode: IORING_OP_REMOVE_BUFFERS, flags: 0, fd: 3, off: 0n, addr: 0, len: 0, bufGroup: 9 },
    { name: 'prepReadMultishot', prep: (s) => prepReadMultishot(s, 5, 0, 0, 7), opcode: IORING_OP_READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: 5, off: 0n, addr: 0, len: 0, bufGroup: 7 },
    { name: 'prepReadMultishot (nbytes, offset -1)', prep: (s) => prepReadMultishot(s, 5, 512, -1, 1), opcode: IORING_OP_READ_MULTISHOT, flags: IOSQE_BUFFER_SELECT, fd: 5, off: 2n ** 64n - 1n, addr: 0, len: 512, bufGroup: 1 },
  ];

  it.each(rows)('$name', (row) => {
    const ring = open(2);
    const sqe = staleSqe(ring);
    row.prep(sqe);
    const fields = sqeFields(sqe);
    expect(fields).toMatchObject({
      opcode: row.opcode, flags: row.flags, ioprio: 0, fd: row.fd, off: row.off, len: row.len, rwFlags: 0,
      userData: 0x12345678n, bufIndex: row.bufGroup, personality: 0, spliceFdIn: 0, addr3: 0n, pad2: 0n,
    });
    expect(Number(fields.addr)).toBe(row.addr === 'pool' ? addressOf(pool) : row.addr);
  });
});

describe('buffer encoders refuse bad arguments before writing', () => {
  const pool = Buffer.alloc(64);
  const cases: [string, (s: Sqe) => void, typeof TypeError | typeof RangeError][] = [
    ['buffers past the end of the memory (len * nr)', (s) => prepProvideBuffers(s, pool, 16, 5, 0, 0), RangeError],
    ['buffers past the end of a pooled slice', (s) => prepProvideBuffers(s, Buffer.from('abcd'), 4, 2, 0, 0), RangeError],
    ['no buffers', (s) => prepProvideBuffers(s, pool, 16, 0, 0, 0), RangeError],
    ['a group id above 65535', (s) => prepProvideBuffers(s, pool, 16, 1, 65536, 0), RangeError],
    ['a buffer id above 65535', (s) => prepProvideBuffers(s, pool, 16, 1, 0, 65536), RangeError],
    ['memory that is not a buffer', (s) => prepProvideBuffers(s, [1, 2] as unknown as Buffer, 1, 1, 0, 0), TypeError],
    ['removing more than a group holds', (s) => prepRemoveBuffers(s, 65537, 0), RangeError],
    ['removing from a negative group', (s) => prepRemoveBuffers(s, 1, -1), RangeError],
    ['a multishot read of a fractional fd', (s) => prepReadMultishot(s, 0.5, 0, 0, 0), RangeError],
    ['a multishot read of a negative length', (s) => prepReadMultishot(s, 0, -1, 0, 0), RangeError],
    ['a multishot read from group 65536', (s) => prepReadMultishot(s, 0, 0, 0, 65536), RangeError],
  ];
  it.each(cases)('%s', (_, prep, type) => {
    const ring = open(2);
    const sqe = ring.getSqe()!;
    sqeBytes(sqe).fill(0xab);
    const before = sqeBytes(sqe).slice();
    expect(() => prep(sqe)).toThrow(type);
    expect(sqeBytes(sqe)).toEqual(before);
    expect(sqe.kept).toBe(0);
  });
});

// ------------------------------------------------------------- buffer rings

describe.each([
  ['in JS memory', 0],
  ['in kernel memory (IOU_PBUF_RING_MMAP)', IOU_PBUF_RING_MMAP],
] as const)('a buffer ring %s', (_, mode) => {
  const why = bufRingUnavailable(mode);
  const itRing = (title: string, fn: () => void) => (why ? it.skip(`${title} (skipped: ${why})`, fn) : it(title, fn));

  itRing('a READ with IOSQE_BUFFER_SELECT takes the buffers in order; ENOBUFS when empty; a recycled one works again', () => {
    const ring = open();
    const br = setupBufRing(ring, 4, 1, mode);
    expect([br.entries, br.mask, br.bgid, br.tail]).toEqual([4, 3, 1, 0]);
    const bufs = fill(br, 2, 16);
    const [r, w] = pipe();
    fs.writeSync(w, 'hello');
    const a = runOne(ring, readSelect(r, 16, 1));
    expect([a.res, bidOf(a)]).toEqual([5, 0]);
    expect(bufs[0]!.toString('latin1', 0, 5)).toBe('hello');
    fs.writeSync(w, 'world');
    const b = runOne(ring, readSelect(r, 16, 1));
    expect([b.res, bidOf(b)]).toEqual([5, 1]);
    expect(bufs[1]!.toString('latin1', 0, 5)).toBe('world');
    fs.writeSync(w, 'again');
    expect(runOne(ring, readSelect(r, 16, 1))).toEqual({ res: -ENOBUFS, flags: 0, userData: 1 });
    bufRingAdd(br, bufs[0]!, 0);
    bufRingAdvance(br, 1);
    const c = runOne(ring, readSelect(r, 16, 1));
    expect([c.res, bidOf(c)]).toEqual([5, 0]);
    expect(bufs[0]!.toString('latin1', 0, 5)).toBe('again');
  });

  itRing('the kernel\'s head and the buffers available follow what it takes', () => {
    const ring = open();
    const br = setupBufRing(ring, 8, 2, mode);
    expect([bufRingHead(ring, 2), bufRingAvailable(ring, br)]).toEqual([0, 0]);
    fill(br, 4, 8);
    expect([bufRingHead(ring, 2), bufRingAvailable(ring, br, 2)]).toEqual([0, 4]);
    const [r, w] = pipe();
    fs.writeSync(w, 'x');
    expect(runOne(ring, readSelect(r, 8, 2)).res).toBe(1);
    expect([bufRingHead(ring, 2), bufRingAvailable(ring, br)]).toEqual([1, 3]);
    expect(ioErr(() => bufRingHead(ring, 3)).errno).toBe(-ENOENT);
  });

  itRing('bufRingCqAdvance hands a buffer back and consumes its CQE in one call', () => {
    const ring = open();
    const br = setupBufRing(ring, 2, 3, mode);
    const [buf] = fill(br, 1, 8);
    const [r, w] = pipe();
    for (const word of ['one', 'two', 'six']) {
      fs.writeSync(w, word);
      const sqe = ring.getSqe()!;
      readSelect(r, 8, 3)(sqe);
      sqe.userData = 5;
      ring.submitAndWait(1);
      const cqe = ring.peekCqe()!;
      expect([cqe.res, cqe.flags >>> IORING_CQE_BUFFER_SHIFT]).toEqual([3, 0]);
      expect(buf!.toString('latin1', 0, 3)).toBe(word);
      bufRingAdd(br, buf!, 0);
      bufRingCqAdvance(ring, br, 1);
      expect(ring.cqReady()).toBe(0);
    }
  });

  itRing('freeBufRing: the group is gone (ENOBUFS), adding throws, setting it up again works', () => {
    const ring = open();
    const br = setupBufRing(ring, 2, 4, mode);
    fill(br, 1, 8);
    expect(ioErr(() => setupBufRing(ring, 2, 4, mode)).errno).toBe(-EEXIST);
    freeBufRing(ring, br);
    expect(br.freed).toBe(true);
    expect(() => bufRingAdd(br, Buffer.alloc(8), 0)).toThrow(TypeError);
    expect(() => freeBufRing(ring, br)).toThrow(TypeError);
    const [r, w] = pipe();
    fs.writeSync(w, 'x');
    expect(runOne(ring, readSelect(r, 8, 4)).res).toBe(-ENOBUFS);
    const again = setupBufRing(ring, 2, 4, mode);
    const [buf] = fill(again, 1, 8);
    expect(runOne(ring, readSelect(r, 8, 4)).res).toBe(1);
    expect(buf!.toString('latin1', 0, 1)).toBe('x');
    unregisterBufRing(ring, 4);
    expect(again.freed).toBe(true);
    expect(ioErr(() => unregisterBufRing(ring, 4)).errno).toBe(-ENOENT);
  });
});

describe('buffer rings', () => {
  const noInc = bufRingUnavailable(IOU_PBUF_RING_INC);
  it.skipIf(noInc !== '')(`IOU_PBUF_RING_INC: reads fill one buffer piece by piece, each CQE with IORING_CQE_F_BUF_MORE${noInc ? ` (skipped: ${noInc})` : ''}`, () => {
    const ring = open();
    const br = setupBufRing(ring, 2, 5, IOU_PBUF_RING_INC);
    const big = Buffer.alloc(32, 0x2e);
    bufRingAdd(br, big, 7);
    bufRingAdvance(br, 1);
    const [r, w] = pipe();
    fs.writeSync(w, 'abc');
    const a = runOne(ring, readSelect(r, 0, 5));
    expect([a.res, bidOf(a), (a.flags & IORING_CQE_F_BUF_MORE) !== 0]).toEqual([3, 7, true]);
    fs.writeSync(w, 'defgh');
    const b = runOne(ring, readSelect(r, 0, 5));
    expect([b.res, bidOf(b), (b.flags & IORING_CQE_F_BUF_MORE) !== 0]).toEqual([5, 7, true]);
    expect(big.toString('latin1')).toBe(`abcdefgh${'.'.repeat(24)}`);
    // The kernel moved the entry past what it used; the buffer is still in the ring.
    expect(bufRingHead(ring, 5)).toBe(0);
    expect(bufRingAvailable(ring, br)).toBe(1);
    // The rest of the buffer in one read: it is used up, and BUF_MORE is clear.
    fs.writeSync(w, 'z'.repeat(24));
    const c = runOne(ring, readSelect(r, 0, 5));
    expect([c.res, bidOf(c), (c.flags & IORING_CQE_F_BUF_MORE) !== 0]).toEqual([24, 7, false]);
    expect(big.toString('latin1')).toBe(`abcdefgh${'z'.repeat(24)}`);
    expect(bufRingAvailable(ring, br)).toBe(0);
  });

  itOp(IORING_OP_SOCKET, 'a RECV on a loopback TCP socket takes a buffer from the ring', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const ring = open();
      const br = setupBufRing(ring, 4, 6);
      const bufs = fill(br, 4, 64);
      // The client socket, made and connected by the ring.
      const fd = runOne(ring, (s) => prepRw(IORING_OP_SOCKET, s, AF_INET, 0, 0, SOCK_STREAM)).res;
      expect(fd).toBeGreaterThanOrEqual(0);
      fds.push(fd);
      const sa = Buffer.alloc(16); // struct sockaddr_in
      sa.writeUInt16LE(AF_INET, 0);
      sa.writeUInt16BE(port, 2);
      sa.set([127, 0, 0, 1], 4);
      const accepted = once(server, 'connection');
      expect(runOne(ring, (s) => { prepRw(IORING_OP_CONNECT, s, fd, addressOf(sa), 0, sa.length); s.keep(sa); }).res).toBe(0);
      const [peer] = (await accepted) as [net.Socket];
      await new Promise<void>((done) => peer.write('over tcp', () => done()));
      const d = runOne(ring, (s) => {
        prepRw(IORING_OP_RECV, s, fd, 0, 0, 0);
        s.flags = IOSQE_BUFFER_SELECT;
        s.bufIndex = 6; // buf_group
      });
      expect([d.res, bidOf(d)]).toEqual([8, 0]);
      expect(bufs[0]!.toString('latin1', 0, 8)).toBe('over tcp');
      peer.destroy();
    } finally {
      server.close();
    }
  });

  it('a BufRing and its buffers, referenced by nothing else, survive gc while registered', async () => {
    const ring = open();
    let ref!: WeakRef<ArrayBuffer>;
    (() => {
      const br = setupBufRing(ring, 2, 7);
      const ab = new ArrayBuffer(16);
      ref = new WeakRef(ab);
      bufRingAdd(br, new Uint8Array(ab), 3);
      bufRingAdvance(br, 1);
    })();
    await new Promise((r) => setImmediate(r));
    forceGc();
    const [r, w] = pipe();
    fs.writeSync(w, 'survived');
    const d = runOne(ring, readSelect(r, 16, 7));
    expect([d.res, bidOf(d)]).toEqual([8, 3]);
    expect(Buffer.from(ref.deref()!, 0, 8).toString()).toBe('survived');
  });

  it('setupBufRing and bufRingAdd refuse bad arguments', () => {
    const ring = open();
    expect(() => setupBufRing(ring, 3, 0)).toThrow(RangeError);
    expect(() => setupBufRing(ring, 0, 0)).toThrow(RangeError);
    expect(() => setupBufRing(ring, 65536, 0)).toThrow(RangeError);
    expect(() => setupBufRing(ring, 2, 65536)).toThrow(RangeError);
    expect(ioErr(() => setupBufRing(ring, 2, 0, 0x8000)).errno).toBe(-EINVAL); // an unknown IOU_PBUF_RING_* flag
    const br = setupBufRing(ring, 4, 0);
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => bufRingAdd(br, Buffer.alloc(8), 65536)).toThrow(RangeError);
    expect(() => bufRingAdd(br, Buffer.alloc(8), 0, 7)).toThrow(RangeError); // a mask wider than the ring
    expect(() => bufRingAdd(br, Buffer.alloc(8), 0, br.mask, -1)).toThrow(RangeError);
    expect(() => bufRingAdd(br, detached, 0)).toThrow(TypeError);
    expect(() => bufRingAdvance(br, -1)).toThrow(RangeError);
    expect(() => freeBufRing(open(), br)).toThrow(TypeError);
    expect(br.u32.every((x) => x === 0)).toBe(true); // nothing was written
  });

  it('bufRingAdd writes addr, len and bid at tail + offset; only advance moves the tail; init resets it', () => {
    const ring = open();
    const br = setupBufRing(ring, 4, 0);
    const a = Buffer.alloc(10);
    const b = Buffer.alloc(20);
    bufRingAdd(br, a, 11, bufRingMask(4), 0);
    bufRingAdd(br, b, 22, bufRingMask(4), 1);
    expect(br.tail).toBe(0);
    const dv = new DataView(br.u32.buffer, br.u32.byteOffset, br.u32.byteLength);
    const L = layout.io_uring_buf;
    const entry = (i: number) => [Number(dv.getBigUint64(i * L.sizeof + L.addr, true)), dv.getUint32(i * L.sizeof + L.len, true), dv.getUint16(i * L.sizeof + L.bid, true)];
    expect([entry(0), entry(1)]).toEqual([[addressOf(a), 10, 11], [addressOf(b), 20, 22]]);
    bufRingAdvance(br, 2);
    expect(br.tail).toBe(2);
    expect(dv.getUint16(layout.io_uring_buf_ring.tail, true)).toBe(2);
    expect(entry(0)[2]).toBe(11); // the tail shares entry 0 with its bid, untouched
    bufRingAdd(br, a, 33, br.mask, 2); // tail 2 + 2 wraps to entry 0
    expect(entry(0)).toEqual([addressOf(a), 10, 33]);
    expect(br.tail).toBe(2);
    bufRingInit(br);
    expect(br.tail).toBe(0);
  });
});

// ------------------------------------------------- classic provided buffers

describe('classic provided buffers', () => {
  itOp(IORING_OP_PROVIDE_BUFFERS, 'provide_buffers: a READ takes buffer 100 of group 9; remove_buffers takes the rest back', () => {
    const ring = open();
    const pool = Buffer.alloc(64);
    expect(runOne(ring, (s) => prepProvideBuffers(s, pool, 16, 4, 9, 100)).res).toBeGreaterThanOrEqual(0);
    const [r, w] = pipe();
    fs.writeSync(w, 'xyz');
    const d = runOne(ring, readSelect(r, 16, 9));
    expect([d.res, bidOf(d)]).toEqual([3, 100]);
    expect(pool.toString('latin1', 0, 3)).toBe('xyz');
    expect(runOne(ring, (s) => prepRemoveBuffers(s, 10, 9)).res).toBe(3);
    fs.writeSync(w, 'more');
    expect(runOne(ring, readSelect(r, 16, 9)).res).toBe(-ENOBUFS);
    expect(pool.subarray(16).every((b) => b === 0)).toBe(true);
    expect(ioErr(() => bufRingHead(ring, 9)).errno).toBe(-EINVAL); // not a ring
  });

  itOp(IORING_OP_PROVIDE_BUFFERS, 'provided memory stays alive through gc while the kernel holds it', async () => {
    const ring = open();
    let ref!: WeakRef<ArrayBuffer>;
    (() => {
      const ab = new ArrayBuffer(32);
      ref = new WeakRef(ab);
      expect(runOne(ring, (s) => prepProvideBuffers(s, new Uint8Array(ab), 32, 1, 3, 0)).res).toBeGreaterThanOrEqual(0);
    })();
    await new Promise((r) => setImmediate(r));
    forceGc();
    const [r, w] = pipe();
    fs.writeSync(w, 'still here');
    expect(runOne(ring, readSelect(r, 32, 3)).res).toBe(10);
    expect(Buffer.from(ref.deref()!, 0, 10).toString()).toBe('still here');
  });
});

// ----------------------------------------------------------- read multishot

describe('read_multishot', () => {
  itOp(IORING_OP_READ_MULTISHOT, 'reads a pipe each time it has data, a CQE with F_MORE each, until end of file', () => {
    const ring = open();
    const br = setupBufRing(ring, 8, 3);
    const bufs = fill(br, 4, 8);
    const [r, w] = pipe();
    const sqe = ring.getSqe()!;
    prepReadMultishot(sqe, r, 0, 0, 3);
    sqe.userData = 5;
    ring.submit();
    const got: [number, number, boolean][] = [];
    for (const word of ['one', 'two', 'three']) {
      fs.writeSync(w, word);
      const d = reapOne(ring);
      got.push([d.res, bidOf(d), (d.flags & IORING_CQE_F_MORE) !== 0]);
    }
    expect(got).toEqual([[3, 0, true], [3, 1, true], [5, 2, true]]);
    expect(bufs.slice(0, 3).map((b) => b.toString('latin1').replace(/\0+$/, ''))).toEqual(['one', 'two', 'three']);
    fs.closeSync(w);
    fds.splice(fds.indexOf(w), 1);
    expect(reapOne(ring)).toEqual({ res: 0, flags: 0, userData: 5 });
  });

  itOp(IORING_OP_READ_MULTISHOT, 'ends with -ENOBUFS (no F_MORE) when the ring runs dry', () => {
    const ring = open();
    const br = setupBufRing(ring, 2, 3);
    fill(br, 1, 8);
    const [r, w] = pipe();
    const sqe = ring.getSqe()!;
    prepReadMultishot(sqe, r, 0, 0, 3);
    sqe.userData = 6;
    ring.submit();
    fs.writeSync(w, 'first');
    const a = reapOne(ring);
    expect([a.res, (a.flags & IORING_CQE_F_MORE) !== 0]).toEqual([5, true]);
    fs.writeSync(w, 'second');
    expect(reapOne(ring)).toEqual({ res: -ENOBUFS, flags: 0, userData: 6 });
  });
});
