// Reading LoopRing's CQ: each CQE's user_data (user-data.ts) says whose it
// is, an operation's settles its promise (or feeds its iterator, streams.ts),
// a message goes to messages(), the doorbell's and the library's own are
// counted and dropped. The CQEs are read as words, allocating nothing.
//
// The CQ rarely overflows, and nothing is lost when it does: CQEs the CQ had
// no room for the kernel keeps in order (IORING_FEAT_NODROP, Linux 5.5)
// until reap() flushes them.

import { ERRNO } from '../errno.ts';
import { IORING_CQE_F_MORE, IORING_CQE_F_NOTIF } from '../uapi/constants.ts';
import { abortError, type RingMessage } from './options.ts';
import { Scheduler } from './schedule.ts';
import { CHAIN, LIVE, ZC } from './slots.ts';
import type { Stream } from './streams.ts';
import {
  CANCEL_POS, KIND_DOORBELL, KIND_MESSAGE, KIND_OP, KIND_OWN, generationOf, kindOf, messageOf, positionOf, slotOf,
} from './user-data.ts';

const { ECANCELED } = ERRNO;

/** The CQ side of LoopRing: reap() and what it settles. */
export abstract class Reaper extends Scheduler {
  // CQEs at the head of the CQ already handled but not handed back, and the
  // stream that holds them back (see streams.ts, streamCancelled).
  protected peeked = 0;
  protected starving: Stream | null = null;
  protected starvingSlot = 0;
  private reapQueued = false;
  private readonly reapLater = () => {
    this.reapQueued = false;
    if (this.ring.isClosed) return;
    if (this.deferred) this.ring.getEvents();
    this.reap();
  };

  /** A CQE of a live multishot operation (streams.ts). */
  protected abstract streamCqe(slot: number, st: Stream, res: number, flags: number): void;
  /** The CQE of a cancel of a live multishot operation (streams.ts). */
  protected abstract streamCancelled(slot: number, st: Stream, res: number): void;

  protected reap(): void {
    const ring = this.ring;
    this.reaping = true;
    // At most two CQs' worth a call: CQEs that keep coming as fast as they
    // are read (a multishot timeout of 0 ticks as often as the task enters
    // the kernel) must not keep the loop from turning and the consumer from
    // running. The rest is read after a turn.
    let budget = 2 * this.cqLimit;
    for (;;) {
      let n = ring.cqReady() - this.peeked;
      if (n <= 0) {
        // CQEs the CQ had no room for wait in the kernel's overflow list
        // (IORING_FEAT_NODROP), and the ring fd stays readable until they
        // are flushed into the CQ, in order, as room appears.
        if (!ring.cqHasOverflow()) break;
        this.overflows++;
        if (this.peeked > 0) {
          // Starved full: whatever the kernel had to end is in that list.
          this.starving = null;
          ring.cqAdvance(this.peeked);
          this.peeked = 0;
        }
        ring.getEvents();
        n = ring.cqReady();
        if (n === 0) break;
      }
      if (budget <= 0) {
        this.#queueReap();
        break;
      }
      budget -= n;
      // The CQEs as words: user_data low and high, res, flags.
      const cq = ring.cqes;
      const from = this.peeked;
      for (let i = from; i < from + n; i++) {
        const o = ring.cqeOffset(i);
        const lo = cq[o]!;
        const hi = cq[o + 1]!;
        const kind = kindOf(lo, hi);
        if (kind !== KIND_OP) {
          // The doorbell's POLL_ADD and WRITE, a link timeout, a cancel, a
          // failed encoder's NOP: counted in `expected`. Messages go to
          // messages(); anything else nothing here issued.
          if (kind === KIND_DOORBELL || kind === KIND_OWN) this.expected--;
          else if (kind === KIND_MESSAGE) this.message({ data: messageOf(lo, hi), len: cq[o + 2]! | 0 });
          continue;
        }
        const slot = slotOf(lo);
        const flags = cq[o + 3]!;
        const st = this.streams[slot];
        const position = positionOf(lo);
        const live = generationOf(lo, hi) === this.gens[slot] && (this.bits[slot]! & LIVE) !== 0;
        // Counted: every final CQE, a zero-copy send's result (need() counts
        // two for it), and the cancels of a multishot operation. Not: the
        // CQEs of a multishot operation (room() reserves none), or those
        // with F_MORE of whatever a run() encoder started.
        if (st !== undefined && live ? position === CANCEL_POS : !(flags & IORING_CQE_F_MORE) || (st === undefined && this.bits[slot]! & ZC)) this.expected--;
        // Stale (an earlier use of the slot), or not this ring's at all: a
        // position past the operation's entries is nothing it issued.
        if (!live) continue;
        if (position >= this.chainLens[slot]!) {
          if (position === CANCEL_POS && st !== undefined) this.streamCancelled(slot, st, cq[o + 2]! | 0);
          continue;
        }
        if (st !== undefined) this.streamCqe(slot, st, cq[o + 2]! | 0, flags);
        else this.complete(slot, cq[o + 2]! | 0, flags, position);
      }
      const starving = this.starving;
      if (starving !== null && starving === this.streams[this.starvingSlot] && !ring.cqHasOverflow()) {
        this.peeked += n; // handled, held back: see streamCancelled
      } else {
        this.starving = null;
        ring.cqAdvance(this.peeked + n);
        this.peeked = 0;
      }
    }
    this.reaping = false;
    // Room may have opened for operations that were waiting for it.
    while (this.backlog.length > 0) {
      const w = this.backlog[0]!;
      if (!this.room(w.slot, w.preps.length)) break;
      this.backlog.shift();
      this.issue(w.slot, w.preps, null);
    }
    this.rearmOrIdle();
    if (ring.sqReady() > 0) this.scheduleFlush();
  }

  #queueReap(): void {
    if (this.reapQueued) return;
    this.reapQueued = true;
    setImmediate(this.reapLater);
  }

  private message(m: RingMessage): void {
    if (this.inbox !== null) this.inbox.push(m);
    else this.early.push(m);
  }

  private complete(slot: number, res: number, flags: number, position: number): void {
    const bits = this.bits[slot]!;
    if (bits & CHAIN) {
      const chain = this.chains[slot]!;
      chain[position] = res;
      if (++this.chainDone[slot]! < this.chainLens[slot]!) return;
      this.inflight--;
      const aborted = this.aborted[slot];
      if (aborted !== undefined && chain.includes(-ECANCELED)) this.settle(slot, 0, abortError(aborted), true);
      else if (this.closed && chain.includes(-ECANCELED)) this.settle(slot, 0, this.closedError(slot), true);
      else this.settle(slot, chain as unknown as number, null);
      return;
    }
    if (flags & IORING_CQE_F_MORE) {
      // More CQEs follow, and the operation may still use its memory: it
      // settles on the last one. A zero-copy send keeps its result for then.
      if (bits & ZC && Number.isNaN(this.zcRes[slot])) this.zcRes[slot] = res;
      return;
    }
    if (bits & ZC) {
      const zc = this.zcRes[slot]!;
      if (flags & IORING_CQE_F_NOTIF) {
        res = zc; // the kernel let go of the buffer: settle with the send's result
      } else if (Number.isNaN(zc)) {
        this.expected--; // a zero-copy send that ended without a notification
      }
    }
    this.inflight--;
    if (res >= 0) this.settle(slot, res, null);
    else this.settle(slot, 0, this.failure(slot, res), true);
  }
}
