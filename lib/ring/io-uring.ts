// The ring: io_uring_setup, the shared SQ and CQ, and liburing's queue API
// (src/queue.c, src/setup.c and the inline helpers of liburing.h), with the
// names camelCased and `io_uring_` dropped.
//
// Ring memory is a SharedArrayBuffer handed to the kernel with
// IORING_SETUP_NO_MMAP (Linux 6.5+) where the kernel takes it, so the rings are
// ordinary JS memory that a worker_thread can attach; elsewhere the ring fd is
// mmapped and wrapped with views. Either way this object owns the memory and
// never lets it go while the kernel may still write it.
//
// Memory ordering. liburing needs: an acquire load of the CQ tail (CQE
// contents are read after it), a release store of the CQ head (our reads of
// the CQEs are done before the kernel may reuse them), a release store of the
// SQ tail on SQPOLL rings followed by a full barrier before reading the SQ
// flags, and a plain store of the SQ tail otherwise (the kernel reads it only
// inside our io_uring_enter, and the syscall orders everything).
// JS offers only sequentially consistent Atomics, and on Node 20 each costs
// 6-9 ns (measured: more than all the rest of preparing a NOP). On x86_64 the
// hardware already gives plain loads acquire and plain stores release
// semantics (TSO), and V8 keeps typed-array accesses in program order, so
// `loadAcquire`/`storeRelease` are plain accesses there and Atomics
// elsewhere. The one full barrier (SQPOLL wakeup check) is always an
// Atomics.store: an xchg on x86_64.

import { inspect, type InspectOptionsStylized } from 'node:util';
import * as ffi from '../../ffi/index.ts';
import { featureNames } from '../register/features.ts';
import { flagNames } from '../uapi/names.ts';
import { envTraceListener, Tracer, type TraceListener } from '../debug/trace.ts';
import { IoUringError, check } from '../errors.ts';
import {
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY,
  IORING_CQE_F_MORE, IORING_CQ_EVENTFD_DISABLED,
  IORING_ENTER_EXT_ARG, IORING_ENTER_EXT_ARG_REG, IORING_ENTER_GETEVENTS, IORING_ENTER_REGISTERED_RING, IORING_ENTER_SQ_WAIT, IORING_ENTER_SQ_WAKEUP,
  IORING_FEAT_EXT_ARG, IORING_FEAT_MIN_TIMEOUT, IORING_FEAT_REG_REG_RING, IORING_FEAT_SINGLE_MMAP,
  IORING_OFF_CQ_RING, IORING_OFF_SQES, IORING_OFF_SQ_RING,
  IORING_OP_ASYNC_CANCEL, IORING_OP_NOP,
  IORING_MEM_REGION_REG_WAIT_ARG, IORING_MEM_REGION_TYPE_USER, IORING_REG_WAIT_TS,
  IORING_REGISTER_ENABLE_RINGS, IORING_REGISTER_MEM_REGION, IORING_REGISTER_RESIZE_RINGS, IORING_REGISTER_RING_FDS, IORING_REGISTER_USE_REGISTERED_RING, IORING_UNREGISTER_RING_FDS,
  IORING_SETUP_ATTACH_WQ, IORING_SETUP_CLAMP, IORING_SETUP_CQE32, IORING_SETUP_CQE_MIXED, IORING_SETUP_CQSIZE,
  IORING_SETUP_IOPOLL, IORING_SETUP_NO_MMAP, IORING_SETUP_NO_SQARRAY, IORING_SETUP_R_DISABLED,
  IORING_SETUP_REGISTERED_FD_ONLY, IORING_SETUP_SQE128, IORING_SETUP_SQE_MIXED, IORING_SETUP_SQPOLL, IORING_SETUP_SQ_REWIND,
  IORING_SQ_CQ_OVERFLOW, IORING_SQ_NEED_WAKEUP, IORING_SQ_TASKRUN,
  IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_DRAIN,
} from '../uapi/constants.ts';
import { io_cqring_offsets, io_sqring_offsets, io_uring_mem_region_reg, io_uring_params, io_uring_reg_wait, io_uring_region_desc } from '../uapi/layout.ts';
import { Cqe } from './cqe.ts';
import { KeepTable } from './keep.ts';
import { ADDRESS_SPACE_NOTE, addressSpaceLow } from './address-space.ts';
import { addressFor, allocAligned, bury } from './memory.ts';
import { Sqe, UNPREPARED } from './sqe.ts';
import { mapShared, retireMapping, unmapWhenCollected } from './mapping.ts';
import { adoptRingFd, closeRingFd } from './thread-exit.ts';

const PAGE = 4096;
/** A count of CQEs to wait for: a u32, refused (not wrapped) otherwise. */
function waitCount(n: number): number {
  if (typeof n !== 'number' || (n >>> 0) !== n) {
    throw new RangeError(`waitNr must be an integer from 0 to 2^32-1 (got ${typeof n === 'number' ? n : typeof n})`);
  }
  return n;
}

/** getSqe's mark on an entry no encoder has written yet: an opcode no kernel has. */
const KERN_MAX_ENTRIES = 32768;
const KERN_MAX_CQ_ENTRIES = 2 * KERN_MAX_ENTRIES;
// liburing's KRING_SIZE: the struct io_rings header before the CQEs. A page of
// slack is added on top, since the header is a cache line or two depending on
// the machine, and the kernel pins as much as it computes.
const KRING_SIZE = 64;

const EAGAIN = 11;
const EINTR = 4;
const EINVAL = 22;
const ENOMEM = 12;
const ETIME = 62;
const EBUSY = 16;


// Every IORING_SETUP_* bit the pinned header defines.
const KNOWN_SETUP_FLAGS = 0x1fffff;

const TSO = process.arch === 'x64' || process.arch === 'ia32';

function loadAcquire(u: Uint32Array, i: number): number {
  return TSO ? u[i]! : Atomics.load(u, i);
}

function storeRelease(u: Uint32Array, i: number, v: number): void {
  if (TSO) u[i] = v;
  else Atomics.store(u, i, v);
}

/** A timeout for the wait calls: milliseconds, or a `__kernel_timespec`. */
export type Timeout = number | { sec: number; nsec: number };

export interface IoUringOptions {
  /** IORING_SETUP_* flags. Default 0 (plus the optimisations below). */
  flags?: number;
  /** `sq_thread_cpu`: the CPU for the SQPOLL thread (with IORING_SETUP_SQ_AFF). */
  sqThreadCpu?: number;
  /** `sq_thread_idle`: milliseconds the SQPOLL thread spins before sleeping. */
  sqThreadIdle?: number;
  /** `cq_entries`: the CQ size; sets IORING_SETUP_CQSIZE. Default twice the SQ. */
  cqEntries?: number;
  /** `wq_fd`: a ring whose io-wq to share; sets IORING_SETUP_ATTACH_WQ. */
  wqFd?: number;
  /**
   * Where the rings live. 'shared' (a SharedArrayBuffer handed over with
   * IORING_SETUP_NO_MMAP, Linux 6.5+), 'mmap' (the kernel's pages, mapped),
   * or 'auto' (default): shared where the kernel takes it, mmap otherwise.
   */
  memory?: 'auto' | 'shared' | 'mmap';
  /**
   * Register the ring fd (io_uring_register_ring_fd) so each enter skips the
   * fd lookup, which costs more in a multi-threaded process like Node's.
   * Default true; skipped quietly where the kernel refuses (before 5.18, or
   * past its 16 registered rings per thread).
   */
  registerRingFd?: boolean;
}

// A module-private option: the ring of another thread, to attach to.
const ATTACH = Symbol('attach');

/** What `share()` gives a worker_thread to `IoUring.attach()` the same ring. */
/** A ring's state at one moment: `ring.snapshot()`. */
export interface RingSnapshot {
  fd: number;
  memory: 'shared' | 'mmap';
  closed: boolean;
  /** IORING_SETUP_* flags, without the prefix. */
  flags: string[];
  /** IORING_FEAT_* the kernel has, without the prefix. */
  features: string[];
  /** null once closed. `ready`: published, not yet taken; `prepared`: got, not yet published. */
  sq: { head: number; tail: number; mask: number; entries: number; ready: number; prepared: number; flags: string[]; dropped: number } | null;
  cq: { head: number; tail: number; mask: number; entries: number; ready: number; flags: string[]; overflow: number } | null;
  inFlight: number;
  /** Entries whose memory the ring keeps until their final CQE. */
  kept: number;
}

/** @internal what trace() installs: sees SQEs as published and CQEs as handed back */
export interface RingHook {
  submitted(sqes: readonly Sqe[], from: number, to: number, mask: number): void;
  reaped(cqes: readonly Cqe[], head: number, n: number, mask: number): void;
}

export interface SharedRing {
  fd: number;
  memory: SharedArrayBuffer;
  base: number;
  params: Uint8Array;
  flags: number;
}

// What the kernel may still use when the ring object is gone: held by the
// finalization registry, so a ring dropped without close() neither leaks its
// fd nor frees memory under an operation in flight.
interface Resources {
  fd: number;
  regIndex: number;
  ownsFd: boolean;
  used: boolean;
  closed: boolean;
  memory: SharedArrayBuffer | null;
  maps: { addr: number; len: number }[];
  keeps: KeepTable;
  // Per-ring state of other modules (see held.ts): registered buffers, buffer rings.
  held: Map<symbol, unknown>;
}

