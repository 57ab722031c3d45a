/**
 * Tests for lib/ring/sqe.ts (the Sqe accessors) and user_data's round trip,
 * for both places ring memory can live: a SharedArrayBuffer handed over with
 * IORING_SETUP_NO_MMAP ('shared') and the kernel's own pages mapped ('mmap').
 * A test that needs something the kernel refuses skips with the kernel's
 * answer in its title.
 */
import { describe, expect, it } from 'vitest';
import { IoUring, layout, type Sqe, prepNop } from '../lib/index.ts';
import { eachMemory, queue, queueNops, runOne, sqeView } from './helpers.ts';

eachMemory((opts) => {
  // ---------------------------------------------------------------- user_data

  describe('user_data', () => {
    it.each([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1])('%d round-trips exactly', (ud) => {
      using ring = new IoUring(2, opts());
      expect(runOne(ring, prepNop, ud)).toEqual({ res: 0, flags: 0, userData: ud });
    });

    it.each([2n ** 64n - 1n, 2n ** 63n + 5n, 2n ** 53n])('%s round-trips through userDataBig; userData throws RangeError', (ud) => {
      using ring = new IoUring(2, opts());
      const sqe = ring.getSqe()!;
      prepNop(sqe);
      sqe.userDataBig = ud;
      expect(sqe.userDataBig).toBe(ud);
      expect(() => sqe.userData).toThrow(RangeError);
      ring.submit();
      const cqe = ring.waitCqe();
      expect(cqe.userDataBig).toBe(ud);
      expect(() => cqe.userData).toThrow(RangeError);
      expect(cqe.toJSON()).toEqual({ userData: ud, res: 0, flags: 0 });
      ring.cqeSeen(cqe);
    });

    it('a number user_data reads back through userDataBig too', () => {
      using ring = new IoUring(2, opts());
      queueNops(ring, [2 ** 53 - 1]);
      ring.submit();
      expect(ring.waitCqe().userDataBig).toBe(2n ** 53n - 1n);
    });

    it.each([2 ** 53, -1, 1.5, NaN, Infinity, 2 ** 64])('userData = %d throws TypeError and leaves user_data unchanged', (bad) => {
      using ring = new IoUring(2, opts());
      const sqe = queue(ring, prepNop, 7);
      expect(() => { sqe.userData = bad; }).toThrow(TypeError);
      expect(sqe.userData).toBe(7);
    });
  });

  // ------------------------------------------------------------ Sqe accessors

  describe('Sqe accessors', () => {
    const L = layout.io_uring_sqe;
    interface Field {
      name: string;
      at: number; // byte offset
      size: number;
      set: (s: Sqe) => void;
      read: (dv: DataView, at: number) => unknown; // the bytes, decoded
      bytes: unknown; // what the bytes should say
      get: (s: Sqe) => unknown;
      value: unknown; // what the getter should say
    }
    const u8 = (dv: DataView, at: number) => dv.getUint8(at);
    const u16 = (dv: DataView, at: number) => dv.getUint16(at, true);
    const u32 = (dv: DataView, at: number) => dv.getUint32(at, true);
    const s32 = (dv: DataView, at: number) => dv.getInt32(at, true);
    const u64 = (dv: DataView, at: number) => dv.getBigUint64(at, true);
    const ALL_ONES = 2n ** 64n - 1n;
    const fields: Field[] = [
      { name: 'opcode', at: L.opcode, size: 1, set: (s) => { s.opcode = 0xab; }, read: u8, bytes: 0xab, get: (s) => s.opcode, value: 0xab },
      { name: 'flags', at: L.flags, size: 1, set: (s) => { s.flags = 0x5a; }, read: u8, bytes: 0x5a, get: (s) => s.flags, value: 0x5a },
      { name: 'ioprio', at: L.ioprio, size: 2, set: (s) => { s.ioprio = 0xbeef; }, read: u16, bytes: 0xbeef, get: (s) => s.ioprio, value: 0xbeef },
      { name: 'fd', at: L.fd, size: 4, set: (s) => { s.fd = -5; }, read: s32, bytes: -5, get: (s) => s.fd, value: -5 },
      { name: 'off', at: L.off, size: 8, set: (s) => { s.off = 2 ** 40 + 6; }, read: u64, bytes: 2n ** 40n + 6n, get: (s) => s.off, value: 2 ** 40 + 6 },
      { name: 'off = -1 (all ones)', at: L.off, size: 8, set: (s) => { s.off = -1; }, read: u64, bytes: ALL_ONES, get: (s) => [s.off, s.offBig], value: [-1, ALL_ONES] },
      { name: 'offBig', at: L.off, size: 8, set: (s) => { s.offBig = 2n ** 63n + 5n; }, read: u64, bytes: 2n ** 63n + 5n, get: (s) => s.offBig, value: 2n ** 63n + 5n },
      { name: 'addr', at: L.addr, size: 8, set: (s) => { s.addr = 2 ** 45 + 7; }, read: u64, bytes: 2n ** 45n + 7n, get: (s) => s.addr, value: 2 ** 45 + 7 },
      { name: 'addrBig', at: L.addr, size: 8, set: (s) => { s.addrBig = ALL_ONES - 1n; }, read: u64, bytes: ALL_ONES - 1n, get: (s) => s.addrBig, value: ALL_ONES - 1n },
      { name: 'len', at: L.len, size: 4, set: (s) => { s.len = 0xdeadbeef; }, read: u32, bytes: 0xdeadbeef, get: (s) => s.len, value: 0xdeadbeef },
      { name: 'rwFlags', at: L.rw_flags, size: 4, set: (s) => { s.rwFlags = 0x80000001; }, read: u32, bytes: 0x80000001, get: (s) => s.rwFlags, value: 0x80000001 },
      { name: 'userData', at: L.user_data, size: 8, set: (s) => { s.userData = 2 ** 52 + 9; }, read: u64, bytes: 2n ** 52n + 9n, get: (s) => s.userData, value: 2 ** 52 + 9 },
      { name: 'userDataBig', at: L.user_data, size: 8, set: (s) => { s.userDataBig = ALL_ONES; }, read: u64, bytes: ALL_ONES, get: (s) => s.userDataBig, value: ALL_ONES },
      { name: 'bufIndex', at: L.buf_index, size: 2, set: (s) => { s.bufIndex = 0xfedc; }, read: u16, bytes: 0xfedc, get: (s) => s.bufIndex, value: 0xfedc },
      { name: 'personality', at: L.personality, size: 2, set: (s) => { s.personality = 0x1234; }, read: u16, bytes: 0x1234, get: (s) => s.personality, value: 0x1234 },
      { name: 'spliceFdIn', at: L.splice_fd_in, size: 4, set: (s) => { s.spliceFdIn = -3; }, read: s32, bytes: -3, get: (s) => s.spliceFdIn, value: -3 },
      { name: 'addr3', at: L.addr3, size: 8, set: (s) => { s.addr3 = 2 ** 33 + 1; }, read: u64, bytes: 2n ** 33n + 1n, get: (s) => s.addr3, value: 2 ** 33 + 1 },
      { name: 'pad2', at: L.__pad2, size: 8, set: (s) => { s.pad2 = 2 ** 34 + 3; }, read: u64, bytes: 2n ** 34n + 3n, get: (s) => s.pad2, value: 2 ** 34 + 3 },
    ];

    it.each(fields)('$name writes its bytes and no others', (f) => {
      using ring = new IoUring(2, opts());
      ring.getSqe(); // use the second slot, so an accessor that ignores the slot's offset shows
      const sqe = ring.getSqe()!;
      expect(sqe.w * 4).toBe(64);
      const dv = sqeView(sqe);
      const before = sqe.u8.slice(); // the whole SQE array
      f.set(sqe);
      expect(f.read(dv, f.at)).toEqual(f.bytes);
      expect(f.get(sqe)).toEqual(f.value);
      const base = sqe.w * 4;
      for (let i = 0; i < sqe.u8.length; i++) {
        if (i >= base + f.at && i < base + f.at + f.size) continue;
        if (sqe.u8[i] !== before[i]) expect.fail(`byte ${i - base} of the entry (${i} of the array) changed`);
      }
    });

    it('off = -2 and 2^53-1 encode as u64 two\'s complement and read back', () => {
      using ring = new IoUring(2, opts());
      const sqe = ring.getSqe()!;
      const dv = sqeView(sqe);
      sqe.off = -2;
      expect(dv.getBigUint64(L.off, true)).toBe(2n ** 64n - 2n);
      expect(sqe.off).toBe(-2);
      sqe.off = 2 ** 53 - 1;
      expect(dv.getBigUint64(L.off, true)).toBe(2n ** 53n - 1n);
      expect(sqe.off).toBe(2 ** 53 - 1);
    });
  });
});
