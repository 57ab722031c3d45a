import { ERRNO } from '../lib/errno.ts';
/**
 * Tests for registration (lib/register/: buffers.ts, files.ts and the rest) and the
 * fixed-buffer encoders of lib/prep/buffers.ts: the SQE bytes each encoder
 * writes, the arguments each refuses, and every registration run against the
 * kernel with its effect checked (bytes that land through a registered
 * buffer, a fixed file read, an eventfd count, a refused OPENAT...). Includes
 * RELIABILITY.md case 27 (a restricted ring).
 *
 * The io-wq settings (affinity, worker caps) belong to the calling thread and
 * reach all its rings: those tests put them back as they found them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as ffi from '../ffi/index.ts';
import { addressOf, view } from '../ffi/index.ts';
import { IoUringError } from '../lib/errors.ts';
import { IoUring } from '../lib/ring/io-uring.ts';
import type { IoUringOptions } from '../lib/ring/options.ts';
import { buried } from '../lib/ring/memory.ts';
import type { Sqe } from '../lib/ring/sqe.ts';
import { prepNop, prepRead, prepRw } from '../lib/prep/rw.ts';
import { cString } from '../lib/prep/path.ts';
import * as layout from '../lib/uapi/layout.ts';
import { getProbeRing } from '../lib/register/probe.ts';
import {
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_FD, IORING_FILE_INDEX_ALLOC, IORING_MSG_RING_FLAGS_PASS,
  IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_READ_FIXED, IORING_OP_READV_FIXED, IORING_OP_WRITE,
  IORING_OP_WRITE_FIXED, IORING_OP_WRITEV_FIXED, IORING_REGISTER_DST_REPLACE, IORING_REGISTER_FILES_SKIP,
  IORING_REGISTER_PERSONALITY, IORING_RESTRICTION_REGISTER_OP, IORING_RESTRICTION_SQE_OP, IORING_SETUP_R_DISABLED,
  IO_WQ_BOUND, IO_WQ_UNBOUND, IOSQE_ASYNC, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN,
} from '../lib/uapi/constants.ts';
import { prepReadFixed, prepReadvFixed, prepWriteFixed, prepWritevFixed } from '../lib/prep/buffers.ts';
import {
  cloneBuffers, cloneBuffersOffset, registerBuffers, registerBuffersSparse, registerBuffersTags,
  registerBuffersUpdateTag, registeredBuffers, unregisterBuffers,
} from '../lib/register/buffers.ts';
import {
  registerFileAllocRange, registerFiles, registerFilesSparse, registerFilesTags, registerFilesUpdate, registerFilesUpdateTag,
  unregisterFiles,
} from '../lib/register/files.ts';
import { registerClock } from '../lib/register/clock.ts';
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC } from '../lib/uapi/time.ts';
import { registerEventfd, registerEventfdAsync, unregisterEventfd } from '../lib/register/eventfd.ts';
import { registerIowqAff, registerIowqMaxWorkers, unregisterIowqAff } from '../lib/register/iowq.ts';
import { registerNapi, unregisterNapi } from '../lib/register/napi.ts';
import { registerPersonality, unregisterPersonality } from '../lib/register/personality.ts';
import { queryOpcodes, queryScq, queryZcrx, registerQuery } from '../lib/register/query.ts';
import { enableRings, registerRestrictions } from '../lib/register/restrictions.ts';
import { registerSyncCancel } from '../lib/register/sync-cancel.ts';
import { registerSyncMsg } from '../lib/register/sync-msg.ts';
import { forceGc, itOp, queue, reapAll, reapOne, ringFixtures, runOne, sqeBytes, sqeFields, staleSqe, type Done, ioErr } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { ENOENT, ENXIO, EBADF, EACCES, EFAULT, EBUSY, ENFILE, EINVAL, EOPNOTSUPP, ECANCELED } = ERRNO;
const EFD_NONBLOCK = 0x800;
const AT_FDCWD = -100;
const RLIMIT_NOFILE = 7;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let seq = 0;
/** A fresh file holding `content`, opened read-write: its fd (closed after the test). */
function fileWith(content: string): number {
  const p = path.join(dir, `f${seq++}`);
  fs.writeFileSync(p, content);
  return track(fs.openSync(p, 'r+'));
}

const { fds, open, pipe, track } = ringFixtures();

/** Runs one entry; its CQE's res. */
function run(ring: IoUring, prep: (sqe: Sqe) => void, userData = 1): number {
  return runOne(ring, prep, userData).res;
}

// Paths an OPENAT names, kept until the test ends (the entry keeps them too).
const paths: Uint8Array[] = [];
/** An IORING_OP_OPENAT of `p` read-only, through prepRw (this file tests registration, not open encoders). */
function openat(p: string, fileIndex?: number): (sqe: Sqe) => void {
  return (sqe) => {
    const c = cString(p);
    paths.push(c);
    prepRw(IORING_OP_OPENAT, sqe, AT_FDCWD, addressOf(c), 0, 0);
    sqe.keep(c);
    if (fileIndex !== undefined) sqe.spliceFdIn = fileIndex; // file_index
  };
}

/** A READ of registered file `index`. */
function readFixedFile(index: number, buf: Buffer): (sqe: Sqe) => void {
  return (sqe) => {
    prepRead(sqe, index, buf, buf.length, 0);
    sqe.flags = IOSQE_FIXED_FILE;
  };
}

/** The eventfd's count (read, which resets it), or 0 when it was not signalled. */
function eventfdCount(fd: number): number {
  const b = Buffer.alloc(8);
  try {
    fs.readSync(fd, b);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw err;
  }
  return Number(b.readBigUInt64LE());
}