function releaseDropped(res: Resources): void {
  if (res.closed || !res.ownsFd) return;
  res.closed = true;
  // Nothing can tell what is still in flight now: if the ring was ever used,
  // its memory and everything its operations named are kept for good.
  if (res.used) {
    bury(res.memory, ...res.keeps.all(), ...res.held.values());
    process.emitWarning('an IoUring with submitted work was garbage-collected without close(); its memory is kept for the life of the process', 'TsuringWarning');
  } else holdAfterClose(res.memory);
  if (res.regIndex >= 0) unregisterRingIndex(res.regIndex, res.fd);
  if (res.fd >= 0) closeRingFd(res.fd);
  // The kernel's own pages stay alive until its requests finish; our mapping
  // of them may go.
  for (const m of res.maps) ffi.munmap(m.addr, m.len);
}

const dropped = new FinalizationRegistry<Resources>(releaseDropped);

// Ring memory from malloc (ringMemory's fallback) of rings closed in the
// last few seconds: the kernel's teardown, after the close, still writes
// the rings. Memory from a WebAssembly.Memory needs no hold.
const HOLD_AFTER_CLOSE_MS = 5000;
const fromMalloc = new WeakSet<SharedArrayBuffer>();
function holdAfterClose(memory: SharedArrayBuffer | null): void {
  if (memory !== null && fromMalloc.has(memory)) setTimeout(() => void memory, HOLD_AFTER_CLOSE_MS).unref();
}

// Drops a registered ring fd. A REGISTERED_FD_ONLY ring has no fd: it names
// itself by its registered index (IORING_REGISTER_USE_REGISTERED_RING).
function unregisterRingIndex(index: number, fd: number): void {
  const upd = new Uint32Array(4);
  upd[0] = index;
  if (fd >= 0) ffi.ioUringRegister(fd, IORING_UNREGISTER_RING_FDS, ffi.addressOf(upd), 1);
  else ffi.ioUringRegister(index, IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING, ffi.addressOf(upd), 1);
}

function roundupPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

