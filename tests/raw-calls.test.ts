// The raw calls liburing's own tests are written with: ring.enter
// (io_uring_enter2), registerBufRing (io_uring_register_buf_ring, beside
// setupBufRing) and ring.registerRegion (io_uring_register_region). Each
// passes its arguments through, returns the kernel's result or throws its
// errno, and keeps the memory it hands the kernel for as long as the kernel
// may use it.

import { describe, expect, it } from 'vitest';
import {
  ERRNO, IoUringError, allocAligned, bufferAddress, layout, prepNop, prepRw, registerBufRing, unregisterBufRing,
  IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUFFER, IORING_ENTER_EXT_ARG, IORING_ENTER_EXT_ARG_REG, IORING_ENTER_GETEVENTS,
  IORING_MEM_REGION_REG_WAIT_ARG, IORING_MEM_REGION_TYPE_USER, IORING_OP_READ, IORING_REG_WAIT_TS, IORING_SETUP_R_DISABLED,
  IOSQE_BUFFER_SELECT, type IoUring,
} from '../lib/index.ts';
import * as fs from 'node:fs';
import { forceGc, ringFixtures, ringUnavailable, ioErr } from './helpers.ts';

const { EBUSY, EEXIST, EINVAL, ENOENT, ETIME } = ERRNO;
const { open, pipe } = ringFixtures();
const noRing = ringUnavailable();
const skipped = noRing ? ` (skipped: ${noRing})` : '';

/** struct io_uring_getevents_arg waiting at most `ms`, with the timespec it points at. */
function waitArg(ms: number): { arg: Uint8Array; ts: Uint8Array } {
  const G = layout.io_uring_getevents_arg;
  const T = layout.__kernel_timespec;
  const ts = new Uint8Array(T.sizeof);
  new DataView(ts.buffer).setBigInt64(T.tv_nsec, BigInt(ms * 1e6), true);
  const arg = new Uint8Array(G.sizeof);
  new DataView(arg.buffer).setBigUint64(G.ts, BigInt(bufferAddress(ts, ts.length)), true);
  return { arg, ts };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.skipIf(noRing)(`ring.enter: io_uring_enter2, one system call${skipped}`, () => {
  it('returns the kernel\'s count, and publishes nothing itself', () => {
    const ring = open();
    expect(ring.enter(0, 0, 0)).toBe(0);
    prepNop(ring.getSqe()!);
    // The NOP is prepared but not in the SQ ring yet: nothing to submit.
    expect(ring.enter(1, 0, 0)).toBe(0);
    expect(ring.cqReady()).toBe(0);
    expect(ring.submit()).toBe(1);
    expect(ring.enter(0, 1, IORING_ENTER_GETEVENTS)).toBe(0);
    expect(ring.cqReady()).toBe(1);
  });

  for (const registerRingFd of [true, false]) {
    it(`passes arg and argSize (EXT_ARG timeout: ETIME; a wrong size: EINVAL), ring fd ${registerRingFd ? '' : 'not '}registered`, () => {
      const ring = open(8, { registerRingFd });
      expect(ring.registeredRingIndex >= 0).toBe(registerRingFd);
      const { arg, ts } = waitArg(1);
      // argSize defaults to the view's length, sizeof(struct io_uring_getevents_arg).
      const err = ioErr(() => ring.enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg));
      expect(err).toMatchObject({ code: 'ETIME', errno: -ETIME, syscall: 'io_uring_enter' });
      expect(ioErr(() => ring.enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, arg, 8)).errno).toBe(-EINVAL);
      void ts;
    });
  }

  it('throws the kernel\'s refusal of unknown flags', () => {
    const ring = open();
    expect(ioErr(() => ring.enter(0, 0, 0x80000000))).toMatchObject({ code: 'EINVAL', syscall: 'io_uring_enter' });
  });

  it('refuses counts and flags that are not u32, and a closed ring', () => {
    const ring = open();
    // A number the field can't hold is a RangeError; what is not a number at
    // all, a TypeError (lib/check.ts).
    for (const [bad, type] of [[-1, RangeError], [1.5, RangeError], [2 ** 32, RangeError], [Number.NaN, RangeError], ['1', TypeError]] as const) {
      expect(() => ring.enter(bad as number, 0, 0)).toThrow(type);
      expect(() => ring.enter(0, bad as number, 0)).toThrow(type);
      expect(() => ring.enter(0, 0, bad as number)).toThrow(type);
      expect(() => ring.enter(0, 0, 0, null, bad as number)).toThrow(type);
    }
    expect(() => ring.enter(0, 0, 0, -1)).toThrow(RangeError);
    ring.close();
    expect(ioErr(() => ring.enter(0, 0, 0)).code).toBe('EBADF');
  });
});

