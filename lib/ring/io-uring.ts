// The ring: io_uring_setup, the shared SQ and CQ, and liburing's queue API
// (src/setup.c, src/queue.c, src/register.c and the inline helpers of
// liburing.h), with the names camelCased and `io_uring_` dropped.
//
// Ring memory is a SharedArrayBuffer handed to the kernel with
// IORING_SETUP_NO_MMAP (Linux 6.5+) where the kernel takes it, so the rings are
// ordinary JS memory that a worker_thread can attach; elsewhere the ring fd is
// mmapped and wrapped with views. Either way this object owns the memory and
// never lets it go while the kernel may still write it.
//
// IoUring is built in layers, a file each, each class extending the one
// before it:
//   sq.ts        SubmissionQueue  getSqe(s), flush and submit, io_uring_enter
//   cq.ts        CompletionQueue  peek, the waits and their timeouts, forEachCqe, cqAdvance
//   register.ts  RingRegister     the ring fd, enableRings, resizeRings, the wait region
//   io-uring.ts  IoUring          setup, share and attach, snapshot, close
// and the cold parts are plain functions of their own modules: options.ts
// (what the constructor takes), setup.ts (the memory, io_uring_setup and its
// flag fallback, the views), lifetime.ts (what outlives the object, close's
// drain), timespec.ts (the one Timeout), memory-order.ts, hook.ts. Layers
// rather than objects the ring forwards to: every field is on the one ring
// object and every SQ and CQ method is an ordinary method of it, so getSqe,
// submit, forEachCqe and cqAdvance reach their state with no indirection.
//
// `ring.trace(listener)` is added by lib/debug/trace.ts, above this layer
// (see hook.ts).

import { inspect, type InspectOptionsStylized } from 'node:util';
import * as ffi from '../../ffi/index.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import { IORING_SETUP_REGISTERED_FD_ONLY } from '../uapi/constants.ts';
import { flagNames } from '../uapi/names.ts';
import { newRingHook, type RingHook } from './hook.ts';
import { drainForClose, releaseAbandoned, releaseClosed, retireMappings, ringAssets, unwatchRing, watchRing } from './lifetime.ts';
import { ATTACH, checkRequest, type IoUringOptions, type SharedRing } from './options.ts';
import { RingRegister } from './register.ts';
import { setup, type SetupResult } from './setup.ts';
import { adoptRingFd, inWorker, WORKER_ADOPT_NOTE } from './thread-exit.ts';

const { ENOSYS } = ERRNO;

/** A ring's state at one moment: `ring.snapshot()`. */
export interface RingSnapshot {
  /** The ring's fd. */
  fd: number;
  /** Where the rings live: a SharedArrayBuffer, or the kernel's mmapped pages. */
  memory: 'shared' | 'mmap';
  /** Whether close() has run. */
  closed: boolean;
  /** IORING_SETUP_* flags, without the prefix. */
  flags: string[];
  /** IORING_FEAT_* the kernel has, without the prefix. */
  features: string[];
  /** null once closed. `ready`: published, not yet taken; `prepared`: got, not yet published. */
  sq: {
    /** The kernel's SQ head: the next entry it will take. */ head: number;
    /** The SQ tail the process last published. */ tail: number;
    /** entries - 1. */ mask: number;
    /** The SQ size. */ entries: number;
    /** Published, not yet taken. */ ready: number;
    /** Got with getSqe, not yet published. */ prepared: number;
    /** IORING_SQ_* flags, without the prefix. */ flags: string[];
    /** Entries the kernel dropped as invalid. */ dropped: number;
  } | null;
  /** null once closed. `ready`: CQEs posted and not yet seen. */
  cq: {
    /** The CQ head: the next CQE to reap. */ head: number;
    /** The kernel's CQ tail. */ tail: number;
    /** entries - 1. */ mask: number;
    /** The CQ size. */ entries: number;
    /** Posted, not yet seen. */ ready: number;
    /** IORING_CQ_* flags, without the prefix. */ flags: string[];
    /** CQEs the kernel could not post (overflow count). */ overflow: number;
  } | null;
  /** Entries the kernel has taken less the CQEs handed back. */
  inFlight: number;
  /** Entries whose memory the ring keeps until their final CQE. */
  kept: number;
}

/**
 * A liburing `struct io_uring`: one ring, its SQ and CQ. Its waits
 * (waitCqe, waitCqes, submitAndWait and the rest) block the calling thread
 * inside io_uring_enter, event loop and all, and one with no timeout waits
 * forever for completions that never come, as in C; AsyncRing is the ring
 * driven from the event loop.
 */
