// How a ring ends without the kernel ever writing memory that has been let
// go: the record of what the kernel may still use once the ring object is
// gone, the finalization registry that keeps a ring dropped without close()
// from leaking its fd or freeing memory under an operation in flight, the
// hold on malloc'd ring memory after close, and close()'s own cancel and
// drain.

import * as ffi from '../../ffi/index.ts';
import {
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_OP_ASYNC_CANCEL, IORING_OP_NOP, IORING_REGISTER_SYNC_CANCEL,
  IORING_REGISTER_USE_REGISTERED_RING, IORING_UNREGISTER_RING_FDS, IOSQE_IO_DRAIN,
} from '../uapi/constants.ts';
import { io_uring_sync_cancel_reg } from '../uapi/layout.ts';
import type { IoUring } from './io-uring.ts';
import { KeepTable } from './keep.ts';
import { retireMapping, unmapWhenCollected, type Mapping } from './mapping.ts';
import { bury } from './memory.ts';
import type { Sqe } from './sqe.ts';
import { closeRingFd } from './thread-exit.ts';

/**
 * What the kernel may still use when the ring object is gone. The
 * finalization registry holds it, not the ring, so it outlives the ring.
 */
export interface RingAssets {
  /** The ring fd, or -1 for a REGISTERED_FD_ONLY ring. */
  fd: number;
  /** The ring fd's registered index, or -1. */
  regIndex: number;
  /** False for a ring attach()ed from another thread: its fd is the other side's. */
  ownsFd: boolean;
  /** Set at the first submit: from then on something may be in flight. */
  used: boolean;
  closed: boolean;
  /** The ring memory, for a ring in a SharedArrayBuffer. */
  memory: SharedArrayBuffer | null;
  /** Our mappings of the kernel's ring pages, for an mmapped ring. */
  maps: Mapping[];
  /** Memory named by entries in flight. */
  keeps: KeepTable;
  /** Per-ring state of other modules (see held.ts): registered buffers, buffer rings. */
  held: Map<symbol, unknown>;
}

/** The assets of a ring just set up (or attached: `ownsFd` false). */
export function ringAssets(fd: number, registeredOnly: boolean, ownsFd: boolean, memory: SharedArrayBuffer | null): RingAssets {
  return {
    fd: registeredOnly ? -1 : fd, regIndex: registeredOnly ? fd : -1, ownsFd, used: false, closed: false, memory, maps: [],
    keeps: new KeepTable(0), held: new Map(),
  };
}

/**
 * Lets go of what a ring dropped without close() held. Also what a failed
 * setup calls, with `used` set when the kernel may hold the memory.
 */
export function releaseAbandoned(a: RingAssets): void {
  if (a.closed || !a.ownsFd) return;
  a.closed = true;
  // Nothing can tell what is still in flight now: if the ring was ever used,
  // its memory and everything its operations named are kept for good.
  if (a.used) {
    bury(a.memory, ...a.keeps.all(), ...a.held.values());
    process.emitWarning('an IoUring with submitted work was garbage-collected without close(); its memory is kept for the life of the process', 'TsuringWarning');
  } else holdAfterClose(a.memory);
  if (a.regIndex >= 0) unregisterRingIndex(a.regIndex, a.fd);
  if (a.fd >= 0) closeRingFd(a.fd);
  // The kernel's own pages stay alive until its requests finish; our mapping
  // of them may go.
  for (const m of a.maps) ffi.munmap(m.addr, m.len);
}

const abandoned = new FinalizationRegistry<RingAssets>(releaseAbandoned);

/** Releases `assets` if `ring` is collected before unwatchRing(ring). */
export function watchRing(ring: object, assets: RingAssets): void {
  abandoned.register(ring, assets, ring);
}

export function unwatchRing(ring: object): void {
  abandoned.unregister(ring);
}

// Ring memory from malloc (ringMemory's fallback) of rings closed in the
// last few seconds: the kernel's teardown, after the close, still writes
// the rings. Memory from a WebAssembly.Memory needs no hold.
const HOLD_AFTER_CLOSE_MS = 5000;
const fromMalloc = new WeakSet<SharedArrayBuffer>();

/** Notes that `memory` came from malloc, so close() holds it for a while. */
export function markFromMalloc(memory: SharedArrayBuffer): void {
  fromMalloc.add(memory);
}

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

/**
 * Replaces our mapping of the kernel's pages with anonymous memory, so an
 * Sqe or Cqe still held somewhere writes into harmless pages rather than
 * faulting; the pages go once the views over them (`ring`, `cq`, `sqes`:
 * the SQ ring, the CQ ring and the SQE array) are collected.
 */
