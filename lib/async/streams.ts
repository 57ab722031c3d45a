// LoopRing's multishot operations (streams), their buffer pools, and the
// messages other rings post: each an async iterator fed by CQEs
// (multishot.ts). A stream holds its slot until its final CQE; when the
// kernel ends it early (its CQE found the CQ full, or the pool ran out of
// buffers) it re-arms itself, and leaving the loop cancels it.

import { release } from 'node:os';
import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import type { Sqe } from '../ring/sqe.ts';
import { IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUFFER, IORING_CQE_F_MORE } from '../uapi/constants.ts';
import { Canceller } from './cancel.ts';
import { BufferPool, MultishotIterator, type Chunk } from './multishot.ts';
import { abortError, type MultishotOptions, type OpOptions, type Prep, type RingMessage } from './options.ts';
import { TIMEOUT } from './slots.ts';
import { CANCEL_POS } from './user-data.ts';

const { ECANCELED, ENOBUFS } = ERRNO;

/**
 * @internal Whether this kernel caps a multishot IORING_OP_RECV at a total
 * of sqe->optlen bytes (Linux 6.17: the arming then ends, without F_MORE,
 * once that much has come). Without the cap, one run of the kernel's
 * receive fills as many buffers as the socket has data for (the whole pool,
 * measured with a 1 MiB burst), before the pause's cancel can land; older
 * kernels refuse a non-zero optlen there with EINVAL.
 */
export const RECV_CAP = kernelAtLeast(6, 17);

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

/** How a multishot operation turns its CQEs into an iterator's values. */
export interface StreamHow<T> {
  // A CQE's value for the iterator, or undefined for none.
  value: (res: number, flags: number) => T | undefined;
  // Re-arm after a final CQE that was not an end (a value, or ENOBUFS)?
  rearm: boolean;
  // True once a final CQE with a value is the natural end (the last tick).
  finished?: () => boolean;
  // Lets go of a value nobody will read.
  discard: (v: T) => void;
  // Values waiting unread past which the operation pauses (default none).
  limit?: number;
  // Each arming takes a bounded number of bytes and then ends with a value
  // (not the end of the stream: re-armed, or parked while paused).
  capped?: boolean;
  pool: BufferPool | null;
  ownPool?: boolean;
  // The fd it reads, for its error (see SlotTable's errorTarget()).
  fd?: number;
}

/** Options of recvMultishot and readMultishot. */
export interface ReceiveOptions extends MultishotOptions {
  /**
   * The buffers to receive into. Without one, the operation gets a pool of
   * its own (`bufferSize` x `buffers`), unregistered when it ends.
   */
  pool?: BufferPool;
  /** Bytes per buffer of an own pool (default 16 KiB). */
  bufferSize?: number;
  /** Buffers in an own pool, a power of two (default 16). */
  buffers?: number;
  /**
   * Chunks received and not yet taken by the loop, at most: once that many
   * wait, receiving pauses (the operation is cancelled in the kernel, so no
   * more buffers are taken) and goes on once the loop has taken them all.
   * What arrived before the cancel landed still comes. Default: no limit
   * but the pool's. A positive integer.
   */
  maxQueued?: number;
}

// A multishot operation: what feeds its iterator from each CQE.
export interface Stream {
  it: MultishotIterator<unknown>;
  value: (res: number, flags: number) => unknown;
  rearm: boolean;
  finished: (() => boolean) | undefined;
  preps: Prep[];
  pool: BufferPool | null;
  ownPool: boolean;
  // This arming has posted a CQE with F_MORE: it was multishot when it ended.
  sawMore: boolean;
  // Re-armed after ENOBUFS, and no value since.
  starved: boolean;
  // The pool's `takes` when it was re-armed after ENOBUFS.
  takes: number;
  // Cancels of it that found nothing while it went on posting (see streamCancelled).
  misses: number;
  // Cancel it again at its next CQE.
  recancel: boolean;
  // Its consumer has `limit` values waiting unread: not re-armed until it
  // has taken them (see pauseStream).
  paused: boolean;
  // A cancel made for the pause is in flight and has not missed.
  pauseCancel: boolean;
  // Cancels made for pauses whose own CQE has not come yet.
  pauseCancels: number;
  // Parked until the consumer catches up.
  pauseParked: boolean;
  capped: boolean;
  // The ring's `overflows` when it was last armed.
  overflows: number;
}

/** Multishot operations, buffer pools and messages. */
export abstract class Streams extends Canceller {
  private readonly pools = new Set<BufferPool>();
  private readonly freeGroups: number[] = [];
  private nextGroup = 0;