export class IoUring extends RingRegister implements Disposable {
  /**
   * io_uring_queue_init_params(3): a ring of `entries` SQEs (rounded up to a
   * power of two; at most 32768 unless IORING_SETUP_CLAMP).
   *
   * Differs from liburing: takes the io_uring_params fields as options, and
   * registers the ring fd unless `registerRingFd: false` (never in a
   * worker_thread, where it would outlive the fd Node closes at the end).
   */
  constructor(entries: number, options: IoUringOptions = {}) {
    const request = checkRequest(entries, options);
    const loadErr = ffi.loadError();
    if (loadErr !== null) throw new IoUringError(ENOSYS, 'io_uring_setup', loadErr);
    const attach = (options as { [ATTACH]?: SharedRing })[ATTACH];
    const made: SetupResult = attach === undefined
      ? setup(entries, options, request)
      : { fd: attach.fd, flags: attach.flags, sab: attach.memory, sabBase: attach.base, params: attach.params, dropped: [] };
    const regOnly = (made.flags & IORING_SETUP_REGISTERED_FD_ONLY) !== 0;
    const assets = ringAssets(made.fd, regOnly, attach === undefined, made.sab);
    super(made, assets);
    this.remap(made.params, made.sab, made.sabBase);
    if (attach === undefined) {
      watchRing(this, assets);
      // In a worker_thread, a ring whose fd Node can't close at the end is not made.
      const adopted = regOnly ? 0 : adoptRingFd(made.fd);
      if (adopted < 0) {
        unwatchRing(this);
        releaseAbandoned(assets);
        throw new IoUringError(adopted, 'io_uring_setup', 'ring fd', WORKER_ADOPT_NOTE);
      }
      // Not in a worker_thread: the registration would keep the ring alive
      // past the close of its fd at the worker's end (thread-exit.ts).
      if (options.registerRingFd !== false && !regOnly && !inWorker) this.tryRegisterRingFd();
    } else {
      this.continueAtTail();
      // Reaping only, in a worker_thread: what it submitted would name the
      // worker's memory, freed at terminate() under a ring that lives on.
      if (inWorker) {
        this.reapOnly = true;
        this.sqLimit = 0;
      }
    }
    this.hook = newRingHook(this);
  }

  /**
   * Everything a worker_thread needs to `IoUring.attach()` this ring (a
   * 'shared' ring only). As in liburing, one thread may submit while another
   * reaps, but neither side may be used by two threads at once, and a
   * SINGLE_ISSUER ring accepts enters from its creator only.
   */
  share(): SharedRing {
    this.checkOpen();
    if (this.sab === null) throw new TypeError("share() needs a ring in a SharedArrayBuffer (memory: 'shared')");
    return { fd: this.assets.fd, memory: this.sab, base: this.sabBase, params: this.paramsBytes.slice(), flags: this.flags };
  }

  /**
   * A second view of a ring shared by another thread. It does not own the fd:
   * its close() only detaches. Memory its entries name is kept referenced by
   * the side that reaps the final CQE only if that side prepared it, so in a
   * split ring prepare with memory the submitting thread keeps alive itself.
   * Attached in a worker_thread it only reaps: getSqe() and getSqes() throw
   * EPERM there, as the worker's memory would be freed at its terminate()
   * under a ring that lives on.
   */
  static attach(shared: SharedRing): IoUring {
    return new IoUring(1, { [ATTACH]: shared } as IoUringOptions);
  }

  /** @internal Per-ring state of other modules (lib/ring/held.ts). */
  heldState(): Map<symbol, unknown> {
    return this.assets.held;
  }

  /** @internal Installs the hook told of published SQEs and handed-back CQEs (null: none). */
  setHook(hook: RingHook | null): void {
    this.hook = hook;
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
    // Feature bits the pinned header does not name are left out.
    const features = flagNames(this.features, 'IORING_FEAT_', true).filter((name) => !name.startsWith('0x'));
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

  /** What `util.inspect(ring)` and `console.log(ring)` print: the {@link IoUring.snapshot}. */
  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectFn: typeof inspect): string {
    if (depth < 0) return options.stylize(`[IoUring fd ${this.fd}]`, 'special');
    return `IoUring ${inspectFn(this.snapshot(), { ...options, depth: options.depth === null ? null : (options.depth ?? 2) + 1 })}`;
  }

  /**
   * io_uring_queue_exit(3). If anything was ever submitted, first cancels
   * every request and waits (up to `timeoutMs`, default 5000) for a drain
   * NOP to complete, so no request is left that could write the ring or the
   * memory its entries name; only then is the fd closed and the memory let
   * go. What could not be drained in time is kept for the life of the
   * process instead. A second close does nothing.
   *
   * Differs from liburing: cancels and drains before closing, where
   * io_uring_queue_exit closes at once.
   */
  close(timeoutMs = 5000): void {
    if (this.closed) return;
    const a = this.assets;
    let drained = true;
    if (a.used && a.ownsFd && this.enabled) drained = drainForClose(this, timeoutMs);
    this.closed = true;
    this.sqLimit = 0;
    a.closed = true;
    unwatchRing(this);
    if (!a.ownsFd) return;
    releaseClosed(a, drained, this.waitRegion);
    retireMappings(a, this.ringU32, this.cqU32, this.sqeU32);
  }

  /** close(), for `using ring = new IoUring(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
