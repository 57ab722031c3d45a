// io_uring_register(2) on the ring itself (liburing's src/register.c, the
// part that changes how the ring is reached or laid out): registering the
// ring fd, enabling a disabled ring, resizing the rings, and the registered
// wait region. Registration of files, buffers and the rest is lib/register/.
// The third of IoUring's layers (see io-uring.ts).

import * as ffi from '../../ffi/index.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError, check } from '../errors.ts';
import {
  IORING_ENTER_EXT_ARG, IORING_ENTER_EXT_ARG_REG, IORING_ENTER_REGISTERED_RING, IORING_FEAT_REG_REG_RING,
  IORING_MEM_REGION_REG_WAIT_ARG, IORING_MEM_REGION_TYPE_USER, IORING_REG_WAIT_TS,
  IORING_REGISTER_ENABLE_RINGS, IORING_REGISTER_MEM_REGION, IORING_REGISTER_RESIZE_RINGS, IORING_REGISTER_RING_FDS,
  IORING_REGISTER_USE_REGISTERED_RING, IORING_SETUP_CQSIZE, IORING_SETUP_REGISTERED_FD_ONLY, IORING_SETUP_R_DISABLED,
  IORING_UNREGISTER_RING_FDS,
} from '../uapi/constants.ts';
import { io_uring_mem_region_reg, io_uring_params, io_uring_reg_wait, io_uring_region_desc } from '../uapi/layout.ts';
import { CompletionQueue } from './cq.ts';
import type { Cqe } from './cqe.ts';
import { retireMappings, type RingAssets } from './lifetime.ts';
import { addressFor, allocAligned } from './memory.ts';
import { checkOptionalU32, checkU32 } from '../check.ts';
import { KERN_MAX_CQ_ENTRIES, KERN_MAX_ENTRIES, roundupPow2 } from './options.ts';
import { allocShared, mapRings, pageRound, type SetupResult } from './setup.ts';
import { inWorker, WORKER_RING_NOTE } from './thread-exit.ts';
import { writeTimespec, type Timeout } from './timespec.ts';

const { EBUSY, EINVAL, EPERM } = ERRNO;

/** struct io_uring_region_desc, for registerRegion (fields camelCased; `__resv` left 0). */
export interface RegionDesc {
  /** `user_addr`: the region's memory (with IORING_MEM_REGION_TYPE_USER), as a view or an address. Default 0. */
  userAddr?: ArrayBufferView | number;
  /** `size` in bytes. */
  size: number;
  /** `flags`: IORING_MEM_REGION_TYPE_*. Default 0. */
  flags?: number;
  /** `id`. Default 0. */
  id?: number;
  /** `mmap_offset`: written by the kernel. */
  mmapOffset?: number;
}

/** struct io_uring_mem_region_reg, for registerRegion. */
export interface MemRegionReg {
  /** `region_uptr`: the region, inline. */
  regionUptr: RegionDesc;
  /** `flags`: IORING_MEM_REGION_REG_*. Default 0. */
  flags?: number;
}

// The held-state key of the memory registerRegion was given.
const REGION = Symbol('registered region');

function regionU32(v: number, what: string): number {
  if (typeof v !== 'number' || (v >>> 0) !== v) throw new RangeError(`${what} must be an integer from 0 to 2^32-1 (got ${typeof v === 'number' ? v : typeof v})`);
  return v;
}