/** The bytes of one SQE, through the ring's own view of its memory. */


// ------------------------------------------------------ encoders, byte level

describe('fixed-buffer encoders write the SQE', () => {
  const fd = 7;
  const buf = Buffer.alloc(64);
  const bufs = [buf.subarray(0, 3), buf.subarray(8, 13)];
  interface Row {
    name: string;
    prep: (s: Sqe) => void;
    opcode: number;
    off: bigint;
    addr: 'buf' | 'iovecs';
    len: number;
    rwFlags: number;
    bufIndex: number;
  }
  const rows: Row[] = [
    { name: 'prepReadFixed', prep: (s) => prepReadFixed(s, fd, buf, 16, 4096, 3), opcode: IORING_OP_READ_FIXED, off: 4096n, addr: 'buf', len: 16, rwFlags: 0, bufIndex: 3 },
    { name: 'prepReadFixed (offset -1, index 65535)', prep: (s) => prepReadFixed(s, fd, buf, 64, -1, 65535), opcode: IORING_OP_READ_FIXED, off: 2n ** 64n - 1n, addr: 'buf', len: 64, rwFlags: 0, bufIndex: 65535 },
    { name: 'prepWriteFixed', prep: (s) => prepWriteFixed(s, fd, buf, 20, 2 ** 40, 1), opcode: IORING_OP_WRITE_FIXED, off: 2n ** 40n, addr: 'buf', len: 20, rwFlags: 0, bufIndex: 1 },
    { name: 'prepReadvFixed', prep: (s) => prepReadvFixed(s, fd, bufs, 100, 0x10, 2), opcode: IORING_OP_READV_FIXED, off: 100n, addr: 'iovecs', len: 2, rwFlags: 0x10, bufIndex: 2 },
    { name: 'prepWritevFixed', prep: (s) => prepWritevFixed(s, fd, bufs, 0, 0, 4), opcode: IORING_OP_WRITEV_FIXED, off: 0n, addr: 'iovecs', len: 2, rwFlags: 0, bufIndex: 4 },
  ];

  it.each(rows)('$name', (row) => {
    const ring = open(2);
    const sqe = staleSqe(ring);
    row.prep(sqe);
    const fields = sqeFields(sqe);
    expect(fields).toMatchObject({
      opcode: row.opcode, flags: 0, ioprio: 0, fd, off: row.off, len: row.len, rwFlags: row.rwFlags,
      userData: 0x12345678n, bufIndex: row.bufIndex, personality: 0, spliceFdIn: 0, addr3: 0n, pad2: 0n,
    });
    const addr = Number(fields.addr);
    if (row.addr === 'buf') {
      expect(addr).toBe(addressOf(buf));
    } else {
      // struct iovec { void *iov_base; size_t iov_len; }, one per buffer.
      expect(addr).not.toBe(0);
      const iov = new DataView(view(addr, bufs.length * layout.iovec.sizeof));
      const got = bufs.map((_, i) => [Number(iov.getBigUint64(i * 16, true)), Number(iov.getBigUint64(i * 16 + 8, true))]);
      expect(got).toEqual(bufs.map((b) => [addressOf(b), b.length]));
    }
  });
});