  /** Starts a multishot operation whose entry `preps[0]` writes (again at each re-arm). */
  protected stream<T>(name: string, preps: Prep[], opts: MultishotOptions | undefined, how: StreamHow<T>): AsyncIterableIterator<T> {
    let refusal: unknown = null;
    try {
      if ((opts as OpOptions | undefined)?.timeout !== undefined) refusal = new TypeError('a multishot operation takes no linked timeout (it would end it); use signal');
    } catch (err) {
      refusal = err;
    }
    if (refusal !== null) {
      if (how.ownPool) how.pool!.free();
      return failedIterator(refusal);
    }
    let slot = -1;
    const it = new MultishotIterator<T>(
      () => {
        if (slot >= 0) this.stopStream(slot);
      },
      how.discard,
      how.limit,
      () => this.#pauseStream(slot, stream),
      () => this.#resumeStream(slot, stream),
    );
    const stream: Stream = {
      it: it as MultishotIterator<unknown>,
      value: how.value,
      rearm: how.rearm,
      finished: how.finished,
      preps,
      pool: how.pool,
      ownPool: how.ownPool ?? false,
      sawMore: false,
      starved: false,
      takes: 0,
      misses: 0,
      recancel: false,
      paused: false,
      pauseCancel: false,
      pauseCancels: 0,
      pauseParked: false,
      capped: how.capped ?? false,
      overflows: 0,
    };
    if (how.pool !== null) how.pool.users++;
    slot = this.take(name, 0, opts, undefined, 1, how.fd, undefined);
    if (slot < 0) {
      this.endPool(stream);
      it.end(this.takeRefusal());
      return it;
    }
    this.streams[slot] = stream;
    if (this.bits[slot]! & TIMEOUT) {
      // A getter that answered undefined above and a timeout to take().
      this.settle(slot, 0, new TypeError('a multishot operation takes no linked timeout (it would end it); use signal'));
      return it;
    }
    if (opts !== undefined && !this.watchStored(slot)) return it;
    this.enqueue(slot, preps);
    return it;
  }

  // The CQE of a cancel of the multishot operation in `slot`, still live.
  // Found (res > 0): its final CQE follows. Found nothing: it was between two
  // CQEs. A multishot timeout that fired is off the kernel's timeout list
  // until its task work posts the tick and re-arms it, and with an interval
  // of 0 or 1 us it fires again before any cancel arrives (on a DEFER_TASKRUN
  // ring always: the task work runs inside this thread's own io_uring_enter).
  // So: cancel again right after its next CQE; if that misses too, stop
  // handing CQ slots back (starve) until the CQ is full, which ends any
  // multishot operation (its next CQE finds no room; see the iterator's
  // re-arm in streamCqe, skipped once it is stopping).
  protected streamCancelled(slot: number, st: Stream, res: number): void {
    if (st.pauseCancels > 0 && !st.it.returned && this.aborted[slot] === undefined && !this.closed) {
      // A pause's cancel. One that missed (the operation was between two
      // CQEs) is made again at its next CQE while still paused (streamCqe).
      st.pauseCancels--;
      if (res <= 0) st.pauseCancel = false;
      return;
    }
    if (res > 0) return;
    if (++st.misses === 1 || this.starving !== null) {
      st.recancel = true;
    } else {
      this.starving = st;
      this.starvingSlot = slot;
    }
  }

