/**
 * Tests for the basic encoders of lib/prep/rw.ts (NOP, READ, WRITE, READV,
 * WRITEV, FSYNC, prepRw) and prepTimeout: the bytes each writes, then each
 * run on a real file,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, layout, type Sqe, prepNop, prepRead, prepWrite, prepReadv, prepWritev, prepFsync, prepTimeout, prepRw,
  IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC, IORING_OP_TIMEOUT,
  IORING_TIMEOUT_ABS, IORING_FSYNC_DATASYNC, ERRNO,
} from '../lib/index.ts';
import { addressOf, view } from '../ffi/index.ts';
import { byUserData, eachMemory, queue, queueNops, reapOne, runOne, sqeFields, staleSqe, scratchFiles } from './helpers.ts';

// errno values (asm-generic), as CQE results and IoUringError.errno.
const { ETIME } = ERRNO;

// Files live on the project's own disk (O_DIRECT needs a real filesystem, not tmpfs).
const { withFile } = scratchFiles('ring-test-');

eachMemory((opts) => {
  // ------------------------------------------------------ encoders, byte level

  describe('encoders write the SQE', () => {
    const L = layout.io_uring_sqe;
    const fd = 7;
    const buf = Buffer.alloc(32);
    const bufs = [Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(7)];
    type Addr = number | 'buf' | 'iovecs' | { sec: number; nsec: number };
    interface Row {
      name: string;
      prep: (s: Sqe) => void;
      opcode: number;
      fd: number;
      off: bigint;
      addr: Addr;
      len: number;
      rwFlags: number;
    }
    const rows: Row[] = [
      { name: 'prepNop', prep: (s) => prepNop(s), opcode: IORING_OP_NOP, fd: -1, off: 0n, addr: 0, len: 0, rwFlags: 0 },
      { name: 'prepRead', prep: (s) => prepRead(s, fd, buf, 16, 4096), opcode: IORING_OP_READ, fd, off: 4096n, addr: 'buf', len: 16, rwFlags: 0 },
      { name: 'prepRead (whole buffer, offset -1)', prep: (s) => prepRead(s, fd, buf, undefined, -1), opcode: IORING_OP_READ, fd, off: 2n ** 64n - 1n, addr: 'buf', len: 32, rwFlags: 0 },
      { name: 'prepRead (offset left out: -1, as node:fs position null)', prep: (s) => prepRead(s, fd, buf), opcode: IORING_OP_READ, fd, off: 2n ** 64n - 1n, addr: 'buf', len: 32, rwFlags: 0 },
      { name: 'prepWrite (offset left out)', prep: (s) => prepWrite(s, fd, buf, 8), opcode: IORING_OP_WRITE, fd, off: 2n ** 64n - 1n, addr: 'buf', len: 8, rwFlags: 0 },
      { name: 'prepReadv (offset left out)', prep: (s) => prepReadv(s, fd, bufs), opcode: IORING_OP_READV, fd, off: 2n ** 64n - 1n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepWritev (offset left out)', prep: (s) => prepWritev(s, fd, bufs), opcode: IORING_OP_WRITEV, fd, off: 2n ** 64n - 1n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepWrite', prep: (s) => prepWrite(s, fd, buf, 20, 2 ** 40), opcode: IORING_OP_WRITE, fd, off: 2n ** 40n, addr: 'buf', len: 20, rwFlags: 0 },
      { name: 'prepReadv', prep: (s) => prepReadv(s, fd, bufs, 100), opcode: IORING_OP_READV, fd, off: 100n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepWritev (offset -1)', prep: (s) => prepWritev(s, fd, bufs, -1), opcode: IORING_OP_WRITEV, fd, off: 2n ** 64n - 1n, addr: 'iovecs', len: 3, rwFlags: 0 },
      { name: 'prepFsync (DATASYNC)', prep: (s) => prepFsync(s, fd, IORING_FSYNC_DATASYNC), opcode: IORING_OP_FSYNC, fd, off: 0n, addr: 0, len: 0, rwFlags: IORING_FSYNC_DATASYNC },
      { name: 'prepTimeout (ms, count 2, ABS)', prep: (s) => prepTimeout(s, 1500, 2, IORING_TIMEOUT_ABS), opcode: IORING_OP_TIMEOUT, fd: -1, off: 2n, addr: { sec: 1, nsec: 500_000_000 }, len: 1, rwFlags: IORING_TIMEOUT_ABS },
      { name: 'prepTimeout ({ sec, nsec })', prep: (s) => prepTimeout(s, { sec: 3, nsec: 5 }), opcode: IORING_OP_TIMEOUT, fd: -1, off: 0n, addr: { sec: 3, nsec: 5 }, len: 1, rwFlags: 0 },
      { name: 'prepRw', prep: (s) => prepRw(IORING_OP_WRITE, s, 9, 0x12345678000, 77, 123), opcode: IORING_OP_WRITE, fd: 9, off: 123n, addr: 0x12345678000, len: 77, rwFlags: 0 },
    ];

    it.each(rows)('$name', (row) => {
      using ring = new IoUring(2, opts());
      // A stale slot: every byte set, then a user_data the encoder must leave alone.
      const sqe = staleSqe(ring);
      row.prep(sqe);
      const fields = sqeFields(sqe);
      expect(fields).toMatchObject({
        opcode: row.opcode, flags: 0, ioprio: 0, fd: row.fd, off: row.off, len: row.len, rwFlags: row.rwFlags,
        userData: 0x12345678n, bufIndex: 0, personality: 0, spliceFdIn: 0, addr3: 0n, pad2: 0n,
      });
      const addr = Number(fields.addr);
      if (row.addr === 'buf') {
        expect(addr).toBe(addressOf(buf));
      } else if (row.addr === 'iovecs') {
        // struct iovec { void *iov_base; size_t iov_len; }, one per buffer.
        expect(addr).not.toBe(0);
        const iov = new DataView(view(addr, bufs.length * layout.iovec.sizeof));
        const got = bufs.map((_, i) => [Number(iov.getBigUint64(i * 16, true)), Number(iov.getBigUint64(i * 16 + 8, true))]);
        expect(got).toEqual(bufs.map((b) => [addressOf(b), b.length]));
      } else if (typeof row.addr === 'object') {
        // struct __kernel_timespec { s64 tv_sec; s64 tv_nsec; }
        expect(addr).not.toBe(0);
        const ts = new DataView(view(addr, layout.__kernel_timespec.sizeof));
        expect({ sec: Number(ts.getBigInt64(0, true)), nsec: Number(ts.getBigInt64(8, true)) }).toEqual(row.addr);
      } else {
        expect(addr).toBe(row.addr);
      }
    });
  });

  // --------------------------------------------------- encoders on real files

  describe('encoders on a real file', () => {
    it('prepWrite then prepRead round-trip the bytes', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const data = Buffer.from('hello, ring');
        expect(runOne(ring, (s) => prepWrite(s, fd, data, data.length, 3)).res).toBe(data.length);
        expect(fs.readFileSync(file)).toEqual(Buffer.concat([Buffer.alloc(3), data]));
        const back = Buffer.alloc(32, 0xee);
        expect(runOne(ring, (s) => prepRead(s, fd, back, back.length, 0)).res).toBe(data.length + 3);
        expect(back.subarray(0, data.length + 3)).toEqual(Buffer.concat([Buffer.alloc(3), data]));
        expect(back.subarray(data.length + 3)).toEqual(Buffer.alloc(32 - data.length - 3, 0xee));
        expect(runOne(ring, (s) => prepRead(s, fd, back, 4, 1000)).res).toBe(0); // past EOF
      });
    });

    it('offset -1 reads and writes at the file position and advances it; an explicit offset leaves it', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const two = Buffer.alloc(2);
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, -1)).res).toBe(2);
        expect(two.toString()).toBe('ab');
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, 0)).res).toBe(2); // pread: position stays at 2
        expect(runOne(ring, (s) => prepRead(s, fd, two, 2, -1)).res).toBe(2);
        expect(two.toString()).toBe('cd');
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('XY'), 2, -1)).res).toBe(2);
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('Z'), 1, -1)).res).toBe(1);
        expect(fs.readFileSync(file, 'latin1')).toBe('abcdXYZh');
      }, Buffer.from('abcdefgh'), 'r+');
    });

    it('prepWritev then prepReadv move 3 buffers in order', () => {
      using ring = new IoUring(4, opts());
      withFile((fd, file) => {
        const out = ['ab', 'cde', 'f'].map((s) => Buffer.from(s));
        expect(runOne(ring, (s) => prepWritev(s, fd, out, 1)).res).toBe(6);
        expect(fs.readFileSync(file, 'latin1')).toBe('\0abcdef');
        const into = [Buffer.alloc(2), Buffer.alloc(1), Buffer.alloc(4, 0xee)];
        expect(runOne(ring, (s) => prepReadv(s, fd, into, 1)).res).toBe(6);
        expect(into.map((b) => b.toString('latin1'))).toEqual(['ab', 'c', 'def\xee']);
      });
    });

    it('prepFsync completes with 0, plain and with IORING_FSYNC_DATASYNC', () => {
      using ring = new IoUring(4, opts());
      withFile((fd) => {
        expect(runOne(ring, (s) => prepWrite(s, fd, Buffer.from('x'))).res).toBe(1);
        expect(runOne(ring, (s) => prepFsync(s, fd)).res).toBe(0);
        expect(runOne(ring, (s) => prepFsync(s, fd, IORING_FSYNC_DATASYNC)).res).toBe(0);
      });
    });

    it.each([5, { sec: 0, nsec: 5_000_000 }])('prepTimeout(%o) completes with -ETIME', (ts) => {
      using ring = new IoUring(4, opts());
      queue(ring, (s) => prepTimeout(s, ts), 1);
      ring.submit();
      expect(reapOne(ring)).toEqual({ res: -ETIME, flags: 0, userData: 1 });
    });

    it('prepTimeout with count 1 completes with 0 once one other completion is posted', () => {
      using ring = new IoUring(4, opts());
      queue(ring, (s) => prepTimeout(s, 60_000, 1), 1); // a minute: only the count can end it in time
      ring.submit();
      expect(ring.waitCqeTimeout(10)).toBeNull();
      queueNops(ring, [2]);
      ring.submit();
      expect([reapOne(ring), reapOne(ring)].sort(byUserData)).toEqual([
        { res: 0, flags: 0, userData: 1 },
        { res: 0, flags: 0, userData: 2 },
      ]);
    });
  });
});
