// Provided-buffer rings (IORING_REGISTER_PBUF_RING): a ring of `struct
// io_uring_buf` shared with the kernel, from which an operation with
// IOSQE_BUFFER_SELECT and `buf_group` = the ring's bgid takes a buffer when
// it has data, reporting the buffer id in the CQE (IORING_CQE_F_BUFFER, id in
// the top 16 bits of cqe.flags). The application adds buffers at the tail;
// the kernel consumes them at its head. liburing's io_uring_setup_buf_ring
// and the io_uring_buf_ring_* inline helpers, named without `io_uring_`.
//
// Memory: the ring itself is page-aligned JS memory the kernel pins, or with
// IOU_PBUF_RING_MMAP kernel memory mapped from the ring fd; either way the
// BufRing owns it. Each buffer added is kept by the BufRing under its buffer
// id until that id is given another buffer; and the BufRing is kept, per
// ring, until freeBufRing() or until the ring is collected.
//
// Ordering: the kernel reads the tail and then the entries below it, so the
// entry stores must be visible before the new tail: a release store
// (Atomics.store, sequentially consistent, is at least that). Only this side
// writes the tail, so reading it back needs no ordering.

import { checkIntRange, checkU16, shown } from '../check.ts';
import { RingLocal } from '../ring/held.ts';
import { mapShared, retireMapping, unmapWhenCollected } from '../ring/mapping.ts';
import * as ffi from '../../ffi/index.ts';
import { IoUringError } from '../errors.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { addressFor, allocAligned, byteLengthOf } from '../ring/memory.ts';
import { inWorker, WORKER_RING_NOTE } from '../ring/thread-exit.ts';
import {
  IORING_OFF_PBUF_RING, IORING_OFF_PBUF_SHIFT, IORING_REGISTER_PBUF_RING, IORING_REGISTER_PBUF_STATUS,
  IORING_UNREGISTER_PBUF_RING, IOU_PBUF_RING_MMAP,
} from '../uapi/constants.ts';
import { io_uring_buf, io_uring_buf_reg, io_uring_buf_ring, io_uring_buf_status } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

const PAGE = 4096;

const TWO32 = 4294967296;
// The tail: a u16 at byte 14 of the ring (bufs[0].resv), as a u16 index.
const TAIL = io_uring_buf_ring.tail >>> 1;
// io_uring_buf fields as word / half-word indices within an entry.
const W_ADDR = io_uring_buf.addr >>> 2;
const W_LEN = io_uring_buf.len >>> 2;
const H_BID = io_uring_buf.bid >>> 1;
const BUF_WORDS = io_uring_buf.sizeof >>> 2;
const BUF_HALVES = io_uring_buf.sizeof >>> 1;

/** A provided-buffer ring registered with a ring (liburing's `struct io_uring_buf_ring *`). */
export class BufRing {
  /** The ring it is registered with. */
  readonly ring: IoUring;
  /** Its buffer group id: what an entry's `buf_group` names. */
  readonly bgid: number;
  /** Its size in entries (a power of two). */
  readonly entries: number;
  /** entries - 1: the mask bufRingAdd takes. */
  readonly mask: number;
  /** IOU_PBUF_RING_* flags it was registered with. */
  readonly flags: number;
  /** @internal the ring memory as 32-bit words */
  readonly u32: Uint32Array;
  /** @internal the ring memory as 16-bit words (the tail is one) */
  readonly u16: Uint16Array;
  /** @internal buffers added, by buffer id */
  readonly bufs: (ArrayBufferView | undefined)[] = [];
  /** @internal the JS memory of the ring (null with IOU_PBUF_RING_MMAP) */
  readonly memory: Buffer | null;
  /** @internal the kernel mapping (IOU_PBUF_RING_MMAP only) */
  readonly map: { addr: number; len: number } | null;
  /** True once unregistered (freeBufRing): adding to it then throws. */
  freed = false;

