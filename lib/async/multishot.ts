// What AsyncRing's multishot operations hand out: an async iterator fed by
// CQEs, and for receives a pool of provided buffers whose chunks the
// consumer releases.
//
// The iterator queues values that arrive before they are asked for (an
// accept loop that is busy elsewhere loses no connection) and ends on the
// operation's final CQE: done at end of stream or after the consumer left,
// thrown when the kernel ended it with an error. `return()` (what leaving a
// for-await loop calls) cancels the operation and resolves only once its
// final CQE is in, so after the loop nothing of it is left in the kernel.

import { rejectWithCallerFrames } from '../errors.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { bufRingAdd, bufRingAdvance, freeBufRing, setupBufRing, type BufRing } from '../register/buf-ring.ts';

interface Waiter<T> {
  resolve: (r: IteratorResult<T>) => void;
  reject: (e: unknown) => void;
}

function noop(): void {}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;

/**
 * An async iterator over a multishot operation's completions. Leave the
 * loop (break, return, throw) and the operation is cancelled; the loop's
 * exit waits for the kernel to let go of it.
 */
export class MultishotIterator<T> implements AsyncIterableIterator<T> {
  private values: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  private readonly endWaiters: (() => void)[] = [];
  private ended = false;
  private error: unknown = null;
  // The error was made away from the consumer's call (a CQE, a close): its
  // stack is taken again from the loop that awaits it (rejectWithCallerFrames).
  private late = false;
  private left = false;
  // `limit` values wait unread: the operation was told to pause.
  private full = false;

  /**
   * @internal `stop` cancels the operation; `discard` lets go of a value
   * nobody will read (recycles a buffer, closes an accepted fd). Once
   * `limit` values wait unread, `pause` is called, and `resume` once the
   * consumer has taken them all.
   */
  constructor(
    private readonly stop: () => void,
    private readonly discard: (v: T) => void,
    private readonly limit = Infinity,
    private readonly pause: () => void = noop,
    private readonly resume: () => void = noop,
  ) {}

  /** True once the consumer has left the loop. */
  get returned(): boolean {
    return this.left;
  }

  /** True once the operation's final completion is in. */
  get done(): boolean {
    return this.ended;
  }

  /** @internal a completion's value */
  push(v: T): void {
    if (this.left) {
      this.discard(v);
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve({ value: v, done: false });
      return;
    }
    this.values.push(v);
    if (!this.full && this.values.length - this.head >= this.limit) {
      this.full = true;
      this.pause();
    }
  }