describe.skipIf(noRing)(`registerBufRing: io_uring_register_buf_ring${skipped}`, () => {
  const B = layout.io_uring_buf;

  /** Ring memory (a page: room for 256 entries) with one buffer of `len` bytes, bid 7, published. */
  function oneBuffer(len: number): { mem: Buffer; buf: Buffer } {
    const mem = allocAligned(4096);
    const buf = Buffer.alloc(len);
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.length);
    dv.setBigUint64(B.addr, BigInt(bufferAddress(buf, len)), true);
    dv.setUint32(B.len, len, true);
    dv.setUint16(B.bid, 7, true);
    dv.setUint16(layout.io_uring_buf_ring.tail, 1, true);
    return { mem, buf };
  }

  function readSelect(ring: IoUring, fd: number, len: number, bgid: number): { res: number; flags: number } {
    const sqe = ring.getSqe()!;
    prepRw(IORING_OP_READ, sqe, fd, 0, len, -1);
    sqe.flags = IOSQE_BUFFER_SELECT;
    sqe.bufGroup = bgid;
    ring.submitAndWait(1);
    const cqe = ring.waitCqe();
    const out = { res: cqe.res, flags: cqe.flags };
    ring.cqeSeen(cqe);
    return out;
  }

  it('registers the caller\'s ring, from which the kernel takes buffers; unregisterBufRing undoes it', () => {
    const ring = open();
    const { mem, buf } = oneBuffer(16);
    expect(registerBufRing(ring, { ringAddr: mem, ringEntries: 8, bgid: 3 })).toBe(0);
    expect(ioErr(() => registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: 8, bgid: 3 })).errno).toBe(-EEXIST);
    const [r, w] = pipe();
    fs.writeSync(w, 'hello');
    const d = readSelect(ring, r, 16, 3);
    expect(d.res).toBe(5);
    expect(d.flags & IORING_CQE_F_BUFFER).toBe(IORING_CQE_F_BUFFER);
    expect(d.flags >>> IORING_CQE_BUFFER_SHIFT).toBe(7);
    expect(buf.subarray(0, 5).toString()).toBe('hello');
    unregisterBufRing(ring, 3);
    expect(ioErr(() => unregisterBufRing(ring, 3)).errno).toBe(-ENOENT);
  });

  it('refuses a view shorter than ringEntries entries, and fields that do not fit, before registering', () => {
    const ring = open();
    const short = allocAligned(8 * B.sizeof - 1);
    expect(() => registerBufRing(ring, { ringAddr: short, ringEntries: 8, bgid: 1 })).toThrow(RangeError);
    expect(() => registerBufRing(ring, { ringAddr: allocAligned(4096).byteOffset + 0x10000, ringEntries: 8, bgid: 1 })).toThrow(TypeError); // an address
    expect(() => registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: 8, bgid: 0x10000 })).toThrow(RangeError);
    expect(() => registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: 8, bgid: 1 }, 0x10000)).toThrow(RangeError);
    expect(() => registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: -1, bgid: 1 })).toThrow(RangeError);
    // Nothing was registered: bgid 1 is free.
    expect(registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: 8, bgid: 1 })).toBe(0);
  });

  it('passes what the kernel judges to the kernel (entries not a power of two: EINVAL)', () => {
    const ring = open();
    expect(ioErr(() => registerBufRing(ring, { ringAddr: allocAligned(4096), ringEntries: 6, bgid: 2 })).errno).toBe(-EINVAL);
  });

  it('keeps a view it was given until unregisterBufRing', async () => {
    const ring = open();
    let mem: Buffer | null = allocAligned(4096);
    const ref = new WeakRef(mem);
    registerBufRing(ring, { ringAddr: mem, ringEntries: 8, bgid: 4 });
    mem = null;
    await turn();
    forceGc();
    expect(ref.deref()).toBeDefined();
    await turn();
    unregisterBufRing(ring, 4);
    await turn();
    forceGc();
    expect(ref.deref()).toBeUndefined();
  });
});

describe.skipIf(noRing)(`ring.registerRegion: io_uring_register_region${skipped}`, () => {
  it('registers a kernel-allocated region and hands back its mmap offset; a second is refused', () => {
    const ring = open();
    const reg = { regionUptr: { size: 4096, mmapOffset: -1 } };
    expect(ring.registerRegion(reg)).toBe(0);
    // IORING_MAP_OFF_PARAM_REGION, io_uring/memmap.h
    expect(reg.regionUptr.mmapOffset).toBe(0x20000000);
    expect(ioErr(() => ring.registerRegion({ regionUptr: { size: 4096 } })).errno).toBe(-EBUSY);
  });

  it('a wait region of the caller\'s memory, waited on with enter(EXT_ARG_REG): liburing\'s pattern', async () => {
    const ring = open(8, { flags: IORING_SETUP_R_DISABLED });
    let mem: Buffer | null = allocAligned(4096);
    const ref = new WeakRef(mem);
    const W = layout.io_uring_reg_wait;
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.length);
    // Slot 1: a 1 ms timeout.
    dv.setBigInt64(W.sizeof + W.ts + layout.__kernel_timespec.tv_nsec, 1_000_000n, true);
    dv.setUint32(W.sizeof + W.flags, IORING_REG_WAIT_TS, true);
    const r = ring.registerRegion({
      regionUptr: { userAddr: mem, size: mem.length, flags: IORING_MEM_REGION_TYPE_USER },
      flags: IORING_MEM_REGION_REG_WAIT_ARG,
    });
    expect(r).toBe(0);
    ring.enableRings();
    const flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG;
    expect(ioErr(() => ring.enter(0, 1, flags, W.sizeof, W.sizeof)).errno).toBe(-ETIME);
    mem = null;
    // The kernel pins the pages until the ring goes: the ring keeps them.
    await turn();
    forceGc();
    expect(ref.deref()).toBeDefined();
  });

  it('refuses a view shorter than size, and fields that do not fit, before registering', () => {
    const ring = open();
    expect(() => ring.registerRegion({ regionUptr: { userAddr: allocAligned(4095), size: 4096, flags: IORING_MEM_REGION_TYPE_USER } })).toThrow(RangeError);
    expect(() => ring.registerRegion({ regionUptr: { userAddr: 0x7f0000000000, size: 4096, flags: IORING_MEM_REGION_TYPE_USER } })).toThrow(TypeError); // an address
    expect(() => ring.registerRegion({ regionUptr: { size: -1 } })).toThrow(RangeError);
    expect(() => ring.registerRegion({ regionUptr: { size: 4096, flags: 2 ** 32 } })).toThrow(RangeError);
    expect(ring.registerRegion({ regionUptr: { size: 4096 } })).toBe(0);
  });
});