  /** @internal made by setupBufRing */
  constructor(ring: IoUring, bgid: number, entries: number, flags: number, mem: ArrayBufferLike, offset: number, memory: Buffer | null, map: { addr: number; len: number } | null) {
    this.ring = ring;
    this.bgid = bgid;
    this.entries = entries;
    this.mask = entries - 1;
    this.flags = flags;
    this.u32 = new Uint32Array(mem, offset, entries * BUF_WORDS);
    this.u16 = new Uint16Array(mem, offset, entries * BUF_HALVES);
    this.memory = memory;
    this.map = map;
  }

  /** The tail as this side last published it. */
  get tail(): number {
    return this.u16[TAIL]!;
  }
}

// Per ring: its buffer rings by bgid, kept while registered.
const rings = new RingLocal<Map<number, BufRing>>('buffer rings');

/**
 * io_uring_setup_buf_ring(3): makes a buffer ring of `nentries` entries (a
 * power of two, at most 32768), registers it as buffer group `bgid`, and
 * returns it empty (tail 0). `flags`: IOU_PBUF_RING_MMAP has the kernel
 * allocate the ring, which is then mapped from the ring fd;
 * IOU_PBUF_RING_INC lets a request consume part of a buffer and leave the
 * rest in the ring (its CQE then has IORING_CQE_F_BUF_MORE; the next data
 * goes after it in the same buffer). EEXIST when the group is taken.
 * Throws IoUringError (syscall 'io_uring_register', or 'mmap').
 *
 * Lifetime: the BufRing owns the ring memory, and is kept referenced until
 * freeBufRing() or until the ring is collected.
 *
 * Differs from liburing: throws an IoUringError where liburing returns NULL
 * and sets *err.
 * @since Linux 5.19 (IOU_PBUF_RING_MMAP 6.4, IOU_PBUF_RING_INC 6.12)
 * @see io_uring_setup_buf_ring(3)
 */
export function setupBufRing(ring: IoUring, nentries: number, bgid: number, flags = 0): BufRing {
  checkIntRange(nentries, 1, 32768, 'nentries');
  if ((nentries & (nentries - 1)) !== 0) throw new RangeError(`nentries must be a power of two (got ${nentries})`);
  checkU16(bgid, 'bgid');
  checkU16(flags, 'flags');
  const bytes = nentries * io_uring_buf.sizeof;
  const reg = new Uint8Array(new ArrayBuffer(io_uring_buf_reg.sizeof));
  const dv = new DataView(reg.buffer);
  dv.setUint32(io_uring_buf_reg.ring_entries, nentries, true);
  dv.setUint16(io_uring_buf_reg.bgid, bgid, true);
  dv.setUint16(io_uring_buf_reg.flags, flags, true);
  let br: BufRing;
  if (flags & IOU_PBUF_RING_MMAP) {
    // The mapping would hold the ring file, and the ring, past its fd (thread-exit.ts).
    if (inWorker) throw new RangeError(`IOU_PBUF_RING_MMAP is refused: ${WORKER_RING_NOTE}`);
    if (ring.fd < 0) throw new TypeError('IOU_PBUF_RING_MMAP maps the ring fd, which an IORING_SETUP_REGISTERED_FD_ONLY ring does not have');
    registerCall(ring, IORING_REGISTER_PBUF_RING, reg, 1, 'setup_buf_ring');
    // The kernel's ring is at IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT
    // in the ring fd's mmap space (an offset above 2^31: added, not OR-ed).
    const off = IORING_OFF_PBUF_RING + bgid * 2 ** IORING_OFF_PBUF_SHIFT;
    const addr = mapShared(ring.fd, bytes, off);
    if (addr < 0) {
      unregister(ring, bgid);
      throw new IoUringError(addr, 'mmap', `buffer ring ${bgid} at 0x${off.toString(16)}`);
    }
    const map = { addr, len: bytes };
    const mem = ffi.view(addr, bytes);
    unmapWhenCollected(mem, map);
    br = new BufRing(ring, bgid, nentries, flags, mem, 0, null, map);
  } else {
    // The kernel pins whole pages from a page-aligned address.
    const memory = allocAligned(Math.ceil(bytes / PAGE) * PAGE, PAGE);
    dv.setBigUint64(io_uring_buf_reg.ring_addr, BigInt(addressFor(memory, memory.length, 'ring memory')), true);
    registerCall(ring, IORING_REGISTER_PBUF_RING, reg, 1, 'setup_buf_ring', [memory]);
    br = new BufRing(ring, bgid, nentries, flags, memory.buffer, memory.byteOffset, memory, null);
  }
  bufRingInit(br);
  let byGroup = rings.get(ring);
  if (byGroup === undefined) rings.set(ring, (byGroup = new Map()));
  byGroup.set(bgid, br);
  return br;
}

