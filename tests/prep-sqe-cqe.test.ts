/**
 * Tests for the SQE and CQE helpers of lib/prep/helpers.ts (sqeSetFlags,
 * sqeSetData, cqeGetData, cqeBufferId and the rest), with the IOSQE_*
 * semantics they set: links, hard links, drain, skip-success, async, fixed
 * files, provided buffers.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, layout, prepNop, prepRead, prepRw, prepWrite, IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_CQE_F_SOCK_NONEMPTY, IORING_OP_PROVIDE_BUFFERS,
  IORING_OP_READ, IOSQE_ASYNC, IOSQE_BUFFER_SELECT, IOSQE_CQE_SKIP_SUCCESS, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK, IOSQE_IO_LINK, ERRNO,
} from '../lib/index.ts';
import {
  cqeBufMore, cqeBufferId, cqeGetData, cqeGetData64, cqeHasMore, cqeIsNotif, cqeSockNonempty, sqeSetBufGroup,
  sqeSetData, sqeSetFlags,
} from '../lib/prep/sqe-cqe.ts';
import { addressOf } from '../ffi/index.ts';
import { at, byUserData, expectFields, queue, registerFiles, withPipe, reapN, reapQuiet, run, sqeView, staleSqe, itRefusesBeforeWriting, type Refusal } from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { EBADF, ECANCELED } = ERRNO;

const L = layout.io_uring_sqe;

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['sqeSetFlags: 256', (s) => sqeSetFlags(s, 256), RangeError],
    ['sqeSetBufGroup: 65536', (s) => sqeSetBufGroup(s, 65536), RangeError],
    ['sqeSetData: -1n', (s) => sqeSetData(s, -1n), RangeError],
    ['sqeSetData: 2^53', (s) => sqeSetData(s, 2 ** 53), TypeError],
  ];

  itRefusesBeforeWriting(bad);
});

// -------------------------------------------- IOSQE_* flags and the helpers

describe('IOSQE_* flags through sqeSetFlags', () => {
  const NO_SUCH_FD = 1_000_000;

  it('IOSQE_IO_LINK: a failed read cancels the NOP linked after it (-EBADF, then -ECANCELED)', () => {
    using ring = new IoUring(4);
    queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 1, IOSQE_IO_LINK);
    queue(ring, prepNop, 2);
    ring.submit();
    expect(reapN(ring, 2)).toEqual([{ userData: 1, res: -EBADF, flags: 0 }, { userData: 2, res: -ECANCELED, flags: 0 }]);
  });

  it('IOSQE_IO_HARDLINK: a failing op does not break the chain; the rest run, in order', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      queue(ring, (s) => prepWrite(s, w, Buffer.from('one')), 1, IOSQE_IO_HARDLINK);
      queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 2, IOSQE_IO_HARDLINK);
      queue(ring, (s) => prepWrite(s, w, Buffer.from('two')), 3);
      ring.submit();
      expect(reapN(ring, 3)).toEqual([{ userData: 1, res: 3, flags: 0 }, { userData: 2, res: -EBADF, flags: 0 }, { userData: 3, res: 3, flags: 0 }]);
      const buf = Buffer.alloc(16);
      expect(buf.subarray(0, fs.readSync(r, buf)).toString()).toBe('onetwo');
    });
  });

  it('IOSQE_IO_DRAIN: the drained NOP waits for the read before it, and the NOP after waits for it', () => {
    using ring = new IoUring(8);
    withPipe((r, w) => {
      queue(ring, (s) => prepRead(s, r, Buffer.alloc(4)), 1);
      queue(ring, prepNop, 2, IOSQE_IO_DRAIN);
      queue(ring, prepNop, 3);
      ring.submit();
      // NOPs complete at once; these wait behind the drain.
      expect(reapQuiet(ring)).toEqual([]);
      fs.writeSync(w, 'go');
      expect(reapN(ring, 3)).toEqual([{ userData: 1, res: 2, flags: 0 }, { userData: 2, res: 0, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
    });
  });

  it('IOSQE_CQE_SKIP_SUCCESS: no CQE when the op succeeds, one when it fails', () => {
    using ring = new IoUring(4);
    queue(ring, prepNop, 1, IOSQE_CQE_SKIP_SUCCESS);
    queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 2, IOSQE_CQE_SKIP_SUCCESS);
    queue(ring, prepNop, 3);
    ring.submit();
    expect([...reapN(ring, 2), ...reapQuiet(ring)].sort(byUserData)).toEqual([{ userData: 2, res: -EBADF, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
  });

  it('IOSQE_ASYNC: a write punted to a worker still lands', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      expect(run(ring, (s) => prepWrite(s, w, Buffer.from('async')), 1, IOSQE_ASYNC).res).toBe(5);
      const buf = Buffer.alloc(8);
      expect(buf.subarray(0, fs.readSync(r, buf)).toString()).toBe('async');
    });
  });

  it('IOSQE_FIXED_FILE: fd is an index into the registered files', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      registerFiles(ring, [w, r]);
      fs.writeSync(w, 'fixed');
      const buf = Buffer.alloc(8);
      expect(run(ring, (s) => prepRead(s, 1, buf), 1, IOSQE_FIXED_FILE).res).toBe(5);
      expect(buf.subarray(0, 5).toString()).toBe('fixed');
    });
  });

  it('IOSQE_BUFFER_SELECT with sqeSetBufGroup: the read picks a provided buffer, and cqeBufferId says which', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      const pool = Buffer.alloc(4 * 8);
      const bgid = 7;
      // IORING_OP_PROVIDE_BUFFERS: 4 buffers of 8 bytes, ids 10..13, group 7 (fd: count, off: first id).
      const provided = run(ring, (s) => {
        prepRw(IORING_OP_PROVIDE_BUFFERS, s, 4, addressOf(pool), 8, 10);
        sqeSetBufGroup(s, bgid);
        s.keep(pool);
      });
      expect(provided.res).toBe(0);
      fs.writeSync(w, 'picked');
      const got = run(ring, (s) => {
        prepRw(IORING_OP_READ, s, r, 0, 8, 0);
        sqeSetBufGroup(s, bgid);
      }, 2, IOSQE_BUFFER_SELECT);
      expect(got.res).toBe(6);
      const id = cqeBufferId(got);
      expect(id).toBeGreaterThanOrEqual(10);
      expect(id).toBeLessThanOrEqual(13);
      expect(pool.subarray((id! - 10) * 8, (id! - 10) * 8 + 6).toString()).toBe('picked');
      expect(cqeBufferId({ flags: 0 })).toBeUndefined();
    });
  });
});

describe('SQE and CQE helpers', () => {
  it.each([0, 1, 2 ** 32, 2 ** 53 - 1, 0n, 2n ** 53n, 2n ** 64n - 1n])('sqeSetData(%s) round-trips through cqeGetData', (ud) => {
    using ring = new IoUring(2);
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetData(sqe, ud);
    ring.submit();
    const cqe = ring.waitCqe();
    const back = cqeGetData(cqe);
    ring.cqeSeen(cqe);
    // Below 2^53 a bigint comes back as the same number.
    expect(back).toBe(typeof ud === 'bigint' && ud < 2n ** 53n ? Number(ud) : ud);
  });

  it('cqeGetData64 reads a number, and refuses one above 2^53 (RangeError)', () => {
    using ring = new IoUring(2);
    queue(ring, prepNop, 2 ** 53 - 1);
    queue(ring, prepNop, 2n ** 60n);
    ring.submit();
    const a = ring.waitCqe();
    expect(cqeGetData64(a)).toBe(2 ** 53 - 1);
    ring.cqeSeen(a);
    const b = ring.waitCqe();
    expect(() => cqeGetData64(b)).toThrow(RangeError);
    expect(b.userDataBig).toBe(2n ** 60n);
    ring.cqeSeen(b);
  });

  it('sqeSetFlags sets sqe->flags, replacing what was there', () => {
    using ring = new IoUring(2);
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetFlags(sqe, IOSQE_IO_LINK | IOSQE_ASYNC);
    expect(sqe.flags).toBe(IOSQE_IO_LINK | IOSQE_ASYNC);
    sqeSetFlags(sqe, IOSQE_IO_DRAIN);
    expect(sqeView(sqe).getUint8(L.flags)).toBe(IOSQE_IO_DRAIN);
  });

  it('sqeSetBufGroup writes buf_group (u16 at 40) and nothing else', () => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    prepNop(sqe);
    sqeSetBufGroup(sqe, 0xbeef);
    expectFields(sqe, { fd: -1, bufIndex: 0xbeef });
  });

  const F = (bits: number) => ({ flags: bits });
  it.each([
    ['cqeHasMore', cqeHasMore, IORING_CQE_F_MORE],
    ['cqeSockNonempty', cqeSockNonempty, IORING_CQE_F_SOCK_NONEMPTY],
    ['cqeIsNotif', cqeIsNotif, IORING_CQE_F_NOTIF],
    ['cqeBufMore', cqeBufMore, IORING_CQE_F_BUF_MORE],
  ] as const)('%s reads its bit alone', (_, fn, bit) => {
    expect(fn(F(bit))).toBe(true);
    expect(fn(F(0))).toBe(false);
    expect(fn(F(~bit >>> 0))).toBe(false);
    expect(fn(F((0xffff << IORING_CQE_BUFFER_SHIFT) | bit))).toBe(true);
  });

  it('cqeBufferId is the top 16 bits with IORING_CQE_F_BUFFER, undefined without', () => {
    expect(cqeBufferId(F((0xffff << IORING_CQE_BUFFER_SHIFT) | IORING_CQE_F_BUFFER))).toBe(0xffff);
    expect(cqeBufferId(F((5 << IORING_CQE_BUFFER_SHIFT) | IORING_CQE_F_BUFFER | IORING_CQE_F_MORE))).toBe(5);
    expect(cqeBufferId(F(IORING_CQE_F_BUFFER))).toBe(0);
    expect(cqeBufferId(F(5 << IORING_CQE_BUFFER_SHIFT))).toBeUndefined();
  });
});