describe('fixed-buffer encoders refuse bad arguments before writing', () => {
  const buf = Buffer.alloc(16);
  const detached = new Uint8Array(new ArrayBuffer(8));
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  const cases: [string, (s: Sqe) => void, typeof TypeError | typeof RangeError][] = [
    ['an fd past int32', (s) => prepReadFixed(s, 2 ** 31, buf, 16, 0, 0), RangeError],
    ['a fractional fd', (s) => prepWriteFixed(s, 1.5, buf, 16, 0, 0), RangeError],
    ['a string fd', (s) => prepWriteFixed(s, '3' as unknown as number, buf, 16, 0, 0), TypeError],
    ['a length past the end of the buffer', (s) => prepReadFixed(s, 0, buf, 17, 0, 0), RangeError],
    ['a length past the end of a pooled slice', (s) => prepReadFixed(s, 0, Buffer.from('abc'), 4, 0, 0), RangeError],
    ['a detached buffer', (s) => prepWriteFixed(s, 0, detached, 0, 0, 0), TypeError],
    ['a buffer index above 65535', (s) => prepReadFixed(s, 0, buf, 16, 0, 65536), RangeError],
    ['a negative buffer index', (s) => prepWriteFixed(s, 0, buf, 16, 0, -1), RangeError],
    ['an offset below -1', (s) => prepReadFixed(s, 0, buf, 16, -2, 0), RangeError],
    ['iovecs that are not an array', (s) => prepReadvFixed(s, 0, buf as unknown as Buffer[], 0, 0, 0), TypeError],
    ['a detached buffer among iovecs', (s) => prepWritevFixed(s, 0, [buf, detached], 0, 0, 0), TypeError],
    ['a fractional fd for readv_fixed', (s) => prepReadvFixed(s, 0.5, [buf], 0, 0, 0), RangeError],
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

// -------------------------------------------------------- registered buffers

describe('registered buffers', () => {
  it('write_fixed and read_fixed move bytes through a registered buffer, in slot 1 of 2', () => {
    const ring = open();
    const fd = fileWith('');
    const regs = [Buffer.alloc(4096), Buffer.alloc(4096)];
    registerBuffers(ring, regs);
    regs[1]!.write('fixed bytes', 100);
    expect(run(ring, (s) => prepWriteFixed(s, fd, regs[1]!.subarray(100, 111), 11, 5, 1))).toBe(11);
    expect(fs.readFileSync(fd, 'latin1')).toBe('\0\0\0\0\0fixed bytes');
    expect(run(ring, (s) => prepReadFixed(s, fd, regs[1]!.subarray(2000), 16, 0, 1))).toBe(16);
    expect(regs[1]!.subarray(2000, 2016).toString('latin1')).toBe('\0\0\0\0\0fixed bytes');
    expect(regs[0]!.every((b) => b === 0)).toBe(true);
  });

  it('read_fixed outside the registered buffer is -EFAULT, and the memory past it is untouched', () => {
    const ring = open();
    const fd = fileWith('0123456789');
    const pool = Buffer.alloc(8192, 0xee);
    registerBuffers(ring, [pool.subarray(0, 4096)]);
    expect(run(ring, (s) => prepReadFixed(s, fd, pool.subarray(4090), 10, 0, 0))).toBe(-EFAULT);
    expect(pool.subarray(4096).every((b) => b === 0xee)).toBe(true);
  });

  itOp(IORING_OP_READV_FIXED, 'writev_fixed and readv_fixed scatter and gather within one registered buffer', () => {
    const ring = open();
    const fd = fileWith('');
    const reg = Buffer.alloc(1024);
    registerBuffers(ring, [reg]);
    reg.write('ab', 0);
    reg.write('cde', 500);
    expect(run(ring, (s) => prepWritevFixed(s, fd, [reg.subarray(0, 2), reg.subarray(500, 503)], 0, 0, 0))).toBe(5);
    expect(fs.readFileSync(fd, 'latin1')).toBe('abcde');
    expect(run(ring, (s) => prepReadvFixed(s, fd, [reg.subarray(900, 901), reg.subarray(1000, 1004)], 0, 0, 0))).toBe(5);
    expect([reg.subarray(900, 901).toString(), reg.subarray(1000, 1004).toString()]).toEqual(['a', 'bcde']);
  });

  it('refuses a second table (EBUSY) and unregistering none (ENXIO); after unregister read_fixed fails', () => {
    const ring = open();
    const fd = fileWith('data');
    const reg = Buffer.alloc(64);
    expect(ioErr(() => unregisterBuffers(ring)).errno).toBe(-ENXIO);
    registerBuffers(ring, [reg]);
    const e = ioErr(() => registerBuffers(ring, [reg]));
    expect([e.code, e.syscall]).toEqual(['EBUSY', 'io_uring_register']);
    expect(e.message).toContain('register_buffers');
    unregisterBuffers(ring);
    expect(registeredBuffers(ring)).toEqual([]);
    expect(run(ring, (s) => prepReadFixed(s, fd, reg, 4, 0, 0))).toBe(-EFAULT);
    expect(reg.subarray(0, 4).toString('latin1')).toBe('\0\0\0\0');
  });

  it('sparse table, update with tags: the replaced buffer and the unregistered one post their tags', () => {
    const ring = open();
    const fd = fileWith('sparse!');
    registerBuffersSparse(ring, 4);
    expect(registeredBuffers(ring)).toEqual([null, null, null, null]);
    const a = Buffer.alloc(32);
    const b = Buffer.alloc(32);
    expect(run(ring, (s) => prepReadFixed(s, fd, a, 7, 0, 2))).toBeLessThan(0); // slot 2 empty
    expect(registerBuffersUpdateTag(ring, 2, [a], [0xa11])).toBe(1);
    expect(run(ring, (s) => prepReadFixed(s, fd, a, 7, 0, 2))).toBe(7);
    expect(a.toString('latin1', 0, 7)).toBe('sparse!');
    expect(reapAll(ring)).toEqual([]);
    // Replacing slot 2 lets `a` go: its tag comes back as a CQE.
    expect(registerBuffersUpdateTag(ring, 2, [b], [0xb22])).toBe(1);
    expect(registeredBuffers(ring)[2]).toBe(b);
    expect(reapAll(ring)).toEqual([{ userData: 0xa11, res: 0, flags: 0 }]);
    unregisterBuffers(ring);
    expect(reapAll(ring)).toEqual([{ userData: 0xb22, res: 0, flags: 0 }]);
  });

  it('registerBuffersTags: a tagged slot posts its tag on unregister, an untagged one does not', () => {
    const ring = open();
    registerBuffersTags(ring, [Buffer.alloc(16), Buffer.alloc(16), null], [0, 2n ** 60n, 0]);
    unregisterBuffers(ring);
    const cqe = ring.peekCqe()!;
    expect([cqe.userDataBig, cqe.res]).toEqual([2n ** 60n, 0]);
    ring.cqeSeen(cqe);
    expect(ring.peekCqe()).toBeNull();
  });

  it('an update past the table is EINVAL; null empties a slot', () => {
    const ring = open();
    const fd = fileWith('x');
    const a = Buffer.alloc(8);
    registerBuffers(ring, [a, Buffer.alloc(8)]);
    expect(ioErr(() => registerBuffersUpdateTag(ring, 1, [a, a])).errno).toBe(-EINVAL);
    expect(registerBuffersUpdateTag(ring, 0, [null])).toBe(1);
    expect(registeredBuffers(ring)[0]).toBeNull();
    expect(run(ring, (s) => prepReadFixed(s, fd, a, 1, 0, 0))).toBeLessThan(0);
  });

  it('refuses bad buffers and tags before calling the kernel', () => {
    const ring = open();
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => registerBuffers(ring, [Buffer.alloc(0)])).toThrow(RangeError);
    expect(() => registerBuffers(ring, [detached])).toThrow(TypeError);
    expect(() => registerBuffers(ring, 'x' as unknown as Buffer[])).toThrow(TypeError);
    expect(() => registerBuffersTags(ring, [Buffer.alloc(8)], [1, 2])).toThrow(RangeError);
    expect(() => registerBuffersTags(ring, [Buffer.alloc(8)], [-1])).toThrow(TypeError);
    expect(() => registerBuffersUpdateTag(ring, -1, [Buffer.alloc(8)])).toThrow(RangeError);
    expect(registeredBuffers(ring)).toEqual([]);
    registerBuffers(ring, [Buffer.alloc(8)]); // nothing was registered by the refusals
  });

  it('keeps a registered buffer alive through gc until unregistered, then lets it go', async () => {
    const ring = open();
    const fd = fileWith('kept');
    let ref: WeakRef<ArrayBuffer>;
    (() => {
      const ab = new ArrayBuffer(4096);
      ref = new WeakRef(ab);
      registerBuffers(ring, [new Uint8Array(ab)]);
    })();
    await new Promise((r) => setImmediate(r));
    forceGc();
    (() => {
      const held = registeredBuffers(ring)[0]!;
      expect(held.buffer).toBe(ref!.deref());
      expect(run(ring, (s) => prepReadFixed(s, fd, held, 4, 0, 0))).toBe(4);
      expect(Buffer.from(held.buffer, 0, 4).toString()).toBe('kept');
    })();
    unregisterBuffers(ring);
    await new Promise((r) => setImmediate(r));
    forceGc();
    expect(ref!.deref()).toBeUndefined();
  });
});

describe('clone_buffers', () => {
  it('gives a second ring the first one\'s buffers: a read_fixed there lands in them', () => {
    const src = open();
    const dst = open();
    const fd = fileWith('cloned');
    const reg = Buffer.alloc(64);
    registerBuffers(src, [Buffer.alloc(8), reg]);
    cloneBuffers(dst, src);
    expect(registeredBuffers(dst)).toEqual(registeredBuffers(src));
    expect(run(dst, (s) => prepReadFixed(s, fd, reg.subarray(10), 6, 0, 1))).toBe(6);
    expect(reg.toString('latin1', 10, 16)).toBe('cloned');
    // The source can let go: the clone keeps the memory (pinned and referenced).
    unregisterBuffers(src);
    reg.fill(0);
    expect(run(dst, (s) => prepReadFixed(s, fd, reg, 6, 0, 1))).toBe(6);
    expect(reg.toString('latin1', 0, 6)).toBe('cloned');
    expect(ioErr(() => cloneBuffers(dst, src)).code).toBe('EBUSY');
  });

  it('clone_buffers_offset with DST_REPLACE puts a range of the source at an offset', () => {
    const src = open();
    const dst = open();
    const fd = fileWith('range');
    const s0 = Buffer.alloc(8);
    const s1 = Buffer.alloc(8);
    const d0 = Buffer.alloc(8);
    registerBuffers(src, [s0, s1]);
    registerBuffers(dst, [d0, Buffer.alloc(8)]);
    cloneBuffersOffset(dst, src, 1, 1, 1, IORING_REGISTER_DST_REPLACE);
    expect(registeredBuffers(dst)).toEqual([d0, s1]);
    expect(run(dst, (s) => prepReadFixed(s, fd, s1, 5, 0, 1))).toBe(5);
    expect(s1.toString('latin1', 0, 5)).toBe('range');
    expect(run(dst, (s) => prepReadFixed(s, fd, d0, 5, 0, 0))).toBe(5);
    expect(() => cloneBuffersOffset(dst, src, 0, 0, 0, 0x80)).toThrow(RangeError);
  });
});

// ----------------------------------------------------------- registered files

describe('registered files', () => {
  it('a READ with IOSQE_FIXED_FILE names the file by its slot, even after its fd is closed', () => {
    const ring = open();
    const a = fileWith('first');
    const b = fs.openSync(path.join(dir, `f${seq++}`), 'w+');
    fs.writeSync(b, 'second');
    registerFiles(ring, [a, -1, b]);
    fs.closeSync(b); // the table holds its own reference
    const buf = Buffer.alloc(6);
    expect(run(ring, readFixedFile(2, buf))).toBe(6);
    expect(buf.toString()).toBe('second');
    expect(run(ring, readFixedFile(1, buf))).toBe(-EBADF);
    expect(run(ring, readFixedFile(0, buf))).toBe(5);
    expect(buf.toString('latin1', 0, 5)).toBe('first');
    unregisterFiles(ring);
    expect(run(ring, readFixedFile(0, buf))).toBe(-EBADF);
  });

  it('sparse table + update: SKIP leaves a slot, -1 empties one', () => {
    const ring = open();
    const a = fileWith('aaa');
    const b = fileWith('bbb');
    registerFilesSparse(ring, 4);
    expect(registerFilesUpdate(ring, 1, [a, b])).toBe(2);
    expect(registerFilesUpdate(ring, 1, [IORING_REGISTER_FILES_SKIP, -1])).toBe(2);
    const buf = Buffer.alloc(3);
    expect(run(ring, readFixedFile(1, buf))).toBe(3);
    expect(buf.toString()).toBe('aaa');
    expect(run(ring, readFixedFile(2, buf))).toBe(-EBADF);
    expect(ioErr(() => registerFilesUpdate(ring, 3, [a, b])).errno).toBe(-EINVAL);
  });

  it('tags: a replaced file and the unregistered ones post their tags', () => {
    const ring = open();
    const a = fileWith('a');
    const b = fileWith('b');
    registerFilesTags(ring, [a, -1], [0x71, 0]);
    expect(registerFilesUpdateTag(ring, 0, [b], [0x72])).toBe(1);
    expect(reapAll(ring)).toEqual([{ userData: 0x71, res: 0, flags: 0 }]);
    const buf = Buffer.alloc(1);
    expect(run(ring, readFixedFile(0, buf))).toBe(1);
    expect(buf.toString()).toBe('b');
    unregisterFiles(ring);
    expect(reapAll(ring)).toEqual([{ userData: 0x72, res: 0, flags: 0 }]);
  });

  // A tag's CQE is indistinguishable from an operation's under the same
  // user_data: it must not let go of a read's buffer still in the kernel.
  it("a tag equal to a read's user_data: the tag's CQE leaves the read's buffer held", () => {
    const ring = open();
    const a = fileWith('a');
    const p = ffi.pipe(0);
    if (typeof p === 'number') throw new Error(`pipe: ${p}`);
    try {
      registerFilesTags(ring, [a], [0x99]);
      const buf = Buffer.alloc(4);
      const sqe = ring.getSqe()!;
      prepRead(sqe, p[0], buf, 4, -1);
      sqe.userData = 0x99;
      ring.submit();
      expect(registerFilesUpdateTag(ring, 0, [-1], [0])).toBe(1); // the tag's CQE comes now
      expect(reapAll(ring)).toEqual([{ userData: 0x99, res: 0, flags: 0 }]);
      expect(ring['keeps'].inFlight(0x99)).toBe(1); // the read's, still counted
      fs.writeSync(p[1], 'data');
      ring.submitAndWait(1);
      expect(reapAll(ring)).toEqual([{ userData: 0x99, res: 4, flags: 0 }]);
      expect(buf.toString()).toBe('data');
      expect(ring['keeps'].inFlight(0x99)).toBe(0);
    } finally {
      ffi.close(p[0]);
      ffi.close(p[1]);
    }
  });

  it('refuses a second table (EBUSY), an update without one (ENXIO), and non-integer fds', () => {
    const ring = open();
    expect(ioErr(() => registerFilesUpdate(ring, 0, [0])).errno).toBe(-ENXIO);
    expect(ioErr(() => unregisterFiles(ring)).errno).toBe(-ENXIO);
    registerFilesSparse(ring, 2);
    const e = ioErr(() => registerFilesSparse(ring, 2));
    expect([e.errno, e.message.includes('register_files_sparse')]).toEqual([-EBUSY, true]);
    expect(() => registerFiles(ring, [1.5])).toThrow(TypeError);
    expect(() => registerFilesUpdate(ring, 0, [2 ** 31])).toThrow(TypeError);
    expect(() => registerFilesTags(ring, [0], [])).toThrow(RangeError);
  });

  it('a table larger than RLIMIT_NOFILE raises the soft limit and retries, as liburing does', () => {
    const lim = ffi.getrlimit(RLIMIT_NOFILE);
    if (typeof lim === 'number') throw new Error(`getrlimit: ${lim}`);
    const [soft, hard] = lim;
    const nr = hard < 4096n ? Number(hard) : 4096; // a table the hard limit allows
    const low = BigInt(nr >>> 2);
    expect(ffi.setrlimit(RLIMIT_NOFILE, low, hard)).toBe(0);
    try {
      const ring = open();
      registerFilesSparse(ring, nr);
      const after = ffi.getrlimit(RLIMIT_NOFILE) as [bigint, bigint];
      expect(after[0]).toBeGreaterThanOrEqual(BigInt(nr));
    } finally {
      ffi.setrlimit(RLIMIT_NOFILE, soft, hard);
    }
  });

  it('a table above the kernel\'s limit of 2^20 files is EMFILE, and says so', () => {
    const lim = ffi.getrlimit(RLIMIT_NOFILE) as [bigint, bigint];
    try {
      const e = ioErr(() => registerFilesSparse(open(), 2 ** 20 + 1));
      expect([e.code, e.message.includes('RLIMIT_NOFILE')]).toEqual(['EMFILE', true]);
    } finally {
      ffi.setrlimit(RLIMIT_NOFILE, lim[0], lim[1]);
    }
  });

  it('file_alloc_range: allocating direct opens land in [4, 6), then the range is full', () => {
    const ring = open();
    const p = path.join(dir, `f${seq++}`);
    fs.writeFileSync(p, 'in range');
    expect(ioErr(() => registerFileAllocRange(ring, 0, 1)).errno).toBe(-EINVAL); // no table
    registerFilesSparse(ring, 8);
    registerFileAllocRange(ring, 4, 2);
    expect(run(ring, openat(p, IORING_FILE_INDEX_ALLOC))).toBe(4);
    expect(run(ring, openat(p, IORING_FILE_INDEX_ALLOC))).toBe(5);
    expect(run(ring, openat(p, IORING_FILE_INDEX_ALLOC))).toBe(-ENFILE);
    const buf = Buffer.alloc(8);
    expect(run(ring, readFixedFile(5, buf))).toBe(8);
    expect(buf.toString()).toBe('in range');
    expect(ioErr(() => registerFileAllocRange(ring, 6, 4)).errno).toBe(-EINVAL);
  });
});

// ------------------------------------------------------------------ eventfd

describe('eventfd', () => {
  it('counts the batches of completions; unregister stops it', () => {
    const ring = open();
    const efd = track(ffi.eventfd(0, EFD_NONBLOCK));
    registerEventfd(ring, efd);
    expect(ioErr(() => registerEventfd(ring, efd)).errno).toBe(-EBUSY);
    for (let i = 0; i < 3; i++) run(ring, prepNop);
    expect(eventfdCount(efd)).toBe(3);
    // Three NOPs completed in one submission are posted, and signalled, once.
    for (let i = 0; i < 3; i++) queue(ring, prepNop, i);
    ring.submitAndWait(3);
    expect(reapAll(ring)).toHaveLength(3);
    expect(eventfdCount(efd)).toBe(1);
    unregisterEventfd(ring);
    run(ring, prepNop);
    expect(eventfdCount(efd)).toBe(0);
    expect(ioErr(() => unregisterEventfd(ring)).errno).toBe(-ENXIO);
  });

  it('eventfd_async is signalled only by completions from io-wq', () => {
    const ring = open();
    const efd = track(ffi.eventfd(0, EFD_NONBLOCK));
    registerEventfdAsync(ring, efd);
    run(ring, prepNop);
    expect(eventfdCount(efd)).toBe(0);
    run(ring, (s) => { prepNop(s); s.flags = IOSQE_ASYNC; });
    expect(eventfdCount(efd)).toBe(1);
  });

  it('refuses a bad fd before the call', () => {
    const ring = open();
    // -1 fits the field: the kernel judges it.
    expect(ioErr(() => registerEventfd(ring, -1)).code).toBe('EBADF');
    expect(() => registerEventfdAsync(ring, 0.5)).toThrow(RangeError);
  });
});

// ----------------------------------------------------- personality, restrictions

describe('personality', () => {
  const root = process.geteuid?.() === 0;
  it.skipIf(!root)(`an entry with sqe.personality runs with the registered credentials${root ? '' : ' (skipped: needs root to register another uid\'s credentials)'}`, () => {
    const ring = open();
    const secret = path.join(dir, `secret${seq++}`);
    fs.writeFileSync(secret, 'root only');
    fs.chmodSync(secret, 0o600);
    // Credentials of "nobody", registered while the thread is that user.
    process.seteuid!(65534);
    let id: number;
    try {
      id = registerPersonality(ring);
    } finally {
      process.seteuid!(0);
    }
    const asRoot = run(ring, openat(secret));
    expect(asRoot).toBeGreaterThanOrEqual(0);
    fs.closeSync(asRoot);
    expect(run(ring, (s) => { openat(secret)(s); s.personality = id; })).toBe(-EACCES);
    unregisterPersonality(ring, id);
    expect(run(ring, (s) => { openat(secret)(s); s.personality = id; })).toBe(-EINVAL);
    expect(ioErr(() => unregisterPersonality(ring, id)).errno).toBe(-EINVAL);
  });

  it('ids are distinct, and refuse a bad id before the call', () => {
    const ring = open();
    const a = registerPersonality(ring);
    const b = registerPersonality(ring);
    expect(a).not.toBe(b);
    expect(() => unregisterPersonality(ring, 65536)).toThrow(RangeError);
  });
});

describe('restrictions (RELIABILITY 27)', () => {
  it('a disabled ring allowing READ and WRITE only: OPENAT gets -EACCES, READ works, other registrations EACCES', () => {
    const ring = open(8, { flags: IORING_SETUP_R_DISABLED });
    const fd = fileWith('allowed');
    registerRestrictions(ring, [
      { opcode: IORING_RESTRICTION_SQE_OP, op: IORING_OP_READ },
      { opcode: IORING_RESTRICTION_SQE_OP, op: IORING_OP_WRITE },
    ]);
    expect(ioErr(() => registerRestrictions(ring, [])).errno).toBe(-EBUSY);
    enableRings(ring);
    expect(run(ring, openat(path.join(dir, 'anything')))).toBe(-EACCES);
    expect(run(ring, (s) => { prepNop(s); })).toBe(-EACCES);
    const buf = Buffer.alloc(7);
    expect(run(ring, (s) => prepRead(s, fd, buf, 7, 0))).toBe(7);
    expect(buf.toString()).toBe('allowed');
    // No flags were allowed, so a READ with IOSQE_IO_DRAIN is refused too.
    expect(run(ring, (s) => { prepRead(s, fd, buf, 7, 0); s.flags = IOSQE_IO_DRAIN; })).toBe(-EACCES);
    expect(ioErr(() => registerPersonality(ring)).code).toBe('EACCES');
    expect(ioErr(() => enableRings(ring)).code).toBe('EACCES');
    ring.close(100); // a restricted ring can't prove a drain (see below)
  });

  // close() proves nothing is in flight with an ASYNC_CANCEL and an
  // IOSQE_IO_DRAIN NOP. A ring whose restrictions refuse them can't prove it:
  // the refused NOP's -EACCES ends the drain at once, and the ring's memory
  // and what its operations named are kept for the life of the process
  // rather than risk a late completion landing in reused memory.
  it('close() of a used ring whose restrictions refuse the drain keeps its memory', () => {
    const ring = open(8, { flags: IORING_SETUP_R_DISABLED });
    registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, op: IORING_OP_READ }]);
    enableRings(ring);
    const fd = fileWith('x');
    expect(run(ring, (s) => prepRead(s, fd, Buffer.alloc(1), 1, 0))).toBe(1);
    const before = buried();
    ring.close(60_000); // returns on the refusal, long before the timeout
    expect(ring.isClosed).toBe(true);
    expect(buried()).toBeGreaterThan(before);
  });

  it('an allowed register opcode goes through; only a disabled ring takes restrictions', () => {
    const ring = open(8, { flags: IORING_SETUP_R_DISABLED });
    registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_REGISTER_OP, op: IORING_REGISTER_PERSONALITY }]);
    enableRings(ring);
    expect(registerPersonality(ring)).toBeGreaterThanOrEqual(0);
    expect(ioErr(() => registerRestrictions(open(), [])).code).toBe('EBADFD');
    expect(ioErr(() => enableRings(open())).code).toBe('EBADFD'); // enabled already
  });

  it('refuses malformed rules before the call', () => {
    const ring = open(8, { flags: IORING_SETUP_R_DISABLED });
    expect(() => registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP }])).toThrow(TypeError);
    expect(() => registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, op: 256 }])).toThrow(RangeError);
    expect(() => registerRestrictions(ring, {} as never)).toThrow(TypeError);
    registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, op: IORING_OP_READ }]); // still the first
  });
});