function unregister(ring: IoUring, bgid: number): void {
  const reg = new Uint8Array(new ArrayBuffer(io_uring_buf_reg.sizeof));
  new DataView(reg.buffer).setUint16(io_uring_buf_reg.bgid, bgid, true);
  registerCall(ring, IORING_UNREGISTER_PBUF_RING, reg, 1, 'unregister_buf_ring');
}

function retire(br: BufRing): void {
  br.freed = true;
  const byGroup = rings.get(br.ring);
  if (byGroup?.get(br.bgid) === br) byGroup.delete(br.bgid);
  if (br.map !== null) {
    retireMapping(br.map);
  }
}

/**
 * io_uring_unregister_buf_ring(3): unregisters buffer group `bgid` (ENOENT
 * when there is none). A BufRing made for it by setupBufRing is freed too,
 * and memory registerBufRing kept for it let go.
 * @since Linux 5.19
 * @see io_uring_unregister_buf_ring(3)
 */
export function unregisterBufRing(ring: IoUring, bgid: number): void {
  checkU16(bgid, 'bgid');
  unregister(ring, bgid);
  rawRings.get(ring)?.delete(bgid);
  const br = rings.get(ring)?.get(bgid);
  if (br !== undefined) retire(br);
}

/**
 * io_uring_free_buf_ring(3): unregisters `br` from `ring` and lets its
 * memory go. Do it only when no operation that may select from the group is
 * in flight: a buffer the kernel took before may still be written.
 *
 * Differs from liburing: takes no nentries and bgid: the BufRing knows them.
 * @since Linux 5.19
 * @see io_uring_free_buf_ring(3)
 */
export function freeBufRing(ring: IoUring, br: BufRing): void {
  if (!(br instanceof BufRing)) throw new TypeError('br must be a BufRing from setupBufRing');
  if (br.ring !== ring) throw new TypeError('br is registered with another ring');
  if (br.freed) throw new TypeError(`buffer ring ${br.bgid} is already freed`);
  unregister(ring, br.bgid);
  retire(br);
}

/**
 * io_uring_buf_ring_mask(3): the mask for a ring of `ringEntries` entries.
 * @see io_uring_buf_ring_mask(3)
 */
export function bufRingMask(ringEntries: number): number {
  return ringEntries - 1;
}

/**
 * io_uring_buf_ring_init(3): resets the tail to 0 (setupBufRing does this).
 * @see io_uring_buf_ring_init(3)
 */
export function bufRingInit(br: BufRing): void {
  Atomics.store(br.u16, TAIL, 0); // release, like every tail store
}

/**
 * io_uring_buf_ring_add(3): writes `buf` (all of it) with buffer id `bid`
 * into the entry `offset` places past the tail. Not visible to the kernel
 * until bufRingAdvance(); add several, then advance once. `mask` must be
 * the ring's (the default). Allocates nothing.
 *
 * Lifetime: `buf` is kept referenced by `br` under `bid` until `bid` is
 * given another buffer or the BufRing is let go; reuse a bid only once its
 * buffer came back in a CQE.
 *
 * Differs from liburing: takes the buffer as one view where liburing takes its
 * address and length.
 * @see io_uring_buf_ring_add(3)
 */
