// io_uring_setup and the ring's memory (liburing's src/setup.c): the memory
// handed to the kernel, the setup flags tried for speed and dropped where
// the kernel refuses them, and the views of the rings built from the
// io_uring_params the kernel filled in.

import * as ffi from '../../ffi/index.ts';
import { checkOptionalU32 } from '../check.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import {
  IORING_FEAT_SINGLE_MMAP, IORING_OFF_CQ_RING, IORING_OFF_SQES, IORING_OFF_SQ_RING,
  IORING_SETUP_CQE32, IORING_SETUP_NO_MMAP, IORING_SETUP_NO_SQARRAY, IORING_SETUP_REGISTERED_FD_ONLY, IORING_SETUP_SQE128,
} from '../uapi/constants.ts';
import { io_cqring_offsets, io_sqring_offsets, io_uring_params } from '../uapi/layout.ts';
import { ADDRESS_SPACE_NOTE, addressSpaceLow } from './address-space.ts';
import { markFromMalloc, releaseAbandoned, type RingAssets } from './lifetime.ts';
import { inWorker, WORKER_RING_NOTE } from './thread-exit.ts';
import { mapShared, type Mapping } from './mapping.ts';
import { KERN_MAX_CQ_ENTRIES, KERN_MAX_ENTRIES, roundupPow2, type IoUringOptions, type RingRequest } from './options.ts';

const PAGE = 4096;
// liburing's KRING_SIZE: the struct io_rings header before the CQEs. A page of
// slack is added on top, since the header is a cache line or two depending on
// the machine, and the kernel pins as much as it computes.
const KRING_SIZE = 64;
const { EINVAL, ENOMEM, EPERM } = ERRNO;