function pageRound(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

function checkUint32(v: number | undefined, what: string): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer from 0 to 2^32-1 (got ${v})`);
  return v;
}


const WASM_PAGE = 65536;
// WebAssembly.Memory, which this package's TypeScript libs do not declare.
const WasmMemory = (globalThis as unknown as {
  WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } };
}).WebAssembly.Memory;

/**
 * `bytes` of zeroed, page-aligned SharedArrayBuffer for a ring's memory.
 *
 * The kernel tears a ring down in a worker of its own after the last close
 * of its fd, and that teardown still writes the rings (its CQ overflow
 * flush, for one) before it unpins them. A
 * SharedArrayBuffer from the ordinary allocator goes back to malloc when it
 * is freed, and its bytes to whatever is allocated next: a worker_thread
 * frees all of its memory the moment it exits, so a worker that closed its
 * ring and ended at once had those writes land in the next worker's heap
 * (seen: a SIGSEGV inside V8's snapshot deserializer, within a few rounds of
 * three workers each opening and closing an AsyncRing).
 *
 * So the memory is a shared WebAssembly.Memory: its buffer is a
 * SharedArrayBuffer that V8 maps with mmap and lets go of with munmap, never
 * through malloc. The kernel's pinned pages stay the kernel's until it
 * unpins them, and nothing of this process is ever placed in them. V8
 * reserves address space around each such memory (about 10 GiB on x86_64,
 * its bounds-check guard), none of it committed. Where that reservation
 * fails (a ulimit -v, say), an ordinary SharedArrayBuffer, over-allocated to
 * be page-aligned, and close() holds it for a while (holdAfterClose).
 */
function ringMemory(bytes: number): SharedArrayBuffer {
  const pages = Math.ceil(bytes / WASM_PAGE);
  try {
    return new WasmMemory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch {
    const sab = new SharedArrayBuffer(bytes + 2 * PAGE);
    fromMalloc.add(sab);
    return sab;
  }
}

// Memory for a ring the kernel will use in place (IORING_SETUP_NO_MMAP), in
// liburing's io_uring_alloc_huge layout: the SQEs first, page-rounded, then
// the rings, in one SharedArrayBuffer aligned to a page. Writes the two
// user_addr fields of the io_uring_params in `pv`.
function allocShared(sq: number, cq: number, flags: number, pv: DataView): { sab: SharedArrayBuffer; sabBase: number } {
  const sqesBytes = pageRound(sq * ((flags & IORING_SETUP_SQE128) ? 128 : 64));
  const ringBytes = KRING_SIZE + cq * ((flags & IORING_SETUP_CQE32) ? 32 : 16) + ((flags & IORING_SETUP_NO_SQARRAY) ? 0 : sq * 4);
  const sab = ringMemory(sqesBytes + pageRound(ringBytes));
  const addr = ffi.addressOf(new Uint8Array(sab));
  const sabBase = pageRound(addr) - addr;
  pv.setBigUint64(io_uring_params.sq_off + io_sqring_offsets.user_addr, BigInt(addr + sabBase), true);
  pv.setBigUint64(io_uring_params.cq_off + io_cqring_offsets.user_addr, BigInt(addr + sabBase + sqesBytes), true);
  return { sab, sabBase };
}

interface SetupResult {
  fd: number;
  flags: number;
  sab: SharedArrayBuffer | null;
  sabBase: number;
  params: Uint8Array;
  dropped: string[];
}

// io_uring_setup with the library's own optimisations (a SharedArrayBuffer
// ring via NO_MMAP, and NO_SQARRAY) tried first and dropped if the kernel
// refuses them (RELIABILITY 9: retry without, and report what went).
function setup(entries: number, options: IoUringOptions, userFlags: number, flagsBase: number, cqWanted: number): SetupResult {
  const mode = options.memory ?? 'auto';
  if (mode !== 'auto' && mode !== 'shared' && mode !== 'mmap') throw new TypeError(`memory must be 'auto', 'shared' or 'mmap' (got ${String(mode)})`);
  const needShared = mode === 'shared' || (userFlags & (IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY)) !== 0;
  if (needShared && mode === 'mmap') throw new RangeError("memory: 'mmap' contradicts IORING_SETUP_NO_MMAP / REGISTERED_FD_ONLY");
  const sqThreadCpu = checkUint32(options.sqThreadCpu, 'sqThreadCpu');
  const sqThreadIdle = checkUint32(options.sqThreadIdle, 'sqThreadIdle');
  const wqFd = checkUint32(options.wqFd, 'wqFd');
  // Shared memory reserves about 10 GiB a ring: with the address space
  // mostly reserved, 'auto' takes the kernel's pages instead, and a ring
  // that must be shared is refused while the process still has room.
  const crowded = mode !== 'mmap' && addressSpaceLow();
  if (crowded && needShared) throw new IoUringError(ENOMEM, 'io_uring_setup', 'shared ring memory', `${ADDRESS_SPACE_NOTE}: close rings no longer needed, or use memory: 'mmap'`);
  const attempts: number[] = [];
  if (mode !== 'mmap' && !crowded) attempts.push(IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY, IORING_SETUP_NO_MMAP);
  if (!needShared) attempts.push(IORING_SETUP_NO_SQARRAY, 0);

  const params = new Uint8Array(io_uring_params.sizeof);
  const pv = new DataView(params.buffer);
  const refused = new Set<string>();
  for (let k = 0; k < attempts.length; k++) {
    const flags = flagsBase | attempts[k]!;
    params.fill(0);
    pv.setUint32(io_uring_params.flags, flags, true);
    pv.setUint32(io_uring_params.sq_thread_cpu, sqThreadCpu, true);
    pv.setUint32(io_uring_params.sq_thread_idle, sqThreadIdle, true);
    pv.setUint32(io_uring_params.cq_entries, cqWanted, true);
    pv.setUint32(io_uring_params.wq_fd, wqFd, true);
    let sab: SharedArrayBuffer | null = null;
    let sabBase = 0;
    if (flags & IORING_SETUP_NO_MMAP) {
      const sq = roundupPow2(Math.min(entries, KERN_MAX_ENTRIES));
      const cq = cqWanted ? roundupPow2(Math.min(cqWanted, KERN_MAX_CQ_ENTRIES)) : 2 * sq;
      ({ sab, sabBase } = allocShared(sq, cq, flags, pv));
    }
    const fd = ffi.ioUringSetup(entries, ffi.addressOf(params));
    if (fd >= 0) {
      const dropped = [...refused].filter((name) => !(flags & (name === 'NO_MMAP' ? IORING_SETUP_NO_MMAP : IORING_SETUP_NO_SQARRAY)));
      return { fd, flags, sab, sabBase, params, dropped };
    }
    // Only EINVAL means "a flag this kernel does not know"; anything else
    // (EPERM, ENOMEM, ...) is the answer, as is the failure of the last try.
    if (fd !== -EINVAL || k === attempts.length - 1) throw new IoUringError(fd, 'io_uring_setup', `flags 0x${flags.toString(16)}`);
    if (attempts[k]! & IORING_SETUP_NO_SQARRAY) refused.add('NO_SQARRAY');
    if (attempts[k]! & IORING_SETUP_NO_MMAP && !needShared) refused.add('NO_MMAP');
  }
  throw new Error('unreachable');
}

/** A liburing `struct io_uring`: one ring, its SQ and CQ. */
export class IoUring implements Disposable {
  /** The ring fd (or, with IORING_SETUP_REGISTERED_FD_ONLY, -1). */
  readonly fd: number;
  /** IORING_SETUP_* flags the ring was made with. */
  readonly flags: number;
  /** IORING_FEAT_* bits the kernel reported. */
  readonly features: number;
  /** Where the rings live: 'shared' (a SharedArrayBuffer) or 'mmap'. */
  readonly memory: 'shared' | 'mmap';
  /** Setup flags the library tried for speed and the kernel refused (by name). */
  readonly droppedFlags: readonly string[];

  // Ring memory views. ringU32 covers the SQ and CQ rings (one region with
  // IORING_FEAT_SINGLE_MMAP), sqeU32 the SQE array.
  private ringU32!: Uint32Array;
  private cqU32!: Uint32Array;
  private sqeU32!: Uint32Array;
  // Word indices of the ring fields (from io_sqring_offsets/io_cqring_offsets).
  private sqHead = 0;
  private sqTail = 0;
  private sqFlags = 0;
  private sqDropped = 0;
  private cqHead = 0;
  private cqTail = 0;
  private cqOverflow = 0;
  private cqFlags = 0;
  private cqeBase = 0; // the first CQE's word in cqU32
  private cqeShift = 2; // log2(cqeWords)
  private cqeU32: Uint32Array = new Uint32Array(0); // the CQEs alone, for `cqes`
  private sqMask = 0;
  private cqMask = 0;
  private sqeWords = 16;
  private sqeShift = 4; // log2(sqeWords): a shift, where a multiply would check for overflow
  private cqeWords = 4;
  private sqEntriesN = 0;
  private cqEntriesN = 0;
  // liburing's sqe_head / sqe_tail: entries handed out but not yet published.
  private sqeHead = 0;
  private sqeTail = 0;
  // The kernel's SQ head as last read: only ever behind the real one.
  private sqHeadSeen = 0;
  private sqeObjs: Sqe[] = [];
  private cqeObjs: Cqe[] = [];
  private readonly keeps: KeepTable;
  private readonly res: Resources;
  // io_uring_enter's fd and the flags every enter carries (REGISTERED_RING).
  private enterFd: number;
  private enterFlags = 0;
  private registerFlag = 0;
  // IOPOLL without SQPOLL: completions only appear when we enter the kernel.
  private readonly cqEnter: boolean;
  private closed = false;
  // sqEntries while open, 0 once closed: getSqe's one comparison covers both.
  private sqLimit = 0;
  private enabled: boolean;
  // The EXT_ARG argument (io_uring_getevents_arg at 0, its timespec at 32),
  // allocated once so waits with a timeout allocate nothing.
  private readonly arg: Uint32Array;
  private readonly argAddr: number;
  private sab: SharedArrayBuffer | null;
  private sabBase: number;
  private paramsBytes: Uint8Array;
  // IORING_REGISTER_MEM_REGION memory for registered wait arguments.
  private waitRegion: Uint32Array | null = null;
  private waitSlots = 0;
  // The trace, when one is on: told of each SQE as it is published and each
  // CQE as it is handed back (one test per batch when off).
  private hook: RingHook | null = null;

  /**
   * io_uring_queue_init_params(3): a ring of `entries` SQEs (rounded up to a
   * power of two; at most 32768 unless IORING_SETUP_CLAMP).
   */
  constructor(entries: number, options: IoUringOptions = {}) {
    if (!Number.isInteger(entries) || entries < 1) throw new RangeError(`entries must be a positive integer (got ${entries})`);
    const userFlags = checkUint32(options.flags, 'flags');
    if ((userFlags & ~KNOWN_SETUP_FLAGS) !== 0) {
      throw new RangeError(`unknown IORING_SETUP_* bits 0x${(userFlags & ~KNOWN_SETUP_FLAGS).toString(16)}`);
    }
    if (userFlags & (IORING_SETUP_SQE_MIXED | IORING_SETUP_CQE_MIXED)) {
      throw new RangeError('IORING_SETUP_SQE_MIXED and IORING_SETUP_CQE_MIXED rings are not supported by this version of tsuring');
    }
    if (entries > KERN_MAX_ENTRIES && !(userFlags & IORING_SETUP_CLAMP)) {
      throw new RangeError(`entries must be at most ${KERN_MAX_ENTRIES} (got ${entries}); IORING_SETUP_CLAMP clamps instead`);
    }
    let cqWanted = 0;
    let flagsBase = userFlags;
    if (options.cqEntries !== undefined) {
      cqWanted = checkUint32(options.cqEntries, 'cqEntries');
      if (cqWanted < 1) throw new RangeError('cqEntries must be at least 1');
      // The kernel's own rules (io_uring_create), checked here so both memory
      // modes refuse alike and before any memory is set aside.
      if (cqWanted > KERN_MAX_CQ_ENTRIES && !(userFlags & IORING_SETUP_CLAMP)) {
        throw new RangeError(`cqEntries must be at most ${KERN_MAX_CQ_ENTRIES} (got ${cqWanted}); IORING_SETUP_CLAMP clamps instead`);
      }
      const sq = roundupPow2(Math.min(entries, KERN_MAX_ENTRIES));
      if (roundupPow2(Math.min(cqWanted, KERN_MAX_CQ_ENTRIES)) < sq) throw new RangeError(`cqEntries (${cqWanted}) must be at least the SQ size (${sq})`);
      flagsBase |= IORING_SETUP_CQSIZE;
    }
    if (options.wqFd !== undefined) flagsBase |= IORING_SETUP_ATTACH_WQ;
    const loadErr = ffi.loadError();
    if (loadErr !== null) throw new IoUringError(38 /* ENOSYS */, 'io_uring_setup', loadErr);

    const attach = (options as { [ATTACH]?: SharedRing })[ATTACH];
    let fd: number;
    let flags: number;
    let sab: SharedArrayBuffer | null;
    let sabBase: number;
    let params: Uint8Array;
    if (attach !== undefined) {
      ({ fd, flags, memory: sab, base: sabBase } = attach);
      params = attach.params;
      this.droppedFlags = [];
    } else {
      ({ fd, flags, sab, sabBase, params, dropped: this.droppedFlags } = setup(entries, options, userFlags, flagsBase, cqWanted));
    }
    const regOnly = (flags & IORING_SETUP_REGISTERED_FD_ONLY) !== 0;
    this.res = { fd: regOnly ? -1 : fd, regIndex: regOnly ? fd : -1, ownsFd: attach === undefined, used: false, closed: false, memory: sab, maps: [], keeps: null!, held: new Map() };
    this.fd = regOnly ? -1 : fd;
    this.enterFd = fd;
    this.flags = flags;
    this.features = new DataView(params.buffer, params.byteOffset).getUint32(io_uring_params.features, true);
    if (regOnly) {
      this.enterFlags = IORING_ENTER_REGISTERED_RING;
      if (this.features & IORING_FEAT_REG_REG_RING) this.registerFlag = IORING_REGISTER_USE_REGISTERED_RING;
    }
    this.memory = sab === null ? 'mmap' : 'shared';
    this.sab = sab;
    this.sabBase = sabBase;
    this.paramsBytes = params;
    this.cqEnter = (flags & (IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL)) === IORING_SETUP_IOPOLL;
    this.enabled = (flags & IORING_SETUP_R_DISABLED) === 0;
    this.keeps = new KeepTable(0);
    this.res.keeps = this.keeps;
    this.mapRings(params, sab, sabBase);
    this.arg = new Uint32Array(new ArrayBuffer(64));
    this.argAddr = ffi.addressOf(this.arg);
    this.arg[2] = 8; // sigmask_sz: _NSIG / 8, as liburing passes
    if (attach === undefined) {
      dropped.register(this, this.res, this);
      if (!regOnly) adoptRingFd(fd);
      if (options.registerRingFd !== false && !regOnly) this.tryRegisterRingFd();
    } else {
      // Pick up where the other thread's SQ and CQ are.
      this.sqeHead = this.sqeTail = this.sqHeadSeen = Atomics.load(this.ringU32, this.sqTail);
    }
    const traceTo = envTraceListener();
    if (traceTo !== null) this.hook = new Tracer(this, traceTo);
  }

  // Builds every view of the rings from io_uring_params as the kernel filled
  // it in: at setup, and again after IORING_REGISTER_RESIZE_RINGS. With a
  // SharedArrayBuffer the SQEs sit at its start and the rings after them;
  // otherwise the kernel's pages are mmapped (liburing's io_uring_mmap).
  private mapRings(params: Uint8Array, sab: SharedArrayBuffer | null, sabBase: number): void {
    const pv = new DataView(params.buffer, params.byteOffset, params.byteLength);
    const flags = this.flags;
    const fd = this.res.fd >= 0 ? this.res.fd : this.enterFd;
    const sqEntries = pv.getUint32(io_uring_params.sq_entries, true);
    const cqEntries = pv.getUint32(io_uring_params.cq_entries, true);
    const so = (f: number) => pv.getUint32(io_uring_params.sq_off + f, true);
    const co = (f: number) => pv.getUint32(io_uring_params.cq_off + f, true);
    const sqeBytes = (flags & IORING_SETUP_SQE128) ? 128 : 64;
    const cqeBytes = (flags & IORING_SETUP_CQE32) ? 32 : 16;

    let ringBuf: ArrayBufferLike;
    let ringOff: number;
    let sqeBuf: ArrayBufferLike;
    let sqeOffset: number;
    let cqBuf: ArrayBufferLike;
    if (sab !== null) {
      const sqesOff = Number(pv.getBigUint64(io_uring_params.cq_off + io_cqring_offsets.user_addr, true) - pv.getBigUint64(io_uring_params.sq_off + io_sqring_offsets.user_addr, true));
      ringBuf = cqBuf = sqeBuf = sab;
      ringOff = sabBase + sqesOff;
      sqeOffset = sabBase;
      // The kernel's layout must fit in what it was given (it pinned that much).
      const need = Math.max(co(io_cqring_offsets.cqes) + cqEntries * cqeBytes, (flags & IORING_SETUP_NO_SQARRAY) ? 0 : so(io_sqring_offsets.array) + sqEntries * 4);
      if (ringOff + need > sab.byteLength) {
        this.res.used = true; // nothing ran, but be safe with what the kernel holds
        releaseDropped(this.res);
        throw new IoUringError(EINVAL, 'io_uring_setup', `the kernel's ring layout (${need} bytes) is larger than the memory computed for it`);
      }
    } else {
      let sqRingSz = so(io_sqring_offsets.array) + sqEntries * 4;
      let cqRingSz = co(io_cqring_offsets.cqes) + cqEntries * cqeBytes;
      const single = (this.features & IORING_FEAT_SINGLE_MMAP) !== 0;
      if (single) sqRingSz = cqRingSz = Math.max(sqRingSz, cqRingSz);
      const maps: { addr: number; len: number }[] = [];
      const mapOrFail = (len: number, off: number): number => {
        const a = mapShared(fd, len, off);
        if (a < 0) {
          for (const m of maps) ffi.munmap(m.addr, m.len);
          if (this.res.maps.length === 0) releaseDropped(this.res);
          throw new IoUringError(a, 'mmap', `ring region at 0x${off.toString(16)}`);
        }
        maps.push({ addr: a, len });
        return a;
      };
      const sqRing = mapOrFail(sqRingSz, IORING_OFF_SQ_RING);
      const cqRing = single ? sqRing : mapOrFail(cqRingSz, IORING_OFF_CQ_RING);
      const sqes = mapOrFail(sqEntries * sqeBytes, IORING_OFF_SQES);
      if (this.res.maps.length > 0) this.retireMappings();
      this.res.maps = maps;
      ringBuf = ffi.view(sqRing, sqRingSz);
      cqBuf = single ? ringBuf : ffi.view(cqRing, cqRingSz);
      ringOff = 0;
      sqeBuf = ffi.view(sqes, sqEntries * sqeBytes);
      sqeOffset = 0;
    }

    this.ringU32 = new Uint32Array(ringBuf, ringOff, (ringBuf.byteLength - ringOff) >>> 2);
    this.cqU32 = cqBuf === ringBuf ? this.ringU32 : new Uint32Array(cqBuf);
    this.sqeU32 = new Uint32Array(sqeBuf, sqeOffset, (sqEntries * sqeBytes) >>> 2);
    this.sqEntriesN = sqEntries;
    this.sqLimit = this.closed ? 0 : sqEntries;
    this.cqEntriesN = cqEntries;
    this.sqHead = so(io_sqring_offsets.head) >>> 2;
    this.sqTail = so(io_sqring_offsets.tail) >>> 2;
    this.sqFlags = so(io_sqring_offsets.flags) >>> 2;
    this.sqDropped = so(io_sqring_offsets.dropped) >>> 2;
    this.cqHead = co(io_cqring_offsets.head) >>> 2;
    this.cqTail = co(io_cqring_offsets.tail) >>> 2;
    this.cqOverflow = co(io_cqring_offsets.overflow) >>> 2;
    this.cqFlags = co(io_cqring_offsets.flags) >>> 2;
    this.cqeBase = co(io_cqring_offsets.cqes) >>> 2;
    this.sqMask = this.ringU32[so(io_sqring_offsets.ring_mask) >>> 2]!;
    this.cqMask = this.cqU32[co(io_cqring_offsets.ring_mask) >>> 2]!;
    this.sqeWords = sqeBytes >>> 2;
    this.sqeShift = 31 - Math.clz32(this.sqeWords);
    this.cqeWords = cqeBytes >>> 2;
    this.cqeShift = 31 - Math.clz32(this.cqeWords);
    this.cqeU32 = this.cqU32.subarray(this.cqeBase, this.cqeBase + cqEntries * this.cqeWords);
    this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);

    // Directly map SQ slots to SQEs, as liburing does.
    if (!(flags & IORING_SETUP_NO_SQARRAY)) {
      const arr = so(io_sqring_offsets.array) >>> 2;
      for (let i = 0; i < sqEntries; i++) this.ringU32[arr + i] = i;
    }
    this.keeps.resizeSlots(sqEntries);
    const u8 = new Uint8Array(this.sqeU32.buffer, this.sqeU32.byteOffset, this.sqeU32.byteLength);
    const u16 = new Uint16Array(this.sqeU32.buffer, this.sqeU32.byteOffset, this.sqeU32.byteLength >>> 1);
    this.sqeObjs = Array.from({ length: sqEntries }, (_, i) => new Sqe(this, this.sqeU32, u8, u16, i, this.sqeWords, this.keeps));
    this.cqeObjs = new Array(cqEntries);
    for (let i = 0; i < cqEntries; i++) this.cqeObjs[i] = new Cqe(this, this.cqU32, this.cqeBase + i * this.cqeWords, cqeBytes);
  }

  // Replace our mapping of the kernel's pages with anonymous memory, so an
  // Sqe or Cqe still held somewhere writes into harmless pages rather than
  // faulting; the pages go once the views over them are collected.
  private retireMappings(): void {
    const maps = this.res.maps;
    for (const m of maps) retireMapping(m);
    if (maps.length > 0) {
      unmapWhenCollected(this.ringU32.buffer as ArrayBuffer, maps[0]!);
      if (maps.length === 3) unmapWhenCollected(this.cqU32.buffer as ArrayBuffer, maps[1]!);
      unmapWhenCollected(this.sqeU32.buffer as ArrayBuffer, maps[maps.length - 1]!);
    }
    this.res.maps = [];
  }

  /** SQ size, as the kernel rounded it. */
  get sqEntries(): number {
    return this.sqEntriesN;
  }

  /** CQ size, as the kernel rounded it. */
  get cqEntries(): number {
    return this.cqEntriesN;
  }

  // ---------------------------------------------------------------- SQ side

  /**
   * io_uring_get_sqe(3): the next free SQE, or null when the SQ is full.
   *
   * Differs from liburing: an entry taken and never written (an encoder
   * refused its arguments: they throw before writing anything) is not
   * submitted. The next submit leaves it out, moving the prepared entries
   * taken after it down into its place, and hands its slot back. Any write to
   * the opcode (every encoder makes one, and so does `sqe.opcode = ...`)
   * makes the entry count as prepared.
   */
  getSqe(): Sqe | null {
    const tail = this.sqeTail;
    if (((tail - this.sqHeadSeen) >>> 0) >= this.sqLimit) {
      // Acquire: the kernel is done with the slots below its head. Read only
      // when the cached head says the SQ is full.
      this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);
      if (((tail - this.sqHeadSeen) >>> 0) >= this.sqLimit) {
        if (this.closed) this.throwClosed();
        return null;
      }
    }
    this.sqeTail = (tail + 1) >>> 0;
    const sqe = this.sqeObjs[tail & this.sqMask]!;
    // Marked unprepared: opcode UNPREPARED (no kernel has an opcode 255),
    // flags and ioprio 0, no nop_flags (rw_flags). Whatever the slot held
    // before (a link flag, a read into a buffer since let go) is gone even if
    // no encoder runs; flushSq hands back or neutralises an entry still so.
    const u = this.sqeU32;
    u[sqe.w] = UNPREPARED;
    u[sqe.w + 7] = 0;
    return sqe;
  }

  /**
   * Takes `n` SQEs at once, all or none, for writing word by word into
   * `ring.sqes` (tsuring's own; liburing has no counterpart). Returns the SQ
   * position of the first: entry `i` of the batch starts at word
   * `ring.sqeOffset(first + i)`. Returns -1 when fewer than `n` are free.
   *
   * This is the path without a per-entry object: NOPs at batch 128 written
   * this way (and reaped through `cqes`) ran at 0.97-0.99 of C liburing,
   * against 0.88-0.90 through getSqe + prepNop + forEachCqe (bench/compare.ts
   * --only nop).
   * Each entry comes back as a NOP with no flags, like getSqe's, so one left
   * unwritten is harmless when submitted.
   *
   * Safety: the words are raw. An entry that names memory by address must
   * keep it: `ring.sqeAt(first + i).keep(buf)`, after the words are written
   * (or prepare that entry with an encoder on `sqeAt`, which keeps for you).
   */
  getSqes(n: number): number {
    if ((n >>> 0) !== n) this.throwSqesCount(n);
    const tail = this.sqeTail;
    if (((tail - this.sqHeadSeen) >>> 0) + n > this.sqLimit) {
      if (this.closed) this.throwClosed();
      // Acquire, as in getSqe: read the kernel's head only when short.
      this.sqHeadSeen = Atomics.load(this.ringU32, this.sqHead);
      if (((tail - this.sqHeadSeen) >>> 0) + n > this.sqLimit) {
        if (n > this.sqEntriesN) this.throwSqesCount(n);
        return -1;
      }
    }
    // Each a plain NOP (see getSqe): opcode, flags and ioprio 0, no nop_flags.
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    for (let i = 0; i < n; i++) {
      const w = ((tail + i) & mask) << shift;
      u[w] = 0;
      u[w + 7] = 0;
    }
    this.sqeTail = (tail + n) >>> 0;
    return tail;
  }

  private throwSqesCount(n: unknown): never {
    throw new RangeError(`getSqes: n must be an integer from 0 to ${this.sqEntriesN}, the SQ's size (got ${String(n)})`);
  }

  /**
   * The SQE array as 32-bit words, for entries taken with `getSqes`: 16
   * words an entry, 32 on IORING_SETUP_SQE128 rings; field offsets are
   * `io_uring_sqe`'s (bytes) divided by 4. Like liburing's `ring->sq.sqes`.
   * Read it again after `resizeRings()`: the SQ moves.
   */
  get sqes(): Uint32Array {
    this.checkOpen();
    return this.sqeU32;
  }

  /** The first word in `sqes` of the entry at SQ position `pos` (as `getSqes` counts). */
  sqeOffset(pos: number): number {
    return (pos & this.sqMask) << this.sqeShift;
  }

  /**
   * The `Sqe` of the entry at SQ position `pos`: for `keep()`, an encoder, or
   * reading back what the words say. Valid, like getSqe's, until the submit
   * that publishes it.
   */
  sqeAt(pos: number): Sqe {
    this.checkOpen();
    return this.sqeObjs[pos & this.sqMask]!;
  }

  /** io_uring_sq_ready(3): entries prepared but not yet consumed by the kernel. */
  sqReady(): number {
    this.checkOpen();
    return (this.sqeTail - loadAcquire(this.ringU32, this.sqHead)) >>> 0;
  }

  /** io_uring_sq_space_left(3). */
  sqSpaceLeft(): number {
    this.checkOpen();
    return this.sqEntriesN - this.sqReady();
  }

  /**
   * io_uring_sqring_wait(3): on an SQPOLL ring, wait until the SQ has a free
   * slot. Returns at once on other rings, or when there is room.
   */
  sqringWait(): number {
    this.checkOpen();
    if (!(this.flags & IORING_SETUP_SQPOLL) || this.sqSpaceLeft() > 0) return 0;
    return this.enter(0, 0, IORING_ENTER_SQ_WAIT, 0, 0);
  }

  // Entries in [from, tail) taken with getSqe and never written: the last
  // ones are handed back (the tail moves down to the last prepared entry).
  // Returns the tail to publish.
  private settleUnprepared(from: number, tail: number): number {
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    while (tail !== from && (u[((tail - 1) & mask) << shift]! & 0xff) === UNPREPARED) {
      tail = (tail - 1) >>> 0;
      const sqe = this.sqeObjs[tail & mask]!;
      if (sqe.kept !== 0) sqe.forget();
    }
    this.sqeTail = tail;
    return tail;
  }

  // Unprepared entries in [at, tail), `at` being one, left out: each
  // prepared one after them moves down, words and kept memory, so the kernel
  // sees the prepared entries in the order they were taken. (Sent as NOPs
  // that post nothing, IOSQE_CQE_SKIP_SUCCESS, they would turn IOSQE_IO_DRAIN
  // off on the ring for good: the kernel refuses a drain with EOPNOTSUPP
  // once it has seen a request that skips its CQE.) Returns the new tail.
  private dropUnprepared(at: number, tail: number): number {
    const u = this.sqeU32;
    const mask = this.sqMask;
    const shift = this.sqeShift;
    let to = at;
    for (let t = at; t !== tail; t = (t + 1) >>> 0) {
      const src = t & mask;
      const sqe = this.sqeObjs[src]!;
      if ((u[src << shift]! & 0xff) === UNPREPARED) {
        if (sqe.kept !== 0) sqe.forget();
        continue;
      }
      const dst = to & mask;
      u.copyWithin(dst << shift, src << shift, (src << shift) + this.sqeWords);
      this.keeps.moveSlot(src, dst);
      this.sqeObjs[dst]!.kept = sqe.kept;
      sqe.kept = 0;
      to = (to + 1) >>> 0;
    }
    this.sqeTail = to;
    return to;
  }

  // liburing's __io_uring_flush_sq: publish the prepared entries (move the
  // SQ tail) and return how many the kernel has yet to consume.
  private flushSq(): number {
    let tail = this.sqeTail;
    const from = this.sqeHead;
    if (from !== tail) {
      tail = this.settleUnprepared(from, tail);
      const at = this.keeps.publish(this.sqeU32, this.sqeWords, from, tail, this.sqMask, this.sqeObjs, UNPREPARED);
      if (at !== tail) {
        tail = this.dropUnprepared(at, tail);
        this.keeps.publish(this.sqeU32, this.sqeWords, at, tail, this.sqMask, this.sqeObjs, UNPREPARED);
      }
      if (this.hook !== null) this.hook.submitted(this.sqeObjs, from, tail, this.sqMask);
      this.res.used = true;
      this.sqeHead = tail;
      if (this.flags & IORING_SETUP_SQ_REWIND) {
        this.sqeTail = this.sqeHead = 0;
        return tail;
      }
      // The SQE stores above must be visible before the new tail. Without
      // SQPOLL the kernel reads the tail only inside io_uring_enter, which
      // orders everything (liburing uses a plain store); with SQPOLL, a
      // release, and then a full barrier before sqEnterFlags reads the SQ
      // flags: Atomics.store is sequentially consistent, so it is both.
      if (this.flags & IORING_SETUP_SQPOLL) Atomics.store(this.ringU32, this.sqTail, tail);
      else this.ringU32[this.sqTail] = tail;
    }
    // Relaxed: the kernel's head only ever tells us slots are free.
    return (tail - this.ringU32[this.sqHead]!) >>> 0;
  }

  // Bits to add to enter's flags for `submitted` new entries, or -1 when the
  // kernel need not be entered for them (an awake SQPOLL thread takes them).
  private sqEnterFlags(submitted: number): number {
    if (submitted === 0) return -1;
    if (!(this.flags & IORING_SETUP_SQPOLL)) return 0;
    // The tail store in flushSq was sequentially consistent, so this load is
    // ordered after it: the full barrier liburing's io_uring_smp_mb() gives.
    if (Atomics.load(this.ringU32, this.sqFlags) & IORING_SQ_NEED_WAKEUP) return IORING_ENTER_SQ_WAKEUP;
    return -1;
  }

  private cqNeedsFlush(): boolean {
    // Relaxed (liburing's READ_ONCE): a hint to enter the kernel.
    return (this.ringU32[this.sqFlags]! & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) !== 0;
  }

  private cqNeedsEnter(): boolean {
    return this.cqEnter || this.cqNeedsFlush();
  }

  // io_uring_enter, retried on EINTR (a signal during a wait is not an error
  // the caller should see; timed waits recompute their timeout first).
  private enter(toSubmit: number, minComplete: number, flags: number, arg: number, argSize: number): number {
    for (;;) {
      const r = ffi.ioUringEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, arg, argSize);
      if (r !== -EINTR) return r;
    }
  }

  // liburing's __io_uring_submit.
  private submitInternal(submitted: number, waitNr: number, getEvents: boolean): number {
    const cqNeedsEnter = getEvents || waitNr > 0 || this.cqNeedsEnter();
    let flags = this.sqEnterFlags(submitted);
    if (flags < 0 && !cqNeedsEnter) return submitted;
    if (flags < 0) flags = 0;
    if (cqNeedsEnter) flags |= IORING_ENTER_GETEVENTS;
    const r = this.enter(submitted, waitNr, flags, 0, 0);
    if (r < 0) throw new IoUringError(r, 'io_uring_enter', 'submit');
    return r;
  }

  /** io_uring_submit(3): hands the prepared SQEs to the kernel; returns how many it took. */
  submit(): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), 0, false);
  }

  /** io_uring_submit_and_wait(3): submit, then wait for `waitNr` completions. */
  submitAndWait(waitNr: number): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), waitCount(waitNr), false);
  }

  /** io_uring_submit_and_get_events(3): submit, and flush pending completions into the CQ. */
  submitAndGetEvents(): number {
    this.checkOpen();
    return this.submitInternal(this.flushSq(), 0, true);
  }

  /**
   * io_uring_submit_and_wait_timeout(3): submit, then wait for `waitNr`
   * completions or the timeout. Returns the first CQE, or null on timeout.
   */
  submitAndWaitTimeout(waitNr: number, timeout: Timeout): Cqe | null {
    this.checkOpen();
    return this.waitTimed(this.flushSq(), waitCount(waitNr), timeout, 0);
  }

  /**
   * io_uring_submit_and_wait_min_timeout(3): like submitAndWaitTimeout, but
   * once one completion has arrived, wait at most `minWaitUsec` more for the
   * rest (IORING_FEAT_MIN_TIMEOUT, Linux 6.12).
   */
  submitAndWaitMinTimeout(waitNr: number, timeout: Timeout, minWaitUsec: number): Cqe | null {
    this.checkOpen();
    if (!(this.features & IORING_FEAT_MIN_TIMEOUT)) throw new IoUringError(EINVAL, 'io_uring_enter', 'min_wait_usec needs IORING_FEAT_MIN_TIMEOUT (Linux 6.12)');
    return this.waitTimed(this.flushSq(), waitCount(waitNr), timeout, checkUint32(minWaitUsec, 'minWaitUsec'));
  }

  // ---------------------------------------------------------------- CQ side

  private cqeAtHead(): Cqe | null {
    const head = this.cqU32[this.cqHead]!; // ours: the kernel never writes it
    // Acquire: the CQE contents are visible once the tail covers them.
    const tail = loadAcquire(this.cqU32, this.cqTail);
    if (head === tail) return null;
    return this.cqeObjs[head & this.cqMask]!;
  }

  // liburing's _io_uring_get_cqe. Throws on an enter failure; returns null on
  // EAGAIN (nothing to reap without waiting) and ETIME (timed out).
  private getCqe(submit: number, waitNr: number, getFlags: number, hasTs: boolean, arg = this.argAddr, argSize = 24): Cqe | null {
    let looped = false;
    for (;;) {
      let needEnter = false;
      let flags = 0;
      const cqe = this.cqeAtHead();
      const available = cqe === null ? 0 : this.cqReady();
      if (cqe === null && waitNr === 0 && submit === 0) {
        if (looped || !this.cqNeedsEnter()) return null;
        needEnter = true;
      }
      if (waitNr > available || needEnter) {
        flags = IORING_ENTER_GETEVENTS | getFlags;
        needEnter = true;
      }
      const sqFlags = this.sqEnterFlags(submit);
      if (sqFlags >= 0) {
        flags |= sqFlags;
        needEnter = true;
      }
      if (!needEnter) return cqe;
      if (looped && hasTs) return cqe;
      const r = hasTs
        ? ffi.ioUringEnter(this.enterFd, submit, waitNr, flags | this.enterFlags, arg, argSize)
        : this.enter(submit, waitNr, flags, 0, 0);
      if (r < 0) {
        if (r === -ETIME) return cqe;
        if (r === -EINTR) return this.interrupted;
        throw new IoUringError(r, 'io_uring_enter', 'wait');
      }
      submit -= r;
      if (cqe !== null) return cqe;
      looped = true;
    }
  }

  // Sentinel for a timed wait cut short by a signal: the caller recomputes the
  // timeout from its deadline and waits again.
  private readonly interrupted = {} as Cqe;

  private writeTimeout(timeout: Timeout, minWaitUsec: number): void {
    let sec: number;
    let nsec: number;
    if (typeof timeout === 'number') {
      if (!(timeout >= 0) || !Number.isFinite(timeout)) throw new RangeError(`timeout must be a finite number of milliseconds >= 0 (got ${timeout})`);
      sec = Math.floor(timeout / 1000);
      if (!Number.isSafeInteger(sec)) throw new RangeError(`timeout must be below 2^53 seconds (got ${timeout} ms)`);
      nsec = Math.round((timeout - sec * 1000) * 1e6);
      if (nsec >= 1e9) { sec++; nsec -= 1e9; }
    } else {
      sec = timeout?.sec;
      nsec = timeout?.nsec;
      if (!Number.isSafeInteger(sec) || sec < 0 || !Number.isInteger(nsec) || nsec < 0 || nsec >= 1e9) {
        throw new RangeError('timeout must be milliseconds or { sec, nsec } with integer sec >= 0 and 0 <= nsec < 1e9');
      }
    }
    const a = this.arg;
    // io_uring_getevents_arg: sigmask 0 (none), sigmask_sz, min_wait_usec, ts -> the timespec at byte 32.
    a[3] = minWaitUsec;
    const ts = this.argAddr + 32;
    a[4] = ts >>> 0;
    a[5] = Math.floor(ts / 4294967296);
    a[8] = sec >>> 0;
    a[9] = Math.floor(sec / 4294967296);
    a[10] = nsec;
    a[11] = 0;
  }

  private waitTimed(submit: number, waitNr: number, timeout: Timeout, minWaitUsec: number): Cqe | null {
    if (!(this.features & IORING_FEAT_EXT_ARG)) {
      throw new IoUringError(EINVAL, 'io_uring_enter', 'timed waits need IORING_FEAT_EXT_ARG (Linux 5.11)');
    }
    this.writeTimeout(timeout, minWaitUsec);
    const ms = typeof timeout === 'number' ? timeout : timeout.sec * 1000 + timeout.nsec / 1e6;
    const deadline = performance.now() + ms;
    for (;;) {
      const cqe = this.getCqe(submit, waitNr, IORING_ENTER_EXT_ARG, true);
      if (cqe !== null && cqe !== this.interrupted && this.cqReady() >= waitNr) return cqe;
      // Not all yet: the time ran out, or a signal cut the wait short (as
      // EINTR, or as an early return when entries were submitted in the same
      // call), or the kernel returned early with fewer than waitNr (seen on
      // 6.18: about 1 wait in 1,000 for two 1 ms TIMEOUTs came back with
      // one). Wait again for what is left (RELIABILITY 12); whatever the
      // kernel has not consumed yet is offered again.
      const left = deadline - performance.now();
      if (left <= 0.01) return this.cqeAtHead();
      submit = this.flushSq();
      this.writeTimeout(left, minWaitUsec);
    }
  }

  /** io_uring_peek_cqe(3): the CQE at the head, or null; never waits. */
  peekCqe(): Cqe | null {
    this.checkOpen();
    const cqe = this.cqeAtHead();
    if (cqe !== null || !this.cqNeedsEnter()) return cqe;
    return this.getCqe(0, 0, 0, false);
  }

  /** io_uring_wait_cqe(3): the CQE at the head, waiting for one if need be. */
  waitCqe(): Cqe {
    return this.waitCqeNr(1);
  }

  /** io_uring_wait_cqe_nr(3): wait until `waitNr` CQEs are ready; returns the first. */
  waitCqeNr(waitNr: number): Cqe {
    this.checkOpen();
    const cqe = this.getCqe(0, waitCount(waitNr), 0, false);
    if (cqe === null) throw new IoUringError(EAGAIN, 'io_uring_enter', 'wait');
    return cqe;
  }

  /**
   * io_uring_wait_cqes(3): wait for `waitNr` CQEs, or until the timeout if one
   * is given. Returns the first CQE, or null on timeout. (The sigmask argument
   * has no use from JS and is not offered.)
   */
  waitCqes(waitNr: number, timeout?: Timeout): Cqe | null {
    this.checkOpen();
    if (timeout === undefined) return this.getCqe(0, waitCount(waitNr), 0, false);
    return this.waitTimed(0, waitCount(waitNr), timeout, 0);
  }

  /** io_uring_wait_cqe_timeout(3): one CQE, or null once the timeout passes. */
  waitCqeTimeout(timeout: Timeout): Cqe | null {
    return this.waitCqes(1, timeout);
  }

  /**
   * io_uring_peek_batch_cqe(3): fills `out` with up to `count` ready CQEs
   * (default out.length) without consuming them; returns how many.
   */
  peekBatchCqe(out: Cqe[], count = out.length): number {
    this.checkOpen();
    let ready = this.cqReady();
    if (ready === 0 && this.cqNeedsFlush()) {
      this.getEvents();
      ready = this.cqReady();
    }
    const n = Math.min(ready, count);
    const head = this.cqU32[this.cqHead]!;
    for (let i = 0; i < n; i++) out[i] = this.cqeObjs[(head + i) & this.cqMask]!;
    return n;
  }

  /**
   * io_uring_for_each_cqe(3): calls `fn` on each ready CQE, head first,
   * without consuming them; returns how many it visited. Pass a function
   * made once (not a fresh closure) and reaping allocates nothing. Follow it
   * with cqAdvance(n).
   */
  forEachCqe(fn: (cqe: Cqe, i: number) => void): number {
    this.checkOpen();
    const head = this.cqU32[this.cqHead]!;
    const n = (loadAcquire(this.cqU32, this.cqTail) - head) >>> 0;
    for (let i = 0; i < n; i++) fn(this.cqeObjs[(head + i) & this.cqMask]!, i);
    return n;
  }

  /** The i-th ready CQE counted from the head (0 is the head), or null past the tail. */
  cqeAt(i: number): Cqe | null {
    this.checkOpen();
    if (i >= this.cqReady()) return null;
    return this.cqeObjs[(this.cqU32[this.cqHead]! + i) & this.cqMask]!;
  }

  /**
   * The CQEs as 32-bit words (liburing's `ring->cq.cqes`): 4 words a CQE, 8
   * on IORING_SETUP_CQE32 rings; user_data is words 0-1, res word 2 (signed:
   * `| 0`), flags word 3. With `cqeOffset`, the way to walk ready CQEs
   * without a `Cqe` object each; hand them back with cqAdvance as usual.
   * Read it again after `resizeRings()`.
   */
  get cqes(): Uint32Array {
    this.checkOpen();
    return this.cqeU32;
  }

  /** The first word in `cqes` of the i-th ready CQE counted from the head (check i < cqReady() first). */
  cqeOffset(i: number): number {
    return ((this.cqU32[this.cqHead]! + i) & this.cqMask) << this.cqeShift;
  }

  /** io_uring_cq_ready(3): CQEs ready to reap. */
  cqReady(): number {
    this.checkOpen();
    return (loadAcquire(this.cqU32, this.cqTail) - this.cqU32[this.cqHead]!) >>> 0;
  }

  /**
   * io_uring_cq_advance(3): hands `n` CQEs back to the kernel. Memory kept
   * for operations whose final CQE is among them is let go here, once no
   * other operation under the same user_data is in flight.
   *
   * Differs from liburing: `n` must be an integer from 0 to cqReady() (a
   * RangeError otherwise); moving the head past the tail would hand the
   * kernel's unwritten slots to the reader, and a CQE seen twice would
   * release its memory twice.
   */
  cqAdvance(n: number): void {
    this.checkOpen();
    const u = this.cqU32;
    const head = u[this.cqHead]!;
    if (typeof n !== 'number' || (n >>> 0) !== n || n > ((loadAcquire(u, this.cqTail) - head) >>> 0)) this.throwAdvance(n);
    if (n === 0) return;
    const mask = this.cqMask;
    const keeps = this.keeps;
    const base = this.cqeBase;
    const words = this.cqeWords;
    for (let i = 0; i < n; i++) {
      const w = base + ((head + i) & mask) * words;
      if (!(u[w + 3]! & IORING_CQE_F_MORE)) keeps.release(u[w]!, u[w + 1]!);
    }
    if (this.hook !== null) this.hook.reaped(this.cqeObjs, head, n, this.cqMask);
    // Release: our reads of these CQEs are done before the kernel reuses them.
    storeRelease(u, this.cqHead, (head + n) >>> 0);
  }

  private throwAdvance(n: unknown): never {
    const what = typeof n === 'number' ? String(n) : typeof n;
    throw new RangeError(`cqAdvance: n must be an integer from 0 to cqReady() (${this.cqReady()} now; got ${what})`);
  }

  /** io_uring_cqe_seen(3): consumes the CQE at the head (the one `cqe` is). */
  cqeSeen(cqe: Cqe): void {
    void cqe;
    this.cqAdvance(1);
  }

  /** io_uring_get_events(3): flush task work and overflowed CQEs into the CQ. */
  getEvents(): number {
    this.checkOpen();
    return check(this.enter(0, 0, IORING_ENTER_GETEVENTS, 0, 0), 'io_uring_enter', 'get events');
  }

  /**
   * io_uring_cq_has_overflow(3): true when the kernel holds completions the
   * CQ had no room for (IORING_SQ_CQ_OVERFLOW); wait or getEvents() flushes
   * them as room appears. With IORING_FEAT_NODROP none are lost.
   */
  cqHasOverflow(): boolean {
    this.checkOpen();
    return (Atomics.load(this.ringU32, this.sqFlags) & IORING_SQ_CQ_OVERFLOW) !== 0;
  }

  /** The CQ ring's overflow counter: completions dropped (on kernels without NODROP) */
  cqOverflowCount(): number {
    this.checkOpen();
    return Atomics.load(this.cqU32, this.cqOverflow);
  }

  /** The SQ ring's dropped counter: entries the kernel found invalid and skipped. */
  sqDroppedCount(): number {
    this.checkOpen();
    return Atomics.load(this.ringU32, this.sqDropped);
  }

  /** The SQ ring's flags word (IORING_SQ_*). */
  sqFlagsWord(): number {
    this.checkOpen();
    return Atomics.load(this.ringU32, this.sqFlags);
  }

  /** io_uring_cq_eventfd_enabled(3): whether a registered eventfd is signalled. */
  cqEventfdEnabled(): boolean {
    this.checkOpen();
    if (this.cqFlags === 0) return true;
    return (Atomics.load(this.cqU32, this.cqFlags) & IORING_CQ_EVENTFD_DISABLED) === 0;
  }

  /** io_uring_cq_eventfd_toggle(3): turn eventfd notification on or off (Linux 5.8). */
  cqEventfdToggle(enabled: boolean): void {
    this.checkOpen();
    if (enabled === this.cqEventfdEnabled()) return;
    if (this.cqFlags === 0) throw new IoUringError(EINVAL, 'io_uring_enter', 'this kernel has no CQ ring flags (Linux 5.8)');
    const cur = Atomics.load(this.cqU32, this.cqFlags);
    Atomics.store(this.cqU32, this.cqFlags, enabled ? cur & ~IORING_CQ_EVENTFD_DISABLED : cur | IORING_CQ_EVENTFD_DISABLED);
  }

  // ---------------------------------------------------------- registration

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
    let addr = 0;
    if (typeof arg === 'number') addr = arg;
    else if (arg !== null) addr = addressFor(arg, 0, 'arg');
    const fd = this.registerFlag ? this.enterFd : this.res.fd;
    const r = ffi.ioUringRegister(fd, opcode | this.registerFlag, addr, nrArgs);
    if (r < 0) throw new IoUringError(r, 'io_uring_register', `opcode ${opcode}`);
    return r;
  }

  /**
   * io_uring_register_ring_fd(3): register the ring fd with the kernel so
   * every enter (and register, with IORING_FEAT_REG_REG_RING) skips the fd
   * lookup (Linux 5.18). Returns the registered index. New rings do this
   * themselves unless made with `registerRingFd: false`.
   */
  registerRingFd(): number {
    this.checkOpen();
    if (this.enterFlags & IORING_ENTER_REGISTERED_RING) throw new IoUringError(EBUSY, 'io_uring_register', 'the ring fd is already registered');
    const r = this.tryRegisterRingFd();
    if (r < 0) throw new IoUringError(r, 'io_uring_register', 'ring fd');
    return r;
  }

  /** The ring fd's registered index, or -1 when it is not registered. */
  get registeredRingIndex(): number {
    return this.enterFlags & IORING_ENTER_REGISTERED_RING ? this.enterFd : -1;
  }

  private tryRegisterRingFd(): number {
    const upd = new Uint32Array(4);
    upd[0] = 0xffffffff; // offset -1: let the kernel pick a slot
    upd[2] = this.res.fd;
    const r = ffi.ioUringRegister(this.res.fd, IORING_REGISTER_RING_FDS, ffi.addressOf(upd), 1);
    if (r < 0) return r;
    this.enterFd = upd[0]!;
    this.res.regIndex = upd[0]!;
    this.enterFlags |= IORING_ENTER_REGISTERED_RING;
    if (this.features & IORING_FEAT_REG_REG_RING) this.registerFlag = IORING_REGISTER_USE_REGISTERED_RING;
    return upd[0]!;
  }

  /** io_uring_unregister_ring_fd(3). */
  unregisterRingFd(): void {
    this.checkOpen();
    if (!(this.enterFlags & IORING_ENTER_REGISTERED_RING) || this.res.fd < 0) throw new IoUringError(EINVAL, 'io_uring_register', 'the ring fd is not registered');
    const upd = new Uint32Array(4);
    upd[0] = this.enterFd;
    check(ffi.ioUringRegister(this.res.fd, IORING_UNREGISTER_RING_FDS, ffi.addressOf(upd), 1), 'io_uring_register', 'ring fd');
    this.enterFd = this.res.fd;
    this.res.regIndex = -1;
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
   */
  resizeRings(entries: number, options: { cqEntries?: number } = {}): void {
    this.checkOpen();
    if (!Number.isInteger(entries) || entries < 1 || entries > KERN_MAX_ENTRIES) throw new RangeError(`entries must be an integer from 1 to ${KERN_MAX_ENTRIES} (got ${entries})`);
    const cqWanted = checkUint32(options.cqEntries, 'cqEntries');
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
    const old = this.sab;
    this.sab = sab;
    this.sabBase = sabBase;
    this.res.memory = sab;
    this.paramsBytes = params;
    // The old SharedArrayBuffer: the kernel has let go of its pages. It stays
    // alive while stale Sqe/Cqe objects refer to it, as any JS memory does.
    void old;
    this.mapRings(params, sab, sabBase);
  }

  /**
   * Registers memory for `count` registered wait arguments (struct
   * io_uring_reg_wait; IORING_REGISTER_MEM_REGION with
   * IORING_MEM_REGION_REG_WAIT_ARG, Linux 6.13). The kernel takes it only
   * while the ring is still disabled (IORING_SETUP_R_DISABLED): call before
   * enableRings(). Then `setRegWait(i, ...)` fills slot i and
   * `submitAndWaitReg(n, i)` waits with it, the kernel reading the argument
   * from the region instead of copying it in on every wait.
   */
  registerWaitRegion(count: number): void {
    this.checkOpen();
    if (!Number.isInteger(count) || count < 1 || count * io_uring_reg_wait.sizeof > 1 << 20) throw new RangeError(`count must be an integer from 1 to ${(1 << 20) / io_uring_reg_wait.sizeof}`);
    if (this.waitRegion !== null) throw new IoUringError(EBUSY, 'io_uring_register', 'a wait region is already registered');
    const mem = allocAligned(pageRound(count * io_uring_reg_wait.sizeof));
    const desc = new Uint8Array(new ArrayBuffer(io_uring_region_desc.sizeof));
    const dd = new DataView(desc.buffer);
    dd.setBigUint64(io_uring_region_desc.user_addr, BigInt(addressFor(mem, mem.length, 'region')), true);
    dd.setBigUint64(io_uring_region_desc.size, BigInt(mem.length), true);
    dd.setUint32(io_uring_region_desc.flags, IORING_MEM_REGION_TYPE_USER, true);
    const reg = new Uint8Array(new ArrayBuffer(io_uring_mem_region_reg.sizeof));
    const rd = new DataView(reg.buffer);
    rd.setBigUint64(io_uring_mem_region_reg.region_uptr, BigInt(addressFor(desc, desc.length, 'desc')), true);
    rd.setBigUint64(io_uring_mem_region_reg.flags, BigInt(IORING_MEM_REGION_REG_WAIT_ARG), true);
    this.registerRaw(IORING_REGISTER_MEM_REGION, reg, 1);
    // The kernel keeps the pages pinned until the ring goes: so do we.
    this.waitRegion = new Uint32Array(mem.buffer, mem.byteOffset, mem.length >>> 2);
    this.waitSlots = count;
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
    const w = (index * io_uring_reg_wait.sizeof) >>> 2;
    region.fill(0, w, w + (io_uring_reg_wait.sizeof >>> 2));
    if (timeout !== undefined) {
      this.writeTimeout(timeout, 0);
      // ts (struct __kernel_timespec) at 0, from the EXT_ARG scratch timespec.
      region[w] = this.arg[8]!;
      region[w + 1] = this.arg[9]!;
      region[w + 2] = this.arg[10]!;
      region[w + 3] = this.arg[11]!;
      region[w + (io_uring_reg_wait.flags >>> 2)] = IORING_REG_WAIT_TS;
    }
    region[w + (io_uring_reg_wait.min_wait_usec >>> 2)] = checkUint32(minWaitUsec, 'minWaitUsec');
  }

  /**
   * io_uring_submit_and_wait_reg(3): submit, then wait for `waitNr` CQEs with
   * the registered wait argument in slot `index` (IORING_ENTER_EXT_ARG_REG).
   * Returns the first CQE, or null when the slot's timeout passed first.
   */
  submitAndWaitReg(waitNr: number, index: number): Cqe | null {
    this.checkOpen();
    if (this.waitRegion === null) throw new TypeError('no wait region: call registerWaitRegion() first');
    const slots = this.waitSlots;
    if (!Number.isInteger(index) || index < 0 || index >= slots) throw new RangeError(`index must be an integer from 0 to ${slots - 1}`);
    let submit = this.flushSq();
    for (;;) {
      const cqe = this.getCqe(submit, waitCount(waitNr), IORING_ENTER_EXT_ARG | IORING_ENTER_EXT_ARG_REG, true, index * io_uring_reg_wait.sizeof, io_uring_reg_wait.sizeof);
      if (cqe !== this.interrupted) return cqe;
      // A signal: the kernel's timeout is relative to each wait, so waiting
      // again restarts it; that is the documented behaviour of reg waits.
      submit = this.flushSq();
    }
  }

  // ------------------------------------------------------------- sharing

  /**
   * Everything a worker_thread needs to `IoUring.attach()` this ring (a
   * 'shared' ring only). As in liburing, one thread may submit while another
   * reaps, but neither side may be used by two threads at once, and a
   * SINGLE_ISSUER ring accepts enters from its creator only.
   */
  share(): SharedRing {
    this.checkOpen();
    if (this.sab === null) throw new TypeError("share() needs a ring in a SharedArrayBuffer (memory: 'shared')");
    return { fd: this.res.fd, memory: this.sab, base: this.sabBase, params: this.paramsBytes.slice(), flags: this.flags };
  }

  /**
   * A second view of a ring shared by another thread. It does not own the fd:
   * its close() only detaches. Memory its entries name is kept referenced by
   * the side that reaps the final CQE only if that side prepared it, so in a
   * split ring prepare with memory the submitting thread keeps alive itself.
   */
  static attach(shared: SharedRing): IoUring {
    return new IoUring(1, { [ATTACH]: shared } as IoUringOptions);
  }

  // -------------------------------------------------------------- lifecycle

  /** @internal Per-ring state of other modules (lib/ring/held.ts). */
  heldState(): Map<symbol, unknown> {
    return this.res.held;
  }

  /** True once close() has run. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The ring's state as plain data: SQ and CQ indices, flags by name,
   * overflow and dropped counts, the setup flags and features in words.
   * What `util.inspect(ring)` shows. `inFlight` is the entries the kernel
   * has taken less the CQEs handed back: exact while every operation posts
   * one CQE (multishot operations and zero-copy sends post more).
   */
  snapshot(): RingSnapshot {
    const features = Object.entries(featureNames(this.features)).filter(([k, v]) => k !== 'unknown' && v === true).map(([k]) => k);
    const base = { fd: this.fd, memory: this.memory, closed: this.closed, flags: flagNames(this.flags, 'IORING_SETUP_', true), features };
    if (this.closed) return { ...base, sq: null, cq: null, inFlight: 0, kept: 0 };
    const u = this.ringU32;
    const c = this.cqU32;
    const sqHead = Atomics.load(u, this.sqHead);
    const sqTail = u[this.sqTail]!;
    const cqHead = c[this.cqHead]!;
    const cqTail = Atomics.load(c, this.cqTail);
    return {
      ...base,
      sq: {
        head: sqHead,
        tail: sqTail,
        mask: this.sqMask,
        entries: this.sqEntriesN,
        ready: (sqTail - sqHead) >>> 0,
        prepared: (this.sqeTail - this.sqeHead) >>> 0,
        flags: flagNames(Atomics.load(u, this.sqFlags), 'IORING_SQ_', true),
        dropped: this.sqDropped ? u[this.sqDropped]! : 0,
      },
      cq: {
        head: cqHead,
        tail: cqTail,
        mask: this.cqMask,
        entries: this.cqEntriesN,
        ready: (cqTail - cqHead) >>> 0,
        flags: flagNames(this.cqFlags ? c[this.cqFlags]! : 0, 'IORING_CQ_', true),
        overflow: c[this.cqOverflow]!,
      },
      inFlight: (sqHead - cqHead) | 0,
      kept: this.keeps.size,
    };
  }

  /**
   * Reports every SQE this ring publishes (at submit) and every CQE it hands
   * back (at cqAdvance / cqeSeen), decoded, with a performance.now()
   * timestamp, to `listener`; null turns it off. TSURING_TRACE=1 (or =json)
   * in the environment does this for every ring, printing to stderr. A CQE
   * is named by the opcode of the SQE with the same user_data.
   */
  trace(listener: TraceListener | null): void {
    if (listener !== null && typeof listener !== 'function') throw new TypeError('listener must be a function or null');
    this.hook = listener === null ? null : new Tracer(this, listener);
  }

  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectFn: typeof inspect): string {
    if (depth < 0) return options.stylize(`[IoUring fd ${this.fd}]`, 'special');
    return `IoUring ${inspectFn(this.snapshot(), { ...options, depth: options.depth === null ? null : (options.depth ?? 2) + 1 })}`;
  }

  private throwClosed(): never {
    throw new IoUringError(9 /* EBADF */, 'io_uring_enter', 'the ring is closed');
  }

  private checkOpen(): void {
    if (this.closed) this.throwClosed();
  }

  /**
   * io_uring_queue_exit(3). If anything was ever submitted, first cancels
   * every request and waits (up to `timeoutMs`, default 5000) for a drain
   * NOP to complete, so no request is left that could write the ring or the
   * memory its entries name; only then is the fd closed and the memory let
   * go. What could not be drained in time is kept for the life of the
   * process instead. A second close does nothing.
   */
  close(timeoutMs = 5000): void {
    if (this.closed) return;
    const res = this.res;
    let drained = true;
    if (res.used && res.ownsFd && this.enabled) drained = this.drainForClose(timeoutMs);
    this.closed = true;
    this.sqLimit = 0;
    res.closed = true;
    dropped.unregister(this);
    if (!res.ownsFd) return;
    if (drained) {
      this.keeps.clear();
      res.held.clear();
    } else {
      bury(res.memory, this.waitRegion, ...this.keeps.all(), ...res.held.values());
    }
    if (res.regIndex >= 0) unregisterRingIndex(res.regIndex, res.fd);
    if (res.fd >= 0) closeRingFd(res.fd);
    if (drained) holdAfterClose(res.memory);
    this.retireMappings();
  }

  // Cancel everything, then wait for an IOSQE_IO_DRAIN NOP: it starts only
  // once every request submitted before it has completed.
  private drainForClose(timeoutMs: number): boolean {
    const marker = 0xfffffff0 + Math.floor(Math.random() * 15);
    const take = (): Sqe | null => {
      let s = this.getSqe();
      if (s === null) {
        this.submitInternal(this.flushSq(), 0, true);
        s = this.getSqe();
      }
      return s;
    };
    try {
      const cancel = take();
      if (cancel === null) return false;
      this.writeRaw(cancel, IORING_OP_ASYNC_CANCEL, -1, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
      cancel.userDataBig = (0xffffffffn << 32n) | BigInt(marker - 1);
      const nop = take();
      if (nop === null) return false;
      this.writeRaw(nop, IORING_OP_NOP, -1, IOSQE_IO_DRAIN, 0);
      nop.userDataBig = (0xffffffffn << 32n) | BigInt(marker);
      const deadline = performance.now() + timeoutMs;
      let submit = this.flushSq();
      for (;;) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        const cqe = this.waitTimed(submit, 1, left, 0);
        // What the kernel did not take (a restricted ring stops at an entry
        // it refuses) is offered again.
        submit = this.flushSq();
        if (cqe === null) continue;
        // Reap everything ready at once, looking for the drain NOP.
        const u = this.cqU32;
        const n = this.cqReady();
        let done = false;
        let failed = false;
        for (let i = 0; i < n; i++) {
          const w = this.cqeAt(i)!.w;
          if (u[w + 1] === 0xffffffff && u[w] === marker) {
            // A drain NOP the kernel refused (restrictions, -EACCES) proves nothing.
            if ((u[w + 2]! | 0) < 0) failed = true;
            done = true;
          }
        }
        this.cqAdvance(n);
        if (done) return !failed;
      }
    } catch {
      return false;
    }
  }

  private writeRaw(sqe: Sqe, op: number, fd: number, sqeFlags: number, opFlags: number): void {
    const u = this.sqeU32;
    const w = sqe.w;
    for (let i = 0; i < this.sqeWords; i++) u[w + i] = 0;
    u[w] = op | (sqeFlags << 8);
    u[w + 1] = fd;
    u[w + 7] = opFlags;
    if (sqe.kept !== 0) sqe.forget();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