  protected streamCqe(slot: number, st: Stream, res: number, flags: number): void {
    const v = st.value(res, flags);
    if (v !== undefined) {
      st.starved = false;
      st.it.push(v);
    }
    if (flags & IORING_CQE_F_MORE) {
      st.sawMore = true;
      if (st.recancel && this.cancel(this.userData(slot, 0), this.userData(slot, CANCEL_POS))) st.recancel = false;
      else if (st.paused && !st.pauseCancel && !st.it.returned) this.#pauseCancel(slot, st);
      return;
    }
    this.inflight--;
    const stopped = st.it.returned || this.aborted[slot] !== undefined || this.closed;
    // The CQ overflowed since it was armed: its first CQE may have found no
    // room, which ends it as surely as a later one.
    const wasMultishot = st.sawMore || st.overflows !== this.overflows || st.capped;
    st.sawMore = false;
    const pausing = st.pauseCancel;
    st.pauseCancel = false;
    if (!stopped && st.rearm && (st.paused || pausing) && (pausing && res === -ECANCELED || res === -ENOBUFS || (v !== undefined && wasMultishot && !(st.finished?.() ?? false)))) {
      // Ended by the pause's cancel (or by itself meanwhile, after a value
      // or for want of a buffer): wait for the consumer, or, caught up
      // already, go on.
      if (st.paused) this.#parkPaused(slot, st);
      else this.reissue(slot, st);
      return;
    }
    if (!stopped && st.rearm && v !== undefined && wasMultishot && !(st.finished?.() ?? false)) {
      // Ended after a value, having been multishot (the kernel stops one
      // whose CQE did not fit the CQ): not the end of the stream. One that
      // ends on its first value is one-shot on this file (a poll of a
      // regular file): re-arming it would spin, so it ends here.
      this.reissue(slot, st);
      return;
    }
    if (!stopped && res === -ENOBUFS && st.pool !== null && (!st.starved || st.pool.takes !== st.takes)) {
      // Every buffer is out: go on once the consumer releases one. Twice in
      // a row is a wait again when another operation on the same pool took
      // the buffer first (its CQE came before this one); with nothing taken
      // since the re-arm it would mean the pool's count is wrong: then it
      // ends with the error rather than spin.
      st.starved = true;
      this.parked.set(slot, st);
      const pool = st.pool;
      pool.whenAvailable(() => {
        // Only if this stream still waits here: one left or aborted since
        // may have handed the slot to another.
        if (this.parked.get(slot) !== st) return false;
        if (st.paused) {
          st.pauseParked = true; // stays parked: the consumer's catching up re-arms it
          return false;
        }
        this.parked.delete(slot);
        st.takes = pool.takes;
        this.reissue(slot, st);
        return true;
      });
      return;
    }
    // The end: clean at end of stream, after the consumer left, or after
    // the last tick; thrown for an abort, a close, or the kernel's error.
    let error: unknown = null;
    const signal = this.aborted[slot];
    if (st.it.returned) error = null;
    else if (signal !== undefined) error = abortError(signal);
    else if (res < 0 && v === undefined) error = this.failure(slot, res);
    else if (this.closed && st.rearm && v !== undefined && wasMultishot && !(st.finished?.() ?? false)) error = this.closedError(slot); // ended by the kernel, not re-armed for the close
    this.finishStream(slot, st, error, true);
  }

  // The consumer left the loop: cancel in the kernel, or, if the operation
  // is parked waiting for buffers or room, end it here.
  private stopStream(slot: number): void {
    const st = this.streams[slot];
    if (st === undefined || this.closed) return;
    const w = this.backlog.findIndex((x) => x.slot === slot);
    if (w >= 0) {
      this.backlog.splice(w, 1);
      this.finishStream(slot, st, null);
      return;
    }
    if (this.parked.get(slot) === st) {
      this.parked.delete(slot);
      this.finishStream(slot, st, null);
      return;
    }
    this.cancelSlot(slot);
  }