// -------------------------------------------------------------------- io-wq

/** io-wq worker threads of this process: [tid, Cpus_allowed_list]. */
function iowqWorkers(): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      if (!fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('iou-wrk-')) continue;
      out.set(t, /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/self/task/${t}/status`, 'utf8'))![1]!);
    } catch { /* the thread exited meanwhile */ }
  }
  return out;
}

/** The CPUs this process may run on. */
function allowedCpus(): number[] {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;
  return list.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
  });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Polls `cond` every few ms for up to 5 s; whether it came true (a bound, not a timing assertion). */
function eventually(cond: () => boolean): boolean {
  const end = performance.now() + 5000;
  while (!cond()) {
    if (performance.now() > end) return false;
    Atomics.wait(sleeper, 0, 0, 2);
  }
  return true;
}

describe('io-wq', () => {
  const cpus = allowedCpus();
  it.skipIf(cpus.length < 2)(`iowq_aff: workers started after it run on the given CPU only${cpus.length < 2 ? ' (skipped: this process may use one CPU only)' : ''}`, () => {
    const ring = open(16);
    const cpu = cpus[cpus.length - 1]!;
    const fifo = path.join(dir, `fifo${seq++}`);
    execFileSync('mkfifo', [fifo]);
    const before = iowqWorkers();
    registerIowqAff(ring, [cpu]);
    try {
      // An open of a FIFO with no writer blocks its io-wq worker; one more
      // blocked open than there are workers already makes io-wq start one.
      const n = before.size + 1;
      for (let i = 0; i < n; i++) queue(ring, (s) => { openat(fifo)(s); s.flags = IOSQE_ASYNC; }, 100 + i);
      ring.submit();
      const fresh = () => [...iowqWorkers()].filter(([t]) => !before.has(t));
      expect(eventually(() => fresh().length > 0)).toBe(true);
      for (const [, allowed] of fresh()) expect(allowed).toBe(String(cpu));
      // A reader and writer in one: every blocked open completes.
      const w = fs.openSync(fifo, fs.constants.O_RDWR);
      fs.closeSync(w);
      for (let i = 0; i < n; i++) {
        const d = reapOne(ring);
        expect(d.res).toBeGreaterThanOrEqual(0);
        fs.closeSync(d.res);
      }
    } finally {
      unregisterIowqAff(ring);
    }
  });

  it('iowq_aff refuses an empty or bad CPU list', () => {
    const ring = open();
    expect(() => registerIowqAff(ring, [])).toThrow(RangeError);
    expect(() => registerIowqAff(ring, [-1])).toThrow(RangeError);
    expect(() => registerIowqAff(ring, [0.5])).toThrow(RangeError);
  });

  it('iowq_max_workers returns the old caps; set then read back', () => {
    const ring = open();
    run(ring, (s) => { prepNop(s); s.flags = IOSQE_ASYNC; }); // this thread has an io-wq now
    const old = registerIowqMaxWorkers(ring, [0, 0]);
    try {
      expect(registerIowqMaxWorkers(ring, [3, 5])).toEqual(old);
      expect(registerIowqMaxWorkers(ring, [0, 0])).toEqual([3, 5]);
      expect(registerIowqMaxWorkers(ring, [0, 7])).toEqual([3, 5]);
      const now = registerIowqMaxWorkers(ring, [0, 0]);
      expect([now[IO_WQ_BOUND], now[IO_WQ_UNBOUND]]).toEqual([3, 7]);
    } finally {
      registerIowqMaxWorkers(ring, old);
    }
    expect(() => registerIowqMaxWorkers(ring, [-1, 0])).toThrow(RangeError);
    expect(() => registerIowqMaxWorkers(ring, [1] as never)).toThrow(TypeError);
  });
});

// ------------------------------------------------------------- sync cancel

describe('sync_cancel', () => {
  it('cancels a pending read on an empty pipe by user_data: its CQE is -ECANCELED', () => {
    const ring = open();
    const [r] = pipe();
    const buf = Buffer.alloc(8);
    queue(ring, (s) => prepRead(s, r, buf, 8, -1), 42);
    ring.submit();
    expect(ring.peekCqe()).toBeNull();
    expect(registerSyncCancel(ring, { userData: 42 })).toBe(0);
    expect(reapOne(ring)).toEqual({ res: -ECANCELED, flags: 0, userData: 42 });
  });

  it('by fd, all of them, and ENOENT when nothing matches', () => {
    const ring = open();
    const [r] = pipe();
    const bufs = [Buffer.alloc(4), Buffer.alloc(4)];
    queue(ring, (s) => prepRead(s, r, bufs[0]!, 4, -1), 1);
    queue(ring, (s) => prepRead(s, r, bufs[1]!, 4, -1), 2);
    ring.submit();
    expect(registerSyncCancel(ring, { fd: r, flags: IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, timeout: 5000 })).toBe(2);
    expect([reapOne(ring), reapOne(ring)].map((d) => d.res)).toEqual([-ECANCELED, -ECANCELED]);
    const e = ioErr(() => registerSyncCancel(ring, { userData: 42 }));
    expect([e.errno, e.syscall, e.message.includes('register_sync_cancel')]).toEqual([-ENOENT, 'io_uring_register', true]);
  });

  it('refuses unknown flags and a bad fd before the call', () => {
    const ring = open();
    expect(() => registerSyncCancel(ring, { flags: 0x1000 })).toThrow(RangeError);
    expect(() => registerSyncCancel(ring, { fd: 0.5, flags: IORING_ASYNC_CANCEL_FD })).toThrow(RangeError);
    expect(() => registerSyncCancel(ring, { userData: -1 })).toThrow(TypeError);
  });
});

// ------------------------------------------------------- napi, clock, query

function napiUnavailable(): string {
  const ring = new IoUring(2);
  try {
    registerNapi(ring, { busyPollTo: 0, preferBusyPoll: false });
    unregisterNapi(ring);
    return '';
  } catch (err) {
    if (err instanceof IoUringError) return `the kernel says ${err.code} (EOPNOTSUPP: built without CONFIG_NET_RX_BUSY_POLL)`;
    throw err;
  } finally {
    ring.close();
  }
}

describe('napi', () => {
  const why = napiUnavailable();
  it.skipIf(why !== '')(`register returns the old settings, unregister the ones in force${why ? ` (skipped: ${why})` : ''}`, () => {
    const ring = open();
    expect(registerNapi(ring, { busyPollTo: 100, preferBusyPoll: true })).toEqual({ busyPollTo: 0, preferBusyPoll: false });
    expect(registerNapi(ring, { busyPollTo: 50, preferBusyPoll: false })).toEqual({ busyPollTo: 100, preferBusyPoll: true });
    expect(unregisterNapi(ring)).toEqual({ busyPollTo: 50, preferBusyPoll: false });
    // A wait on a NAPI ring with no sockets still works.
    registerNapi(ring, { busyPollTo: 10, preferBusyPoll: false });
    expect(run(ring, prepNop)).toBe(0);
  });
});

describe('clock', () => {
  it('CLOCK_BOOTTIME: a timed wait still times out, and the ring still works; CLOCK_REALTIME is EINVAL', () => {
    const ring = open();
    registerClock(ring, CLOCK_BOOTTIME);
    expect(ring.waitCqeTimeout(20)).toBeNull();
    queue(ring, prepNop, 9);
    expect(ring.submitAndWaitTimeout(1, 5000)?.userData).toBe(9);
    ring.cqAdvance(1);
    registerClock(ring, CLOCK_MONOTONIC);
    expect(ring.waitCqeTimeout(1)).toBeNull();
    const e = ioErr(() => registerClock(ring, 0));
    expect([e.code, e.message.includes('register_clock')]).toEqual(['EINVAL', true]);
  });
});

describe('query', () => {
  it('ringless: the opcode count matches the probe, the features cover the ring\'s', () => {
    const ring = open();
    const q = queryOpcodes();
    const probe = getProbeRing(ring);
    expect(q.nrRequestOpcodes).toBe(probe.lastOp + 1);
    expect(q.nrRegisterOpcodes).toBeGreaterThan(35); // IORING_REGISTER_QUERY is 35
    expect(q.featureFlags & BigInt(ring.features)).toBe(BigInt(ring.features));
    expect(q.ringSetupFlags & BigInt(ring.flags)).toBe(BigInt(ring.flags));
    expect(q.sqeFlags & BigInt(IOSQE_FIXED_FILE | IOSQE_ASYNC)).toBe(BigInt(IOSQE_FIXED_FILE | IOSQE_ASYNC));
    expect(q.nrQueryOpcodes).toBeGreaterThanOrEqual(1);
    expect(queryOpcodes(ring)).toEqual(q);
  });

  it('a query the kernel does not know is EOPNOTSUPP; ZCRX and SCQ answer or say so', () => {
    const e = ioErr(() => registerQuery(0xffff, 8));
    expect([e.errno, e.message.includes('register_query')]).toEqual([-EOPNOTSUPP, true]);
    const known = queryOpcodes().nrQueryOpcodes;
    for (const [op, q] of [[1, queryZcrx], [2, queryScq]] as const) {
      if (op < known) expect(typeof q()).toBe('object');
      else expect(ioErr(() => q()).errno).toBe(-EOPNOTSUPP);
    }
  });
});

describe('sync msg (IORING_REGISTER_SEND_MSG_RING)', () => {
  it('posts a CQE to a ring from no ring: res = len, user_data = data; FLAGS_PASS sets its flags', () => {
    const target = open();
    registerSyncMsg(target.fd, 42, 777);
    registerSyncMsg(target.fd, 43, 2n ** 63n, IORING_MSG_RING_FLAGS_PASS, 0x1234);
    const got = [] as [bigint, number, number][];
    for (let c = target.peekCqe(); c !== null; c = target.peekCqe()) {
      got.push([c.userDataBig, c.res, c.flags]);
      target.cqeSeen(c);
    }
    expect(got).toEqual([[777n, 42, 0], [2n ** 63n, 43, 0x1234]]);
  });

  it('a target that is not a ring is refused; a bad fd before the call', () => {
    const [r] = pipe();
    expect(ioErr(() => registerSyncMsg(r, 1, 1)).errno).toBeLessThan(0);
    expect(ioErr(() => registerSyncMsg(-1, 1, 1)).code).toBe('EBADF');
    expect(() => registerSyncMsg(0, 1, -1)).toThrow(TypeError);
  });
});
