// Cancelling LoopRing's operations: an AbortSignal watched per operation,
// and the two ways to reach one in the kernel, an ASYNC_CANCEL entry or,
// while an IOSQE_IO_DRAIN entry may hold the SQ back and in close(),
// IORING_REGISTER_SYNC_CANCEL. A multishot operation that re-arms faster
// than a cancel finds it is ended by letting the CQ fill (streams.ts,
// streamCancelled).

import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import { prepCancel64 } from '../prep/cancel.ts';
import { IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_USERDATA, IORING_REGISTER_SYNC_CANCEL } from '../uapi/constants.ts';
import { io_uring_sync_cancel_reg } from '../uapi/layout.ts';
import { abortError } from './options.ts';
import { Reaper } from './reap.ts';
import { CHAIN, OPTS, SIGNAL } from './slots.ts';
import { CANCEL_POS, OWN_DATA, userDataHi, userDataLo } from './user-data.ts';

const { ETIME, EINVAL, EALREADY } = ERRNO;

/** Cancels: an operation's AbortSignal, and what close() and the streams cancel. */
export abstract class Canceller extends Reaper {
  // struct io_uring_sync_cancel_reg for #syncCancel(), made once; null once
  // the kernel has said it has no synchronous cancel (before Linux 6.0).
  // fd -1 (no IORING_ASYNC_CANCEL_FD); timeout { 0, 0 }: a match the kernel
  // can't stop at once (running in io-wq, signalled) is left to post its
  // CQE, instead of blocking the event loop until it does.
  private syncArg: Uint8Array | null = new Uint8Array(new ArrayBuffer(io_uring_sync_cancel_reg.sizeof));
  private readonly syncWords = new Uint32Array(this.syncArg!.buffer);

  constructor(...args: ConstructorParameters<typeof Reaper>) {
    super(...args);
    new DataView(this.syncArg!.buffer).setInt32(io_uring_sync_cancel_reg.fd, -1, true);
  }

  // Watches the signal take() stored, if any; false (the slot settled with
  // the error) when the signal-like object's addEventListener throws.
  protected watchStored(slot: number): boolean {
    const signal = this.bits[slot]! & OPTS ? this.signals[slot] : undefined;
    if (signal === undefined) return true;
    try {
      this.watch(slot, signal);
      return true;
    } catch (err) {
      this.settle(slot, 0, err);
      return false;
    }
  }

  private watch(slot: number, signal: AbortSignal): void {
    const gen = this.gens[slot];
    const onAbort = () => {
      if (this.gens[slot] !== gen || !this.live(slot)) return;
      this.aborted[slot] = signal;
      // Still waiting for room (or for buffers): it is not in the kernel.
      const w = this.backlog.findIndex((x) => x.slot === slot);
      if (w >= 0) {
        this.backlog.splice(w, 1);
        this.settle(slot, 0, abortError(signal), true);
        return;
      }
      if (this.parked.delete(slot)) {
        this.settle(slot, 0, abortError(signal), true);
        return;
      }
      this.cancelSlot(slot);
      if (this.drains > 0) this.#recancel(slot, gen, 2);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.listeners[slot] = () => signal.removeEventListener('abort', onAbort);
    this.bits[slot] = this.bits[slot]! | SIGNAL;
  }

  // Neither kind of cancel finds an entry the kernel holds in its drain
  // queue, and once the drain lets it go, the entry and the ASYNC_CANCEL
  // queued behind it may be issued in either order (seen on a DEFER_TASKRUN
  // ring under load: the read was armed after its cancel had missed, and
  // waited for ever). So an operation aborted while a drain may be in
  // flight is cancelled again, at growing intervals, for as long as it lives.
  #recancel(slot: number, gen: number | undefined, ms: number): void {
    setTimeout(() => {
      if (this.gens[slot] !== gen || !this.live(slot) || this.closed || this.ring.isClosed) return;
      this.cancelSlot(slot);
      this.#recancel(slot, gen, Math.min(ms * 2, 1000));
    }, ms).unref();
  }

  // Cancels every entry of the operation in `slot` (each link of a chain has
  // its own user_data; cancelling the running one fails the rest).
  //
  // An ASYNC_CANCEL entry goes through the SQ, and behind an IOSQE_IO_DRAIN
  // entry whose predecessors never complete the kernel holds every later
  // entry, the cancel included. So while a drain may be in flight, and in
  // close(), the cancel is made with IORING_REGISTER_SYNC_CANCEL, which
  // bypasses the SQ (io_sync_cancel in io_uring/cancel.c), once what is
  // prepared has been submitted. Neither kind finds an entry the kernel still
  // holds in its drain queue (cancel.c looks in io-wq, poll, waitid, futex
  // and timeouts only): for one the synchronous cancel misses, an
  // ASYNC_CANCEL entry follows it into that queue and finds it once it runs.
  // `syncOnly` (close()'s later sweeps) queues no entry.
  protected cancelSlot(slot: number, syncOnly = false): void {
    const sync = (this.closed || this.drains > 0) && this.syncArg !== null && !this.reaping;
    if (sync && this.ring.sqReady() > 0) {
      const gen = this.gens[slot];
      this.flush();
      if (this.gens[slot] !== gen || !this.live(slot)) return;
    }
    const n = this.bits[slot]! & CHAIN ? this.chainLens[slot]! : 1;
    const own = this.streams[slot] !== undefined ? this.userData(slot, CANCEL_POS) : OWN_DATA;
    for (let i = 0; i < n; i++) {
      if (sync && this.#syncCancel(slot, i)) continue;
      if (!syncOnly) this.cancel(this.userData(slot, i), own);
    }
  }

  // IORING_REGISTER_SYNC_CANCEL of the first entry of `slot` at `position`:
  // true when the kernel found it (its CQE follows, or it is running in
  // io-wq and has been signalled), false when it did not (or has no
  // synchronous cancel).
  #syncCancel(slot: number, position: number): boolean {
    const arg = this.syncArg!;
    const u = this.syncWords; // addr (u64, words 0 and 1): the user_data to match
    const gen = this.gens[slot]!;
    u[0] = userDataLo(gen, slot, position);
    u[1] = userDataHi(gen);
    try {
      this.ring.registerRaw(IORING_REGISTER_SYNC_CANCEL, arg, 1);
      return true;
    } catch (err) {
      const errno = err instanceof IoUringError ? -err.errno : 0;
      if (errno === EINVAL) this.syncArg = null; // no such registration (before Linux 6.0)
      return errno === EALREADY || errno === ETIME;
    }
  }

  // An ASYNC_CANCEL of every entry under `ud`; its CQE comes under `own`
  // (the library's OWN_DATA, or a multishot operation's CANCEL_POS, whose
  // result streamCancelled reads).
  protected cancel(ud: number, own: number = OWN_DATA): boolean {
    if (this.ring.sqSpaceLeft() < 1) {
      if (this.reaping) return false;
      this.flush(); // the SQ is full of what is being submitted: submit first
    }
    const sqe = this.ring.getSqe();
    if (sqe === null) return false;
    prepCancel64(sqe, ud, IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_ALL); // res counts what it found
    sqe.userData = own;
    this.expected++;
    this.scheduleFlush();
    return true;
  }
}