  // The consumer has `limit` values waiting unread: stop taking more (the
  // operation is cancelled in the kernel, or kept from being armed) until it
  // has taken them all. What was received before the cancel lands still
  // comes, so the bound is the limit plus what one wake-up delivers.
  #pauseStream(slot: number, st: Stream): void {
    if (slot < 0 || this.streams[slot] !== st || this.closed || st.it.returned) return;
    st.paused = true;
    if (this.parked.get(slot) === st) return; // waiting for a buffer: stays parked (whenAvailable)
    const w = this.backlog.findIndex((x) => x.slot === slot);
    if (w >= 0) {
      this.backlog.splice(w, 1);
      this.#parkPaused(slot, st);
      return;
    }
    if (!st.pauseCancel) this.#pauseCancel(slot, st);
  }

  // The consumer has taken every value that waited: re-arm if parked for it.
  #resumeStream(slot: number, st: Stream): void {
    if (slot < 0 || this.streams[slot] !== st) return;
    st.paused = false;
    if (!st.pauseParked) return;
    st.pauseParked = false;
    if (this.parked.get(slot) !== st || st.it.returned) return;
    this.parked.delete(slot);
    st.starved = false;
    this.reissue(slot, st);
  }

  #pauseCancel(slot: number, st: Stream): void {
    st.pauseCancel = true;
    st.pauseCancels++;
    this.cancelSlot(slot);
  }

  #parkPaused(slot: number, st: Stream): void {
    st.pauseParked = true;
    this.parked.set(slot, st);
  }

  private reissue(slot: number, st: Stream): void {
    if (this.closed) {
      this.finishStream(slot, st, this.closedError(slot), true);
      return;
    }
    this.enqueue(slot, st.preps);
  }

  protected finishStream(slot: number, st: Stream, error: unknown, late?: boolean): void {
    this.streams[slot] = undefined;
    this.release(slot);
    this.endPool(st);
    st.it.end(error, late);
  }

  private endPool(st: Stream): void {
    if (st.pool === null) return;
    st.pool.users--;
    if (st.ownPool) st.pool.free();
    // It may have been woken for a buffer it never took: the next waiter's.
    else st.pool.wakeOne();
  }

  // A multishot receive into `opts.pool`, or a pool of its own: `prep`
  // writes its entry for buffer group `bgid`; each CQE's buffer becomes a
  // Chunk the consumer releases.
  // `prep` gets the bytes an arming may take in all (maxQueued buffers'
  // worth), or 0 for no cap (see RECV_CAP).
  protected startReceive(name: string, fd: number, opts: ReceiveOptions | undefined, prep: (sqe: Sqe, bgid: number, cap: number) => void): AsyncIterableIterator<Chunk> {
    let pool: BufferPool | undefined;
    let own: boolean;
    let limit: number | undefined;
    try {
      limit = opts?.maxQueued;
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
        return failedIterator(new RangeError(`maxQueued must be a positive integer (got ${typeof limit === 'number' ? limit : typeof limit})`));
      }
      pool = opts?.pool;
      own = pool === undefined;
      if (pool !== undefined) {
        if (!(pool instanceof BufferPool) || !this.ownsPool(pool)) return failedIterator(new TypeError('pool must be a BufferPool of this AsyncRing'));
      } else {
        pool = this.bufferPool({ size: opts?.bufferSize, count: opts?.buffers });
      }
    } catch (err) {
      return failedIterator(err);
    }
    const p = pool;
    const cap = limit !== undefined ? Math.min(limit * p.size, 0xffffffff) : 0;
    return this.stream<Chunk>(name, [(sqe) => prep(sqe, p.bgid, cap)], opts, {
      value: (res, flags) => {
        if (!(flags & IORING_CQE_F_BUFFER)) return undefined;
        const chunk = p.take(flags >>> IORING_CQE_BUFFER_SHIFT, res > 0 ? res : 0);
        if (res > 0) return chunk;
        chunk.release(); // a buffer with nothing in it: straight back
        return undefined;
      },
      rearm: true,
      discard: (c) => c.release(),
      limit,
      capped: cap > 0 && name === 'recvMultishot' && RECV_CAP,
      pool: p,
      ownPool: own,
      fd,
    });
  }
  /**
   * A pool of `count` (a power of two) provided buffers of `size` bytes, as
   * one buffer group, to share between recvMultishot and readMultishot
   * operations. It lives until this ring closes.
   */
  bufferPool(options: { size?: number; count?: number } = {}): BufferPool {
    if (this.closed) throw new IoUringError(ECANCELED, 'bufferPool', undefined, 'the AsyncRing is closed');
    const size = options.size ?? 16384;
    const count = options.count ?? 16;
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 31) throw new RangeError(`size must be an integer from 1 to 2^31 (got ${size})`);
    const bgid = this.freeGroups.pop() ?? this.nextGroup++;
    if (bgid > 0xffff) throw new RangeError('every buffer group id is taken');
    let pool: BufferPool;
    try {
      pool = new BufferPool(this.ring, bgid, size, count, (g) => {
        this.pools.delete(pool);
        this.freeGroups.push(g);
      });
    } catch (err) {
      this.freeGroups.push(bgid);
      throw err;
    }
    this.pools.add(pool);
    return pool;
  }

  /** @internal Is `pool` one of this ring's? */
  protected ownsPool(pool: BufferPool): boolean {
    return this.pools.has(pool);
  }

  /**
   * Messages other rings posted here with msgRing, in order. Messages that
   * arrive while nobody iterates are kept for the next iteration. While a
   * loop waits on it, the process stays alive. One loop at a time.
   */
  messages(): AsyncIterableIterator<RingMessage> {
    // Like every iterator here, a refusal is thrown by the first next(), not by this call.
    if (this.inbox !== null && !this.inbox.returned) return failedIterator(new TypeError('messages() is already being iterated'));
    const it = new MultishotIterator<RingMessage>(() => {
      if (this.inbox === it) {
        this.inbox = null;
        it.end(null);
        this.scheduleFlush();
      }
    }, () => {});
    this.inbox = it;
    for (const m of this.early.splice(0)) it.push(m);
    if (this.closed) it.end(null);
    else this.scheduleFlush(); // the flush's reap arms the waker for it
    return it;
  }
}

// An iterator that throws `err` on its first next(): how a multishot
// operation refused before it started reports it.
export function failedIterator<T>(err: unknown): AsyncIterableIterator<T> {
  const it = new MultishotIterator<T>(() => {}, () => {});
  it.end(err);
  return it;
}
