// AsyncRing: io_uring inside Node's event loop. Each operation is a promise;
// operations started in the same turn of the loop go to the kernel in one
// io_uring_enter (a setImmediate flushes the SQ), the CQ is reaped right
// after every submit (page-cache reads and NOPs complete inline) and
// whenever the waker says completions arrived. No helper thread, no busy
// loop, no libuv threadpool.
//
// When to flush: an operation that completes inline settles its promise
// during the flush, and code awaiting it starts the next one at once.
// Flushed from a microtask each time, such a loop never leaves the microtask
// queue and starves timers and I/O (measured: a setTimeout never fired under
// 32 looping readers); flushed from setImmediate each time, every awaited
// operation costs a turn of the event loop. So the first few flushes of a
// turn are microtasks, and after FLUSHES_PER_TURN the rest of the turn's
// work waits for setImmediate, which lets the loop turn.
//
// user_data is `(generation * 64 + position) * 2^20 + slot`: the slot says
// whose promise a CQE settles, the position which entry of a chain it is (0
// for a lone operation), and the generation (modulo 2^27) that a CQE, or a
// cancel, from an earlier use of the slot is stale. Slot 0 is the library's
// own: link timeouts and cancels post CQEs under it, reaped and ignored.

import { IoUringError } from '../errors.ts';
import { IoUring, type IoUringOptions, type Timeout } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { prepRw } from '../prep/rw.ts';
import { prepFsync, prepNop, prepRead, prepReadv, prepWrite, prepWritev } from '../prep/rw.ts';
import { makeTimespec, prepTimeout } from '../prep/timeout.ts';
import { addressFor } from '../ring/memory.ts';
import {
  IORING_ASYNC_CANCEL_USERDATA, IORING_CQE_F_MORE, IORING_OP_ASYNC_CANCEL, IORING_OP_LINK_TIMEOUT,
  IORING_SETUP_DEFER_TASKRUN, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { __kernel_timespec } from '../uapi/layout.ts';
import { createWaker, DOORBELL_POLL_DATA, DOORBELL_WRITE_DATA, type Waker } from './waker.ts';

const SLOT_BITS = 20;
const SLOT_SPAN = 1 << SLOT_BITS;
const SLOT_MASK = SLOT_SPAN - 1;
const MAX_CHAIN = 64;
const FLUSHES_PER_TURN = 16;
const GEN_SPAN = 2 ** 27;
const ECANCELED = 125;
const ETIME = 62;

export interface AsyncRingOptions extends IoUringOptions {
  /** SQ entries (default 256). */
  entries?: number;
  /** How completions wake the loop: 'auto' (default), 'poll' or 'doorbell'. */
  waker?: 'auto' | 'poll' | 'doorbell';
}

/** Options every operation takes. */
export interface OpOptions {
  /** Cancels the operation in the kernel; the promise rejects with an AbortError once the kernel has let go. */
  signal?: AbortSignal;
  /** A linked timeout (IORING_OP_LINK_TIMEOUT): past it the operation is cancelled and rejects with ETIME. */
  timeout?: Timeout;
  /** Objects to keep referenced until the operation's final CQE (memory its entry points at). */
  keep?: readonly unknown[];
}

type Prep = (sqe: Sqe) => void;

// An operation waiting for room in the SQ or CQ.
interface Waiting {
  slot: number;
  preps: Prep[];
  opts: OpOptions | undefined;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const err = new DOMException('The operation was aborted', 'AbortError');
  if (reason !== undefined) Object.defineProperty(err, 'cause', { value: reason });
  return err;
}

/** A ring driven by Node's event loop, with a promise per operation. */
export class AsyncRing implements AsyncDisposable {
  /** The ring underneath, for what this layer does not wrap. */
  readonly ring: IoUring;
  private readonly waker: Waker;
  private readonly deferred: boolean;
  // Per slot: the promise's settle functions, the operation's name (for
  // errors), the current generation, and how many CQEs a chain still awaits.
  private readonly resolves: (((v: number) => void) | undefined)[] = [];
  private readonly rejects: (((e: unknown) => void) | undefined)[] = [];
  private readonly names: string[] = [];
  private readonly gens: number[] = [];
  private readonly aborted: (AbortSignal | undefined)[] = [];
  private readonly hasTimeout: boolean[] = [];
  private readonly chainLens: number[] = [];
  private readonly chainDone: number[] = [];
  private readonly listeners: ((() => void) | undefined)[] = [];
  private readonly chains: (number[] | undefined)[] = [];
  private readonly free: number[] = [];
  // CQEs the kernel may still post for what is in flight: kept at or under
  // the CQ size so the CQ never overflows.
  private expected = 0;
  private readonly cqLimit: number;
  private inflight = 0;
  private readonly backlog: Waiting[] = [];
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  // Set the moment close() is called, before it submits its cancels.
  private closed = false;
  private readonly flushFn = () => this.flush();

  constructor(options: AsyncRingOptions = {}) {
    const { entries = 256, waker = 'auto', ...ringOptions } = options;
    this.ring = new IoUring(entries, ringOptions);
    this.deferred = (this.ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
    this.cqLimit = this.ring.cqEntries;
    try {
      this.waker = createWaker(this.ring, () => this.onWake(), waker);
    } catch (err) {
      this.ring.close();
      throw err;
    }
    this.newSlot(); // slot 0: the library's own entries
  }

  /** Operations started and not yet settled. */
  get pending(): number {
    return this.inflight + this.backlog.length;
  }

  // ------------------------------------------------------------- operations

  /** IORING_OP_NOP: resolves with 0. */
  nop(opts?: OpOptions): Promise<number> {
    return this.start('nop', [prepNop], opts);
  }

  /** IORING_OP_READ: pread(2) into `buf` (all of it, or `length` bytes); resolves with the byte count. `offset` -1 reads at the file position. */
  read(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('read', [(sqe) => prepRead(sqe, fd, buf, n, offset)], opts);
  }

  /** IORING_OP_WRITE: pwrite(2) from `buf`; resolves with the byte count. */
  write(fd: number, buf: ArrayBufferView, offset = -1, opts?: OpOptions & { length?: number }): Promise<number> {
    const n = opts?.length ?? buf?.byteLength;
    return this.start('write', [(sqe) => prepWrite(sqe, fd, buf, n, offset)], opts);
  }

  /** IORING_OP_READV: preadv(2) into `bufs`; resolves with the byte count. */
  readv(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.start('readv', [(sqe) => prepReadv(sqe, fd, bufs, offset)], opts);
  }

  /** IORING_OP_WRITEV: pwritev(2) from `bufs`; resolves with the byte count. */
  writev(fd: number, bufs: readonly ArrayBufferView[], offset = -1, opts?: OpOptions): Promise<number> {
    return this.start('writev', [(sqe) => prepWritev(sqe, fd, bufs, offset)], opts);
  }

  /** IORING_OP_FSYNC: fsync(2), or fdatasync(2) with `{ datasync: true }`. */
  fsync(fd: number, opts?: OpOptions & { datasync?: boolean }): Promise<number> {
    return this.start('fsync', [(sqe) => prepFsync(sqe, fd, opts?.datasync ? 1 : 0)], opts);
  }

  /**
   * IORING_OP_TIMEOUT: resolves (with 0) once `ms` (or { sec, nsec }) has
   * passed; the kernel's -ETIME is the expected outcome, not an error.
   */
  timeout(ms: Timeout, opts?: OpOptions): Promise<number> {
    return this.start('timeout', [(sqe) => prepTimeout(sqe, ms)], opts).catch((err: unknown) => {
      if (err instanceof IoUringError && err.errno === -ETIME) return 0;
      throw err;
    });
  }

  /**
   * Any encoder as an awaited operation: `prep` fills the SQE (user_data is
   * the ring's), `keep` names memory to hold until the final CQE. Resolves
   * with the CQE's res; a negative res rejects with IoUringError whose
   * syscall is `name`.
   */
  run(prep: Prep, opts?: OpOptions & { name?: string }): Promise<number> {
    return this.start(opts?.name ?? 'io_uring op', [prep], opts);
  }

  /**
   * Several operations as one IOSQE_IO_LINK chain: each starts when the one
   * before it succeeded. Resolves with every res in order, failures as
   * -errno: after the first failure the rest are -ECANCELED. Rejects only for
   * a bad argument or a closed ring. `opts.signal` cancels the chain.
   */
  chain(preps: readonly Prep[], opts?: OpOptions): Promise<number[]> {
    if (!Array.isArray(preps) || preps.length === 0) return Promise.reject(new TypeError('chain needs a non-empty array of encoders'));
    if (preps.length > MAX_CHAIN || preps.length + 3 > this.ring.sqEntries) {
      return Promise.reject(new RangeError(`a chain has at most ${Math.min(MAX_CHAIN, this.ring.sqEntries - 3)} entries here (got ${preps.length})`));
    }
    return this.start('chain', [...preps], opts, true) as unknown as Promise<number[]>;
  }

  // --------------------------------------------------------------- engine

  private start(name: string, preps: Prep[], opts: OpOptions | undefined, isChain = false): Promise<number> {
    if (this.closed) return Promise.reject(new IoUringError(ECANCELED, name, undefined, 'the AsyncRing is closed'));
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const slot = this.free.pop() ?? this.newSlot();
    this.names[slot] = name;
    this.hasTimeout[slot] = opts?.timeout !== undefined;
    this.chainLens[slot] = preps.length;
    this.chainDone[slot] = 0;
    this.aborted[slot] = undefined;
    this.chains[slot] = isChain ? [] : undefined;
    const promise = new Promise<number>((resolve, reject) => {
      this.resolves[slot] = resolve;
      this.rejects[slot] = reject;
    });
    // Watch the signal before issuing: an encoder that throws settles the
    // slot at once, and settle() must find the listener to remove.
    if (signal !== undefined) this.watch(slot, signal);
    const need = preps.length + (opts?.timeout !== undefined ? 1 : 0);
    if (this.backlog.length > 0 || !this.fits(need)) {
      this.backlog.push({ slot, preps, opts });
    } else {
      this.issue(slot, preps, opts);
    }
    this.scheduleFlush();
    return promise;
  }

  private newSlot(): number {
    const slot = this.gens.length;
    if (slot >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN - 1} operations pending`);
    this.gens.push(0);
    this.resolves.push(undefined);
    this.rejects.push(undefined);
    this.names.push('');
    this.aborted.push(undefined);
    this.hasTimeout.push(false);
    this.chainLens.push(0);
    this.chainDone.push(0);
    this.listeners.push(undefined);
    this.chains.push(undefined);
    return slot;
  }

  private userData(slot: number, position = 0): number {
    return (this.gens[slot]! * MAX_CHAIN + position) * SLOT_SPAN + slot;
  }

  // Room for `need` more SQEs, and for their CQEs in the CQ, with two of
  // each held back for the doorbell waker's POLL_ADD and WRITE.
  private fits(need: number): boolean {
    return this.expected + need + 2 <= this.cqLimit && this.ring.sqSpaceLeft() >= need + 2;
  }

  // Arms the waker, counting the CQEs a doorbell's entries will post.
  private arm(): void {
    this.expected += this.waker.arm();
  }

  private issue(slot: number, preps: Prep[], opts: OpOptions | undefined): void {
    const ud = this.userData(slot);
    const n = preps.length;
    const link = opts?.timeout !== undefined;
    let failed: unknown = null;
    for (let i = 0; i < n; i++) {
      const sqe = this.ring.getSqe()!;
      try {
        preps[i]!(sqe);
      } catch (err) {
        // The entry stays the NOP getSqe made it, under the library's own
        // user_data; earlier links of a chain become a harmless prefix.
        failed = err;
        sqe.userData = 0;
        for (let j = i + 1; j < n; j++) this.ring.getSqe()!.userData = 0;
        this.expected += n;
        break;
      }
      if (opts?.keep) for (const k of opts.keep) sqe.keep(k);
      sqe.userData = ud + i * SLOT_SPAN;
      if (i < n - 1 || link) sqe.flags |= IOSQE_IO_LINK;
    }
    if (failed !== null) {
      // The prefix already prepared may run: its CQEs arrive under user_data
      // 0 or under `ud` (then ignored: the slot's generation moves on).
      this.settle(slot, 0, failed);
      return;
    }
    if (link) {
      const t = this.ring.getSqe()!;
      const ts = makeTimespec(opts!.timeout!);
      prepRw(IORING_OP_LINK_TIMEOUT, t, -1, addressFor(ts, __kernel_timespec.sizeof, 'timeout'), 1, 0);
      t.keep(ts);
      t.userData = 0;
    }
    this.expected += n + (link ? 1 : 0);
    this.inflight++;
  }

  private watch(slot: number, signal: AbortSignal): void {
    const gen = this.gens[slot];
    const onAbort = () => {
      if (this.gens[slot] !== gen || this.resolves[slot] === undefined) return;
      this.aborted[slot] = signal;
      // Still waiting for room: it never reached the kernel.
      const w = this.backlog.findIndex((x) => x.slot === slot);
      if (w >= 0) {
        this.backlog.splice(w, 1);
        this.settle(slot, 0, abortError(signal));
        return;
      }
      this.cancelSlot(slot);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.listeners[slot] = () => signal.removeEventListener('abort', onAbort);
  }

  // Cancels every entry of the operation in `slot` (each link of a chain has
  // its own user_data; cancelling the running one fails the rest).
  private cancelSlot(slot: number): void {
    const n = this.chains[slot] !== undefined ? this.chainLens[slot]! : 1;
    for (let i = 0; i < n; i++) this.cancel(this.userData(slot, i));
  }

  // An ASYNC_CANCEL of `ud`; its own CQE is the library's.
  private cancel(ud: number): void {
    if (!this.fits(1)) {
      // The SQ is full of what is being submitted: submit first.
      this.flush();
    }
    const sqe = this.ring.getSqe();
    if (sqe === null) return;
    prepRw(IORING_OP_ASYNC_CANCEL, sqe, -1, ud, 0, 0);
    sqe.rwFlags = IORING_ASYNC_CANCEL_USERDATA | 1; // IORING_ASYNC_CANCEL_ALL: every entry under ud
    sqe.userData = 0;
    this.expected++;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    if (this.flushesThisTurn === 0) setImmediate(this.newTurn);
    if (++this.flushesThisTurn <= FLUSHES_PER_TURN) queueMicrotask(this.flushFn);
    else setImmediate(this.flushFn);
  }

  // Microtask flushes since the loop last turned (see FLUSHES_PER_TURN).
  private flushesThisTurn = 0;
  private readonly newTurn = () => {
    this.flushesThisTurn = 0;
  };

  // Submit what this tick prepared, reap what completed inline, and leave the
  // waker armed while anything is in flight.
  private flush(): void {
    this.flushQueued = false;
    if (this.ring.isClosed) return;
    if (this.ring.sqReady() > 0) {
      if (this.inflight > 0) this.arm(); // the doorbell rides along with this submit
      this.ring.submit();
    }
    this.reap();
  }

  private onWake(): void {
    if (this.ring.isClosed) return;
    if (this.deferred) this.ring.getEvents();
    this.reap();
  }

  private reap(): void {
    const ring = this.ring;
    for (;;) {
      const n = ring.cqReady();
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        const cqe = ring.cqeAt(i)!;
        this.expected--;
        const ud = cqe.userData;
        if (ud === 0 || ud === DOORBELL_POLL_DATA || ud === DOORBELL_WRITE_DATA) continue;
        const slot = ud & SLOT_MASK;
        const high = Math.floor(ud / SLOT_SPAN);
        if (Math.floor(high / MAX_CHAIN) !== this.gens[slot] || this.resolves[slot] === undefined) continue; // stale
        this.complete(slot, cqe.res, cqe.flags, high % MAX_CHAIN);
      }
      ring.cqAdvance(n);
    }
    // Room may have opened for operations that were waiting for it.
    while (this.backlog.length > 0) {
      const w = this.backlog[0]!;
      if (!this.fits(w.preps.length + (w.opts?.timeout !== undefined ? 1 : 0))) break;
      this.backlog.shift();
      this.issue(w.slot, w.preps, w.opts);
    }
    if (this.inflight > 0) this.arm();
    else this.waker.disarm();
    if (ring.sqReady() > 0) this.scheduleFlush();
  }

  private complete(slot: number, res: number, flags: number, position: number): void {
    const chain = this.chains[slot];
    if (chain !== undefined) {
      chain[position] = res;
      if (++this.chainDone[slot]! < this.chainLens[slot]!) return;
      this.inflight--;
      const aborted = this.aborted[slot];
      if (aborted !== undefined && chain.includes(-ECANCELED)) this.settle(slot, 0, abortError(aborted));
      else if (this.closed && chain.includes(-ECANCELED)) this.settle(slot, 0, this.closedError(slot));
      else this.settle(slot, chain as unknown as number, null);
      return;
    }
    if (flags & IORING_CQE_F_MORE) return; // not final (multishot, zero-copy send)
    this.inflight--;
    if (res >= 0) {
      this.settle(slot, res, null);
      return;
    }
    const signal = this.aborted[slot];
    if (signal !== undefined && (res === -ECANCELED || res === -4 /* EINTR */)) {
      this.settle(slot, 0, abortError(signal));
    } else if (res === -ECANCELED && this.closed) {
      this.settle(slot, 0, this.closedError(slot));
    } else if (res === -ECANCELED && this.hasTimeout[slot]) {
      this.settle(slot, 0, new IoUringError(-ETIME, this.names[slot]!, undefined, 'the operation was cancelled when its linked timeout expired'));
    } else {
      this.settle(slot, 0, new IoUringError(res, this.names[slot]!));
    }
  }

  private closedError(slot: number): IoUringError {
    return new IoUringError(-ECANCELED, this.names[slot]!, undefined, 'the AsyncRing was closed before the operation completed');
  }

  private settle(slot: number, value: number, error: unknown): void {
    const resolve = this.resolves[slot]!;
    const reject = this.rejects[slot]!;
    this.resolves[slot] = undefined;
    this.rejects[slot] = undefined;
    this.chains[slot] = undefined;
    this.aborted[slot] = undefined;
    const off = this.listeners[slot];
    if (off !== undefined) {
      off();
      this.listeners[slot] = undefined;
    }
    this.gens[slot] = (this.gens[slot]! + 1) % GEN_SPAN;
    this.free.push(slot);
    if (error !== null) reject(error);
    else resolve(value);
    if (this.inflight === 0 && this.drained !== null) this.drained();
  }

  // Set while close() waits for the last in-flight operation.
  private drained: (() => void) | null = null;

  // ------------------------------------------------------------- lifecycle

  /**
   * Cancels everything in flight and waits for the kernel to let go of it:
   * each pending promise rejects with a "closed" IoUringError (ECANCELED)
   * after its final CQE; then the ring's fd and memory are released. A
   * second close returns the first's promise.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const w of this.backlog.splice(0)) {
        this.settle(w.slot, 0, new IoUringError(ECANCELED, this.names[w.slot]!, undefined, 'the AsyncRing was closed before the operation started'));
      }
      if (this.inflight > 0) {
        for (let slot = 1; slot < this.gens.length; slot++) {
          if (this.resolves[slot] !== undefined && !this.backlog.some((w) => w.slot === slot)) this.cancelSlot(slot);
        }
        const done = new Promise<void>((r) => (this.drained = r));
        this.flush();
        await done;
      }
      // The ring fd may be closed only after libuv let go of its watcher.
      await this.waker.close();
      this.ring.close();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