function regionU64(v: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be an integer from 0 to 2^53-1 (got ${typeof v === 'number' ? v : typeof v})`);
  return v;
}

export abstract class RingRegister extends CompletionQueue {
  // IORING_REGISTER_USE_REGISTERED_RING once the ring fd is registered and
  // the kernel takes registered rings for io_uring_register too.
  private registerFlag = 0;
  // False while an IORING_SETUP_R_DISABLED ring waits for enableRings().
  protected enabled: boolean;
  // The ring memory (null: mmapped), where in it the rings start, and the
  // io_uring_params it was laid out by: what share() hands another thread.
  protected sab: SharedArrayBuffer | null;
  protected sabBase: number;
  protected paramsBytes: Uint8Array;
  // IORING_REGISTER_MEM_REGION memory for registered wait arguments.
  protected waitRegion: Uint32Array | null = null;
  private waitSlots = 0;

  protected constructor(made: SetupResult, assets: RingAssets) {
    super(made, assets);
    if ((made.flags & IORING_SETUP_REGISTERED_FD_ONLY) && (this.features & IORING_FEAT_REG_REG_RING)) this.registerFlag = IORING_REGISTER_USE_REGISTERED_RING;
    this.enabled = (made.flags & IORING_SETUP_R_DISABLED) === 0;
    this.sab = made.sab;
    this.sabBase = made.sabBase;
    this.paramsBytes = made.params;
  }

  // Builds the views of the rings from `params` (at setup, and again after a
  // resize), letting go of our mapping of the old ones.
  protected remap(params: Uint8Array, sab: SharedArrayBuffer | null, sabBase: number): void {
    const a = this.assets;
    const layout = mapRings(params, sab, sabBase, this.flags, this.features, a.fd >= 0 ? a.fd : this.enterFd, a);
    if (a.maps.length > 0) retireMappings(a, this.ringU32, this.cqU32, this.sqeU32);
    a.maps = layout.maps;
    this.adopt(layout);
  }

  /**
   * @internal Counts one CQE this ring will get under a user_data (its low
   * and high 32-bit words) that no entry of its own posts: a registered
   * resource's tag. Memory held under the same value stays held until that
   * CQE too has come, so a tag that equals an operation's user_data can't
   * let that operation's buffer go early.
   */
  expectCqe(lo: number, hi: number): void {
    this.keeps.expect(lo, hi);
  }

  /**
   * io_uring_register(2) on this ring: `arg` is a typed array (its memory is
   * passed), an address, or null. Returns the result; throws IoUringError.
   */
  registerRaw(opcode: number, arg: ArrayBufferView | number | null, nrArgs: number): number {
    this.checkOpen();
    if (inWorker && (opcode & ~IORING_REGISTER_USE_REGISTERED_RING) === IORING_REGISTER_RING_FDS) {
      throw new IoUringError(EPERM, 'io_uring_register', 'ring fd', WORKER_RING_NOTE);
    }
    let addr = 0;
    if (typeof arg === 'number') addr = arg;
    else if (arg !== null) addr = addressFor(arg, 0, 'arg');
    const fd = this.registerFlag ? this.enterFd : this.assets.fd;
    const r = ffi.ioUringRegister(fd, opcode | this.registerFlag, addr, nrArgs);
    if (r < 0) throw new IoUringError(r, 'io_uring_register', `opcode ${opcode}`);
    return r;
  }

  /**
   * io_uring_register_ring_fd(3): register the ring fd with the kernel so
   * every enter (and register, with IORING_FEAT_REG_REG_RING) skips the fd
   * lookup (Linux 5.18). Returns the registered index. New rings do this
   * themselves unless made with `registerRingFd: false`. Refused (EPERM) in
   * a worker_thread: the registration holds the ring past the close of its
   * fd when the worker is terminated, and its operations with it.
   */
  registerRingFd(): number {
    this.checkOpen();
    if (inWorker) throw new IoUringError(EPERM, 'io_uring_register', 'ring fd', WORKER_RING_NOTE);
    if (this.enterFlags & IORING_ENTER_REGISTERED_RING) throw new IoUringError(EBUSY, 'io_uring_register', 'the ring fd is already registered');
    const r = this.tryRegisterRingFd();
    if (r < 0) throw new IoUringError(r, 'io_uring_register', 'ring fd');
    return r;
  }

  /** The ring fd's registered index, or -1 when it is not registered. */
  get registeredRingIndex(): number {
    return this.enterFlags & IORING_ENTER_REGISTERED_RING ? this.enterFd : -1;
  }

  // registerRingFd without the checks: the registered index, or -errno.
  protected tryRegisterRingFd(): number {
    const a = this.assets;
    const upd = new Uint32Array(4);
    upd[0] = 0xffffffff; // offset -1: let the kernel pick a slot
    upd[2] = a.fd;
    const r = ffi.ioUringRegister(a.fd, IORING_REGISTER_RING_FDS, ffi.addressOf(upd), 1);
    if (r < 0) return r;
    this.enterFd = upd[0]!;
    a.regIndex = upd[0]!;
    this.enterFlags |= IORING_ENTER_REGISTERED_RING;
    if (this.features & IORING_FEAT_REG_REG_RING) this.registerFlag = IORING_REGISTER_USE_REGISTERED_RING;
    return upd[0]!;
  }

  /** io_uring_unregister_ring_fd(3). */
  unregisterRingFd(): void {
    this.checkOpen();
    const a = this.assets;
    if (!(this.enterFlags & IORING_ENTER_REGISTERED_RING) || a.fd < 0) throw new IoUringError(EINVAL, 'io_uring_register', 'the ring fd is not registered');
    const upd = new Uint32Array(4);
    upd[0] = this.enterFd;
    check(ffi.ioUringRegister(a.fd, IORING_UNREGISTER_RING_FDS, ffi.addressOf(upd), 1), 'io_uring_register', 'ring fd');
    this.enterFd = a.fd;
    a.regIndex = -1;
    this.enterFlags &= ~IORING_ENTER_REGISTERED_RING;
    this.registerFlag = 0;
  }

  /** io_uring_enable_rings(3): start a ring made with IORING_SETUP_R_DISABLED. */
  enableRings(): void {
    this.registerRaw(IORING_REGISTER_ENABLE_RINGS, null, 0);
    this.enabled = true;
  }

  /**
   * io_uring_resize_rings(3): give the ring a new SQ of `entries` and a CQ of
   * `cqEntries` (default twice the SQ), keeping what is in flight: prepared
   * entries are published first, and the kernel copies pending SQEs and CQEs
   * across (IORING_REGISTER_RESIZE_RINGS, Linux 6.13; the kernel allows it on
   * IORING_SETUP_DEFER_TASKRUN rings without SQPOLL). Every view is rebuilt;
   * Sqe and Cqe objects taken before are stale (writes to them are harmless).
   *
   * Differs from liburing: takes the two sizes where liburing takes struct
   * io_uring_params; throws an IoUringError where it returns -errno.
   */
  resizeRings(entries: number, options: { cqEntries?: number } = {}): void {
    this.checkOpen();
    if (!Number.isInteger(entries) || entries < 1 || entries > KERN_MAX_ENTRIES) throw new RangeError(`entries must be an integer from 1 to ${KERN_MAX_ENTRIES} (got ${entries})`);
    const cqWanted = checkOptionalU32(options.cqEntries, 'cqEntries');
    const sq = roundupPow2(entries);
    const cq = cqWanted ? roundupPow2(Math.min(cqWanted, KERN_MAX_CQ_ENTRIES)) : 2 * sq;
    if (cq < sq) throw new RangeError(`cqEntries (${cqWanted}) must be at least the SQ size (${sq})`);
    this.flushSq();
    const params = new Uint8Array(io_uring_params.sizeof);
    const pv = new DataView(params.buffer);
    pv.setUint32(io_uring_params.sq_entries, sq, true);
    pv.setUint32(io_uring_params.cq_entries, cq, true);
    pv.setUint32(io_uring_params.flags, IORING_SETUP_CQSIZE, true);
    let sab: SharedArrayBuffer | null = null;
    let sabBase = 0;
    // The kernel carries NO_MMAP, NO_SQARRAY, SQE128 and CQE32 over itself;
    // a NO_MMAP ring needs new memory of ours for the new size.
    if (this.sab !== null) ({ sab, sabBase } = allocShared(sq, cq, this.flags, pv));
    this.registerRaw(IORING_REGISTER_RESIZE_RINGS, params, 1);
    // The old SharedArrayBuffer: the kernel has let go of its pages. It stays
    // alive while stale Sqe/Cqe objects refer to it, as any JS memory does.
    this.sab = sab;
    this.sabBase = sabBase;
    this.assets.memory = sab;
    this.paramsBytes = params;
    this.remap(params, sab, sabBase);
  }

  /**
   * Registers memory for `count` registered wait arguments (struct
   * io_uring_reg_wait; IORING_REGISTER_MEM_REGION with
   * IORING_MEM_REGION_REG_WAIT_ARG, Linux 6.13). The kernel takes it only
   * while the ring is still disabled (IORING_SETUP_R_DISABLED): call before
   * enableRings(). Then `setRegWait(i, ...)` fills slot i and
   * `submitAndWaitReg(n, i)` waits with it, the kernel reading the argument
   * from the region instead of copying it in on every wait.
   *
   * tsuring's own: registerRegion with memory of its making. liburing's
   * io_uring_register_wait_reg returns EINVAL.
   */
  registerWaitRegion(count: number): void {
    this.checkOpen();
    if (!Number.isInteger(count) || count < 1 || count * io_uring_reg_wait.sizeof > 1 << 20) throw new RangeError(`count must be an integer from 1 to ${(1 << 20) / io_uring_reg_wait.sizeof}`);
    if (this.waitRegion !== null) throw new IoUringError(EBUSY, 'io_uring_register', 'a wait region is already registered');
    const mem = allocAligned(pageRound(count * io_uring_reg_wait.sizeof));
    this.registerRegion({
      regionUptr: { userAddr: mem, size: mem.length, flags: IORING_MEM_REGION_TYPE_USER },
      flags: IORING_MEM_REGION_REG_WAIT_ARG,
    });
    this.waitRegion = new Uint32Array(mem.buffer, mem.byteOffset, mem.length >>> 2);
    this.waitSlots = count;
  }

  /**
   * io_uring_register_region(3): IORING_REGISTER_MEM_REGION (Linux 6.13), a
   * memory region the ring uses until it is closed (a ring has at most one:
   * EBUSY for a second). `reg` is struct io_uring_mem_region_reg with its
   * `region_uptr` struct io_uring_region_desc inline, fields camelCased; the
   * kernel's `mmap_offset` comes back in `reg.regionUptr.mmapOffset` (mmap
   * the ring fd there for a region the kernel allocated, without
   * IORING_MEM_REGION_TYPE_USER). With IORING_MEM_REGION_REG_WAIT_ARG (the
   * ring still disabled) the region holds struct io_uring_reg_wait slots
   * that `enter(..., IORING_ENTER_EXT_ARG_REG, offset, 64)` waits with
   * (registerWaitRegion sets one up for setRegWait and submitAndWaitReg).
   *
   * Lifetime: a view given as `userAddr` is kept until the ring is closed
   * (the kernel pins it until then). A raw address is refused.
   *
   * Differs from liburing: `reg` is an object, not the structs' bytes; throws
   * an IoUringError where liburing returns -errno.
   * @see io_uring_register_region(3)
   */
  registerRegion(reg: MemRegionReg): number {
    this.checkOpen();
    const rd = reg.regionUptr;
    const size = regionU64(rd.size, 'regionUptr.size');
    const rdFlags = regionU32(rd.flags ?? 0, 'regionUptr.flags');
    const id = regionU32(rd.id ?? 0, 'regionUptr.id');
    const flags = regionU64(reg.flags ?? 0, 'flags');
    const user = rd.userAddr ?? 0;
    let mem: ArrayBufferView | null = null;
    let userAddr: number;
    if (typeof user === 'number') {
      // Only 0 (a region the kernel allocates): an address names memory the
      // library can't keep alive while the kernel has it pinned.
      if (user !== 0) throw new TypeError(`regionUptr.userAddr must be a view, or 0 for a region the kernel allocates (got ${typeof user === 'number' ? user : typeof user}): an address names memory tsuring can't keep alive`);
      userAddr = 0;
    }
    else userAddr = addressFor((mem = user), size, 'regionUptr.userAddr');
    const desc = new Uint8Array(new ArrayBuffer(io_uring_region_desc.sizeof));
    const dd = new DataView(desc.buffer);
    dd.setBigUint64(io_uring_region_desc.user_addr, BigInt(userAddr), true);
    dd.setBigUint64(io_uring_region_desc.size, BigInt(size), true);
    dd.setUint32(io_uring_region_desc.flags, rdFlags, true);
    dd.setUint32(io_uring_region_desc.id, id, true);
    const bytes = new Uint8Array(new ArrayBuffer(io_uring_mem_region_reg.sizeof));
    const rv = new DataView(bytes.buffer);
    rv.setBigUint64(io_uring_mem_region_reg.region_uptr, BigInt(addressFor(desc, desc.length, 'desc')), true);
    rv.setBigUint64(io_uring_mem_region_reg.flags, BigInt(flags), true);
    const r = this.registerRaw(IORING_REGISTER_MEM_REGION, bytes, 1);
    // `desc` stayed referenced until here: the kernel read it, and wrote
    // mmap_offset back, during the call.
    rd.mmapOffset = Number(dd.getBigUint64(io_uring_region_desc.mmap_offset, true));
    // The kernel keeps the pages pinned until the ring goes: so do we.
    if (mem !== null) this.assets.held.set(REGION, mem);
    return r;
  }

  /**
   * Fills registered wait slot `index`: a timeout (milliseconds or { sec,
   * nsec }; omit for none) and, with IORING_FEAT_MIN_TIMEOUT, `minWaitUsec`.
   */
  setRegWait(index: number, timeout?: Timeout, minWaitUsec = 0): void {
    const region = this.waitRegion;
    if (region === null) throw new TypeError('no wait region: call registerWaitRegion() first');
    const slots = this.waitSlots;
    if (!Number.isInteger(index) || index < 0 || index >= slots) throw new RangeError(`index must be an integer from 0 to ${slots - 1}`);
    const minWait = checkOptionalU32(minWaitUsec, 'minWaitUsec');
    const w = (index * io_uring_reg_wait.sizeof) >>> 2;
    const ts = w + (io_uring_reg_wait.ts >>> 2);
    // ts first: writeTimespec refuses a bad timeout before writing anything.
    if (timeout !== undefined) writeTimespec(region, ts, timeout);
    else region.fill(0, ts, ts + 4);
    region.fill(0, ts + 4, w + (io_uring_reg_wait.sizeof >>> 2));
    if (timeout !== undefined) region[w + (io_uring_reg_wait.flags >>> 2)] = IORING_REG_WAIT_TS;
    region[w + (io_uring_reg_wait.min_wait_usec >>> 2)] = minWait;
  }

  /**
   * io_uring_submit_and_wait_reg(3): submit, then wait for `waitNr` CQEs with
   * the registered wait argument in slot `index` (IORING_ENTER_EXT_ARG_REG).
   * Returns the first CQE, or null when the slot's timeout passed first.
   *
   * Differs from liburing: needs registerWaitRegion (liburing's
   * io_uring_register_wait_reg only returns EINVAL; with a region from
   * registerRegion, wait with enter and IORING_ENTER_EXT_ARG_REG); returns the
   * CQE, or null on timeout.
   */
  submitAndWaitReg(waitNr: number, index: number): Cqe | null {
    this.checkOpen();
    if (this.waitRegion === null) throw new TypeError('no wait region: call registerWaitRegion() first');
    const slots = this.waitSlots;
    if (!Number.isInteger(index) || index < 0 || index >= slots) throw new RangeError(`index must be an integer from 0 to ${slots - 1}`);
    let submit = this.flushSq();
    for (;;) {
      const cqe = this.getCqe(submit, checkU32(waitNr, 'waitNr'), IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG, true, index * io_uring_reg_wait.sizeof, io_uring_reg_wait.sizeof);
      if (cqe !== this.interrupted) return cqe;
      // A signal: the kernel's timeout is relative to each wait, so waiting
      // again restarts it; that is the documented behaviour of reg waits.
      submit = this.flushSq();
    }
  }
}