export function bufRingAdd(br: BufRing, buf: ArrayBufferView, bid: number, mask: number = br.mask, offset = 0): void {
  if (br.freed) throw new TypeError(`buffer ring ${br.bgid} is freed`);
  const addr = addressFor(buf, 0, 'buf');
  const len = byteLengthOf(buf);
  if ((bid & 0xffff) !== bid) throw new RangeError(`bid must be an integer from 0 to 65535 (got ${bid})`);
  if ((mask >>> 0) !== mask || (mask & ~br.mask) !== 0) throw new RangeError(`mask must be the ring's mask ${br.mask} (got ${mask})`);
  if ((offset >>> 0) !== offset) throw new RangeError(`offset must be a non-negative integer (got ${offset})`);
  if (len > 0xffffffff) throw new RangeError(`buf holds ${len} bytes; a provided buffer holds at most 2^32-1`);
  const i = (br.u16[TAIL]! + offset) & mask;
  const u = br.u32;
  const w = i * BUF_WORDS;
  u[w + W_ADDR] = addr >>> 0; // addr (u64)
  u[w + W_ADDR + 1] = (addr / TWO32) >>> 0;
  u[w + W_LEN] = len; // len
  br.u16[i * BUF_HALVES + H_BID] = bid; // bid; resv (the tail, in entry 0) untouched
  br.bufs[bid] = buf;
}

/**
 * io_uring_buf_ring_advance(3): publishes the `count` entries added since
 * the last advance by moving the tail (a release store).
 * @see io_uring_buf_ring_advance(3)
 */
export function bufRingAdvance(br: BufRing, count: number): void {
  if ((count >>> 0) !== count) throw new RangeError(`count must be a non-negative integer (got ${count})`);
  // Release: the entries written by bufRingAdd before the tail that covers them.
  Atomics.store(br.u16, TAIL, (br.u16[TAIL]! + count) & 0xffff);
}

/**
 * io_uring_buf_ring_cq_advance(3): bufRingAdvance(br, count) and
 * ring.cqAdvance(count) together, for a loop that hands each CQE's buffer
 * back as it consumes the CQE.
 * @see io_uring_buf_ring_cq_advance(3)
 */
export function bufRingCqAdvance(ring: IoUring, br: BufRing, count: number): void {
  bufRingAdvance(br, count);
  ring.cqAdvance(count);
}

/**
 * io_uring_buf_ring_head(3): the kernel's head of buffer group `bufGroup`
 * (IORING_REGISTER_PBUF_STATUS): the next entry it will take. ENOENT when
 * there is no such group; EINVAL for a classic provided-buffer group.
 *
 * Differs from liburing: returns the head where liburing writes it to *head
 * and returns 0 or -errno.
 * @since Linux 6.8
 * @see io_uring_buf_ring_head(3)
 */
export function bufRingHead(ring: IoUring, bufGroup: number): number {
  checkU16(bufGroup, 'bufGroup');
  const st = new Uint8Array(new ArrayBuffer(io_uring_buf_status.sizeof));
  const dv = new DataView(st.buffer);
  dv.setUint32(io_uring_buf_status.buf_group, bufGroup, true);
  registerCall(ring, IORING_REGISTER_PBUF_STATUS, st, 1, 'buf_ring_head');
  return dv.getUint32(io_uring_buf_status.head, true);
}

/**
 * io_uring_buf_ring_available(3): how many published buffers the kernel has
 * not taken yet (tail - head). With IOU_PBUF_RING_INC, a buffer partly
 * consumed still counts.
 * @since Linux 6.8
 * @see io_uring_buf_ring_available(3)
 */
export function bufRingAvailable(ring: IoUring, br: BufRing, bgid: number = br.bgid): number {
  return (br.u16[TAIL]! - bufRingHead(ring, bgid)) & 0xffff;
}