export function retireMappings(a: RingAssets, ring: Uint32Array, cq: Uint32Array, sqes: Uint32Array): void {
  const maps = a.maps;
  for (const m of maps) retireMapping(m);
  if (maps.length > 0) {
    unmapWhenCollected(ring.buffer as ArrayBuffer, maps[0]!);
    if (maps.length === 3) unmapWhenCollected(cq.buffer as ArrayBuffer, maps[1]!);
    unmapWhenCollected(sqes.buffer as ArrayBuffer, maps[maps.length - 1]!);
  }
  a.maps = [];
}

/**
 * The end of close() for the ring that owns the fd: lets go of what its
 * operations named when `drained` (nothing is left in flight), and keeps it,
 * with `extra` memory the kernel was given, for the life of the process
 * otherwise; then closes the fd.
 */
export function releaseClosed(a: RingAssets, drained: boolean, extra: unknown): void {
  if (drained) {
    a.keeps.clear();
    a.held.clear();
  } else {
    bury(a.memory, extra, ...a.keeps.all(), ...a.held.values());
  }
  if (a.regIndex >= 0) unregisterRingIndex(a.regIndex, a.fd);
  if (a.fd >= 0) closeRingFd(a.fd);
  if (drained) holdAfterClose(a.memory);
}

/**
 * Cancels everything, then waits up to `timeoutMs` for an IOSQE_IO_DRAIN
 * NOP: it starts only once every request submitted before it has
 * completed. True when it came back, so nothing can write the ring or the
 * memory its entries name any more.
 */
export function drainForClose(ring: IoUring, timeoutMs: number): boolean {
  const marker = 0xfffffff0 + Math.floor(Math.random() * 15);
  const take = (): Sqe | null => {
    let s = ring.getSqe();
    if (s === null) {
      ring.submitAndGetEvents();
      s = ring.getSqe();
    }
    return s;
  };
  try {
    syncCancelAll(ring);
    const cancel = take();
    if (cancel === null) return false;
    writeRaw(cancel, IORING_OP_ASYNC_CANCEL, -1, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    cancel.userDataBig = (0xffffffffn << 32n) | BigInt(marker - 1);
    const nop = take();
    if (nop === null) return false;
    writeRaw(nop, IORING_OP_NOP, -1, IOSQE_IO_DRAIN, 0);
    nop.userDataBig = (0xffffffffn << 32n) | BigInt(marker);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Each round also offers again what the kernel did not take (a
      // restricted ring stops at an entry it refuses).
      const cqe = ring.submitAndWaitTimeout(1, left);
      if (cqe === null) continue;
      // Reap everything ready at once, looking for the drain NOP.
      const u = ring.cqes;
      const n = ring.cqReady();
      let done = false;
      let failed = false;
      for (let i = 0; i < n; i++) {
        const w = ring.cqeOffset(i);
        if (u[w + 1] === 0xffffffff && u[w] === marker) {
          // A drain NOP the kernel refused (restrictions, -EACCES) proves nothing.
          if ((u[w + 2]! | 0) < 0) failed = true;
          done = true;
        }
      }
      ring.cqAdvance(n);
      if (done) return !failed;
    }
  } catch {
    return false;
  }
}

// IORING_REGISTER_SYNC_CANCEL of everything (Linux 6.0; nothing happens on
// older kernels), before the cancel entry: it reaches what is in flight
// without going through the SQ. That matters while the ring is in drain
// mode (an IOSQE_IO_DRAIN entry seen, and not yet a later one that found
// nothing else in flight): since Linux 6.16 every new entry is then
// deferred until each request allocated on the ring is deferred too
// (io_uring.c, "drain based on allocated reqs"), so a poll armed on
// something that will never fire (AsyncRing's doorbell polls the ring fd
// itself) holds the cancel entry and the drain NOP back for good. Timeout
// { 0, 0 }: what can't be stopped at once (io-wq work) is left to end and
// post its CQE, which the drain NOP waits for.
function syncCancelAll(ring: IoUring): void {
  const arg = new Uint8Array(io_uring_sync_cancel_reg.sizeof);
  const dv = new DataView(arg.buffer);
  dv.setInt32(io_uring_sync_cancel_reg.fd, -1, true);
  dv.setUint32(io_uring_sync_cancel_reg.flags, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL, true);
  try {
    ring.registerRaw(IORING_REGISTER_SYNC_CANCEL, arg, 1);
  } catch {
    // ENOENT (nothing to cancel), ETIME (something still running), EINVAL (before 6.0): the drain NOP decides.
  }
}

// An entry written word by word: the ring layer has no encoders.
function writeRaw(sqe: Sqe, op: number, fd: number, sqeFlags: number, opFlags: number): void {
  const u = sqe.u32;
  const w = sqe.w;
  u.fill(0, w, w + (sqe.size >>> 2));
  u[w] = op | (sqeFlags << 8); // opcode, flags
  u[w + 1] = fd; // fd
  u[w + 7] = opFlags; // cancel_flags / nop_flags
  if (sqe.kept !== 0) sqe.forget();
}