  /** @internal the final completion: `error` null for a clean end; `late` as LoopRing's settle() */
  end(error: unknown, late = false): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.left) {
      this.error = error;
      this.late = late;
    }
    if (this.head === this.values.length) this.settleWaiters();
    for (const r of this.endWaiters.splice(0)) r();
  }

  private settleWaiters(): void {
    for (const w of this.waiters.splice(0)) {
      if (this.error !== null) {
        const e = this.error;
        this.error = null;
        if (this.late) rejectWithCallerFrames(w.resolve as (v: unknown) => void, e);
        else w.reject(e);
      } else {
        w.resolve(DONE);
      }
    }
  }

  /** The next completion's value; done once the operation has ended (its last CQE has no IORING_CQE_F_MORE). */
  next(): Promise<IteratorResult<T>> {
    if (this.head < this.values.length) {
      const value = this.values[this.head++]!;
      if (this.head === this.values.length) {
        this.values = [];
        this.head = 0;
        if (this.full) {
          this.full = false;
          this.resume();
        }
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended || this.left) {
      if (this.error !== null) {
        const e = this.error;
        this.error = null;
        if (this.late) return new Promise((resolve) => rejectWithCallerFrames(resolve as (v: unknown) => void, e));
        return Promise.reject(e);
      }
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Cancels the operation; resolves done once the kernel has let go of it. What `break` calls. */
  return(): Promise<IteratorResult<T>> {
    if (!this.left) {
      this.left = true;
      this.error = null;
      for (let i = this.head; i < this.values.length; i++) this.discard(this.values[i]!);
      this.values = [];
      this.head = 0;
      for (const w of this.waiters.splice(0)) w.resolve(DONE);
      if (!this.ended) this.stop();
    }
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.endWaiters.push(() => resolve(DONE)));
  }

  /** The iterator itself, for `for await`. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * One received chunk: `data` is a view into a provided buffer. Call
 * `release()` (or `using`) when done with it: that hands the buffer back to
 * the kernel, which will write the next receive into it, so the view must
 * not be read after. Copy what must outlive the release.
 */
export class Chunk {
  /** The bytes received. */
  readonly data: Uint8Array;
  /** The provided buffer's id within its pool. */
  readonly bid: number;
  private pool: BufferPool | null;

  /** @internal */
  constructor(pool: BufferPool, bid: number, data: Uint8Array) {
    this.pool = pool;
    this.bid = bid;
    this.data = data;
  }

  /** @internal The whole provided buffer `data` is the start of (a view made once per buffer), or null once released. */
  get whole(): Uint8Array | null {
    return this.pool === null ? null : this.pool.viewOf(this.bid);
  }

  /** True once released. */
  get released(): boolean {
    return this.pool === null;
  }

  /** Hands the buffer back for the next receive. A second call does nothing. */
  release(): void {
    const pool = this.pool;
    if (pool === null) return;
    this.pool = null;
    pool.recycle(this.bid);
  }

  /** release(), for `using chunk = ...`. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * `count` buffers of `size` bytes in a provided-buffer ring (one buffer
 * group) registered with an AsyncRing's ring, for recvMultishot and
 * readMultishot. The memory is one ArrayBuffer, kept by the buffer ring
 * while registered and by every chunk handed out, so no receive can land in
 * memory the collector took back.
 */
export class BufferPool {
  /** Bytes per buffer. */
  readonly size: number;
  /** Buffers in the pool. */
  readonly count: number;
  /** The buffer group id operations name. */
  readonly bgid: number;
  private readonly br: BufRing;
  private readonly views: Uint8Array[] = [];
  private out = 0;
  // Operations that ran dry, in the order they did, from `starvingHead` on.
  // Each buffer that comes back wakes one. Waking them all re-armed every
  // starving receive for each buffer: at 10,000 connections on 1,024
  // buffers most of them failed again at once, and the server did 15 K
  // requests/s against node's 48 K (bench/net.ts --conns 10000). But a
  // receive can run dry with no bytes waiting (the kernel picks its buffer
  // before it tries the socket): re-armed, it waits for bytes and leaves the
  // buffer in the ring, so a turn later the buffers still free go to as many
  // more (recheck), until none waits or none is free.
  private readonly starving: ((() => boolean) | undefined)[] = [];
  private starvingHead = 0;
  private recheckQueued = false;
  /** @internal multishot operations using it now */
  users = 0;
  /** @internal buffers taken by completions so far (see streamCqe's ENOBUFS) */
  takes = 0;
  private freed = false;

  /** @internal made by AsyncRing.bufferPool */
  constructor(ring: IoUring, bgid: number, size: number, count: number, private readonly onFree: (bgid: number) => void) {
    this.size = size;
    this.count = count;
    this.bgid = bgid;
    // The memory first: an allocation that fails must leave no buffer group
    // registered, or every later pool and receive on the ring gets EEXIST.
    const memory = new Uint8Array(new ArrayBuffer(size * count));
    this.br = setupBufRing(ring, count, bgid);
    try {
      for (let bid = 0; bid < count; bid++) {
        const v = memory.subarray(bid * size, (bid + 1) * size);
        this.views.push(v);
        bufRingAdd(this.br, v, bid, this.br.mask, bid);
      }
      bufRingAdvance(this.br, count);
    } catch (err) {
      freeBufRing(ring, this.br);
      throw err;
    }
  }

  /** Buffers the kernel can fill now (not handed out, not held in chunks). */
  get available(): number {
    return this.count - this.out;
  }

  /** @internal a completion's buffer, `len` bytes of it filled */
  take(bid: number, len: number): Chunk {
    this.out++;
    this.takes++;
    return new Chunk(this, bid, this.views[bid]!.subarray(0, len));
  }

  /** @internal buffer `bid`, whole: the same view each time */
  viewOf(bid: number): Uint8Array {
    return this.views[bid]!;
  }

  /** @internal a buffer back from a consumer (or never shown to one) */
  recycle(bid: number): void {
    this.out--;
    if (this.freed) return;
    bufRingAdd(this.br, this.views[bid]!, bid, this.br.mask, 0);
    bufRingAdvance(this.br, 1);
    this.wakeOne();
  }

  /**
   * @internal calls `fn` once a buffer is there for it (an operation ran
   * dry): now if one is and nothing waits before it, else when one comes
   * back and the operations before it have had theirs. `fn` says whether it
   * took the wake (re-armed); one that didn't passes it on to the next.
   */
  whenAvailable(fn: () => boolean): void {
    if (this.available > 0 && this.starvingHead === this.starving.length) fn();
    else this.starving.push(fn);
  }

  /**
   * @internal Wakes the next operation waiting for a buffer, if one is
   * free: for a buffer that came back, or one a re-armed operation ended
   * without taking.
   */
  wakeOne(): void {
    if (this.available > 0 && this.wakeNext()) this.queueRecheck();
  }

  // Wakes waiters until one takes the wake; false when none did.
  private wakeNext(): boolean {
    while (this.starvingHead < this.starving.length) {
      const fn = this.starving[this.starvingHead]!;
      this.starving[this.starvingHead++] = undefined;
      if (this.starvingHead === this.starving.length) {
        this.starving.length = 0;
        this.starvingHead = 0;
      }
      if (fn()) return true;
    }
    return false;
  }

  private queueRecheck(): void {
    if (this.recheckQueued || this.starvingHead === this.starving.length) return;
    this.recheckQueued = true;
    setImmediate(this.recheck);
  }

  // A turn after a wake, with the woken receives armed: as many waiters as
  // buffers are still free.
  private readonly recheck = (): void => {
    this.recheckQueued = false;
    if (this.freed) return;
    let woke = false;
    for (let n = this.available; n > 0 && this.wakeNext(); n--) woke = true;
    if (woke) this.queueRecheck();
  };

  /** True once unregistered: chunks still held stay readable. */
  get isFreed(): boolean {
    return this.freed;
  }

  /** @internal unregisters the buffer group; only once no operation uses it */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.starving.length = 0;
    this.starvingHead = 0;
    if (!this.br.ring.isClosed) freeBufRing(this.br.ring, this.br);
    this.onFree(this.bgid);
  }
}