/** struct io_uring_buf_reg, for registerBufRing (fields camelCased; `resv` left 0). */
export interface BufReg {
  /**
   * `ring_addr`: the ring's memory, `ringEntries` struct io_uring_buf
   * (16 bytes each) from a page-aligned address, as a view; 0 (the
   * default) with IOU_PBUF_RING_MMAP, where the kernel allocates it. A raw
   * address is refused: the library could not keep that memory alive.
   */
  ringAddr?: ArrayBufferView | number;
  /** `ring_entries`: a power of two, at most 32768. */
  ringEntries: number;
  /** `bgid`: the buffer group id. */
  bgid: number;
  /** `flags`: IOU_PBUF_RING_*. Default 0. */
  flags?: number;
  /** `min_left`. Default 0. */
  minLeft?: number;
}

// Per ring: memory registerBufRing was given, by bgid, kept while registered.
const rawRings = new RingLocal<Map<number, ArrayBufferView>>('registered buffer ring memory');

/**
 * io_uring_register_buf_ring(3): registers the buffer ring `reg` describes
 * (IORING_REGISTER_PBUF_RING), with `flags` OR-ed into its flags, and does
 * nothing else: the tail and the entries are the caller's to write, and
 * with IOU_PBUF_RING_MMAP the mapping too. setupBufRing does all of that
 * and returns a BufRing. Returns the kernel's result (0).
 *
 * Lifetime: a view given as `ringAddr` is kept by the ring until
 * unregisterBufRing(ring, bgid) or until the ring is collected, like a
 * BufRing's memory.
 *
 * Differs from liburing: `reg` is an object, not the struct's bytes (its
 * ring_addr a view, not an address), and is not changed (liburing ORs
 * `flags` into reg->flags); throws an IoUringError where liburing returns
 * -errno.
 * @since Linux 5.19
 * @see io_uring_register_buf_ring(3)
 */
export function registerBufRing(ring: IoUring, reg: BufReg, flags = 0): number {
  checkIntRange(reg.ringEntries, 0, 0xffffffff, 'reg.ringEntries');
  checkIntRange(reg.bgid, 0, 0xffff, 'reg.bgid');
  checkIntRange(reg.flags ?? 0, 0, 0xffff, 'reg.flags');
  checkIntRange(flags, 0, 0xffff, 'flags');
  checkIntRange(reg.minLeft ?? 0, 0, 0xffffffff, 'reg.minLeft');
  const at = reg.ringAddr ?? 0;
  let mem: ArrayBufferView | null = null;
  let addr: number;
  if (typeof at === 'number') {
    // Only 0: an address names memory the library can't keep alive while
    // the kernel reads the ring from it and writes where its entries point.
    if (at !== 0) throw new TypeError(`reg.ringAddr must be a view of the ring's memory, or 0 with IOU_PBUF_RING_MMAP (got ${shown(at)}): an address names memory tsuring can't keep alive`);
    addr = 0;
  } else {
    // The kernel reads ringEntries entries from here: they must be in the view.
    addr = addressFor((mem = at), reg.ringEntries * io_uring_buf.sizeof, 'reg.ringAddr');
  }
  const bytes = new Uint8Array(new ArrayBuffer(io_uring_buf_reg.sizeof));
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(io_uring_buf_reg.ring_addr, BigInt(addr), true);
  dv.setUint32(io_uring_buf_reg.ring_entries, reg.ringEntries, true);
  dv.setUint16(io_uring_buf_reg.bgid, reg.bgid, true);
  dv.setUint16(io_uring_buf_reg.flags, (reg.flags ?? 0) | flags, true);
  dv.setUint32(io_uring_buf_reg.min_left, reg.minLeft ?? 0, true);
  const r = registerCall(ring, IORING_REGISTER_PBUF_RING, bytes, 1, 'register_buf_ring', mem === null ? [] : [mem]);
  if (mem !== null) {
    let byGroup = rawRings.get(ring);
    if (byGroup === undefined) rawRings.set(ring, (byGroup = new Map()));
    byGroup.set(reg.bgid, mem);
  }
  return r;
}