export function pageRound(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

const WASM_PAGE = 65536;
const WORKER_MEMORY_NOTE =
  'a shared WebAssembly.Memory could not be had (the address space is limited: a ulimit -v), and a worker_thread may not put its ring in ' +
  "malloc's memory, which worker.terminate() gives back while the kernel may still write it; raise the limit, or make the ring on the main thread";
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
 * be page-aligned, and close() holds it for a while (lifetime.ts); in a
 * worker_thread, which gives such memory back when it ends, it is refused.
 */
function ringMemory(bytes: number): SharedArrayBuffer {
  const pages = Math.ceil(bytes / WASM_PAGE);
  try {
    return new WasmMemory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch {
    // A worker_thread can't hold malloc's memory past its end: terminated,
    // it gives it back while the kernel's teardown may still write there.
    if (inWorker) throw new IoUringError(ENOMEM, 'io_uring_setup', 'ring memory', WORKER_MEMORY_NOTE);
    const sab = new SharedArrayBuffer(bytes + 2 * PAGE);
    markFromMalloc(sab);
    return sab;
  }
}

/**
 * Memory for a ring the kernel will use in place (IORING_SETUP_NO_MMAP), in
 * liburing's io_uring_alloc_huge layout: the SQEs first, page-rounded, then
 * the rings, in one SharedArrayBuffer aligned to a page. Writes the two
 * user_addr fields of the io_uring_params in `pv`.
 */
export function allocShared(sq: number, cq: number, flags: number, pv: DataView): { sab: SharedArrayBuffer; sabBase: number } {
  const sqesBytes = pageRound(sq * ((flags & IORING_SETUP_SQE128) ? 128 : 64));
  const ringBytes = KRING_SIZE + cq * ((flags & IORING_SETUP_CQE32) ? 32 : 16) + ((flags & IORING_SETUP_NO_SQARRAY) ? 0 : sq * 4);
  const sab = ringMemory(sqesBytes + pageRound(ringBytes));
  const addr = ffi.addressOf(new Uint8Array(sab));
  const sabBase = pageRound(addr) - addr;
  pv.setBigUint64(io_uring_params.sq_off + io_sqring_offsets.user_addr, BigInt(addr + sabBase), true);
  pv.setBigUint64(io_uring_params.cq_off + io_cqring_offsets.user_addr, BigInt(addr + sabBase + sqesBytes), true);
  return { sab, sabBase };
}

/** A ring as io_uring_setup made it (or as another thread shares it). */
export interface SetupResult {
  fd: number;
  flags: number;
  /** The ring memory, or null for an mmapped ring. */
  sab: SharedArrayBuffer | null;
  /** Where in `sab` the ring memory starts (the first page boundary). */
  sabBase: number;
  /** struct io_uring_params as the kernel filled it in. */
  params: Uint8Array;
  /** Setup flags tried for speed and refused, by name. */
  dropped: string[];
}

/**
 * io_uring_setup with the library's own optimisations (a SharedArrayBuffer
 * ring via NO_MMAP, and NO_SQARRAY) tried first and dropped if the kernel
 * refuses them (retried without, and named in droppedFlags). A flag
 * the caller asked for is never dropped: the kernel's refusal is thrown.
 */
export function setup(entries: number, options: IoUringOptions, { userFlags, flagsBase, cqWanted }: RingRequest): SetupResult {
  const mode = options.memory ?? 'auto';
  if (mode !== 'auto' && mode !== 'shared' && mode !== 'mmap') throw new TypeError(`memory must be 'auto', 'shared' or 'mmap' (got ${String(mode)})`);
  // A worker_thread's ring lives in its memory, never in a mapping of the
  // ring fd, and has an fd Node can close (thread-exit.ts).
  if (inWorker && mode === 'mmap') throw new RangeError(`memory: 'mmap' is refused: ${WORKER_RING_NOTE}`);
  if (inWorker && (userFlags & IORING_SETUP_REGISTERED_FD_ONLY)) throw new IoUringError(EPERM, 'io_uring_setup', 'IORING_SETUP_REGISTERED_FD_ONLY', WORKER_RING_NOTE);
  const needShared = mode === 'shared' || inWorker || (userFlags & (IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY)) !== 0;
  if (needShared && mode === 'mmap') throw new RangeError("memory: 'mmap' contradicts IORING_SETUP_NO_MMAP / REGISTERED_FD_ONLY");
  const sqThreadCpu = checkOptionalU32(options.sqThreadCpu, 'sqThreadCpu');
  const sqThreadIdle = checkOptionalU32(options.sqThreadIdle, 'sqThreadIdle');
  const wqFd = checkOptionalU32(options.wqFd, 'wqFd');
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
    if (fd !== -EINVAL || k === attempts.length - 1) {
      // A kernel without NO_MMAP (before 6.5) can't give a worker_thread a ring it may keep.
      const why = inWorker && fd === -EINVAL && mode === 'auto' ? `a worker_thread's ring needs IORING_SETUP_NO_MMAP (Linux 6.5): ${WORKER_RING_NOTE}` : undefined;
      throw new IoUringError(fd, 'io_uring_setup', `flags 0x${flags.toString(16)}`, why);
    }
    if (attempts[k]! & IORING_SETUP_NO_SQARRAY) refused.add('NO_SQARRAY');
    if (attempts[k]! & IORING_SETUP_NO_MMAP && !needShared) refused.add('NO_MMAP');
  }
  throw new Error('unreachable');
}

/**
 * The views of a ring's memory and the word index of each ring field in
 * them (from io_sqring_offsets and io_cqring_offsets).
 */
export interface RingLayout {
  sqEntries: number;
  cqEntries: number;
  /** The SQ ring as 32-bit words; with IORING_FEAT_SINGLE_MMAP the CQ ring too. */
  ringU32: Uint32Array;
  /** The CQ ring as 32-bit words (ringU32 itself where the rings share memory). */
  cqU32: Uint32Array;
  /** The SQE array as 32-bit words. */
  sqeU32: Uint32Array;
  sqHead: number;
  sqTail: number;
  sqFlags: number;
  sqDropped: number;
  sqMask: number;
  cqHead: number;
  cqTail: number;
  cqOverflow: number;
  cqFlags: number;
  /** The first CQE's word in cqU32. */
  cqeBase: number;
  cqMask: number;
  /** Words an SQE: 16, or 32 with IORING_SETUP_SQE128. */
  sqeWords: number;
  /** Words a CQE: 4, or 8 with IORING_SETUP_CQE32. */
  cqeWords: number;
  /** Our mappings of the kernel's pages: SQ ring, CQ ring (unless single), SQEs. Empty for a ring in a SharedArrayBuffer. */
  maps: Mapping[];
}

/**
 * The views of the rings, from io_uring_params as the kernel filled it in:
 * at setup, and again after IORING_REGISTER_RESIZE_RINGS. With a
 * SharedArrayBuffer the SQEs sit at its start and the rings after them;
 * otherwise the kernel's pages are mmapped from `fd` (liburing's
 * io_uring_mmap). On failure `assets` are released as a dropped ring's
 * would be (at setup: the fd is closed).
 */
export function mapRings(params: Uint8Array, sab: SharedArrayBuffer | null, sabBase: number, flags: number, features: number, fd: number, assets: RingAssets): RingLayout {
  const pv = new DataView(params.buffer, params.byteOffset, params.byteLength);
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
  const maps: Mapping[] = [];
  if (sab !== null) {
    const sqesOff = Number(pv.getBigUint64(io_uring_params.cq_off + io_cqring_offsets.user_addr, true) - pv.getBigUint64(io_uring_params.sq_off + io_sqring_offsets.user_addr, true));
    ringBuf = cqBuf = sqeBuf = sab;
    ringOff = sabBase + sqesOff;
    sqeOffset = sabBase;
    // The kernel's layout must fit in what it was given (it pinned that much).
    const need = Math.max(co(io_cqring_offsets.cqes) + cqEntries * cqeBytes, (flags & IORING_SETUP_NO_SQARRAY) ? 0 : so(io_sqring_offsets.array) + sqEntries * 4);
    if (ringOff + need > sab.byteLength) {
      assets.used = true; // nothing ran, but be safe with what the kernel holds
      releaseAbandoned(assets);
      throw new IoUringError(EINVAL, 'io_uring_setup', `the kernel's ring layout (${need} bytes) is larger than the memory computed for it`);
    }
  } else {
    let sqRingSz = so(io_sqring_offsets.array) + sqEntries * 4;
    let cqRingSz = co(io_cqring_offsets.cqes) + cqEntries * cqeBytes;
    const single = (features & IORING_FEAT_SINGLE_MMAP) !== 0;
    if (single) sqRingSz = cqRingSz = Math.max(sqRingSz, cqRingSz);
    const mapOrFail = (len: number, off: number): number => {
      const a = mapShared(fd, len, off);
      if (a < 0) {
        for (const m of maps) ffi.munmap(m.addr, m.len);
        if (assets.maps.length === 0) releaseAbandoned(assets);
        throw new IoUringError(a, 'mmap', `ring region at 0x${off.toString(16)}`);
      }
      maps.push({ addr: a, len });
      return a;
    };
    const sqRing = mapOrFail(sqRingSz, IORING_OFF_SQ_RING);
    const cqRing = single ? sqRing : mapOrFail(cqRingSz, IORING_OFF_CQ_RING);
    const sqes = mapOrFail(sqEntries * sqeBytes, IORING_OFF_SQES);
    ringBuf = ffi.view(sqRing, sqRingSz);
    cqBuf = single ? ringBuf : ffi.view(cqRing, cqRingSz);
    ringOff = 0;
    sqeBuf = ffi.view(sqes, sqEntries * sqeBytes);
    sqeOffset = 0;
  }

  const ringU32 = new Uint32Array(ringBuf, ringOff, (ringBuf.byteLength - ringOff) >>> 2);
  const cqU32 = cqBuf === ringBuf ? ringU32 : new Uint32Array(cqBuf);
  // Directly map SQ slots to SQEs, as liburing does.
  if (!(flags & IORING_SETUP_NO_SQARRAY)) {
    const arr = so(io_sqring_offsets.array) >>> 2;
    for (let i = 0; i < sqEntries; i++) ringU32[arr + i] = i;
  }
  return {
    sqEntries,
    cqEntries,
    ringU32,
    cqU32,
    sqeU32: new Uint32Array(sqeBuf, sqeOffset, (sqEntries * sqeBytes) >>> 2),
    sqHead: so(io_sqring_offsets.head) >>> 2,
    sqTail: so(io_sqring_offsets.tail) >>> 2,
    sqFlags: so(io_sqring_offsets.flags) >>> 2,
    sqDropped: so(io_sqring_offsets.dropped) >>> 2,
    sqMask: ringU32[so(io_sqring_offsets.ring_mask) >>> 2]!,
    cqHead: co(io_cqring_offsets.head) >>> 2,
    cqTail: co(io_cqring_offsets.tail) >>> 2,
    cqOverflow: co(io_cqring_offsets.overflow) >>> 2,
    cqFlags: co(io_cqring_offsets.flags) >>> 2,
    cqeBase: co(io_cqring_offsets.cqes) >>> 2,
    cqMask: cqU32[co(io_cqring_offsets.ring_mask) >>> 2]!,
    sqeWords: sqeBytes >>> 2,
    cqeWords: cqeBytes >>> 2,
    maps,
  };
}
