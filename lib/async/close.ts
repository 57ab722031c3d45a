// Shutting a LoopRing: close() cancels what is in flight and waits for the
// kernel to let go of it, then closes the waker and the ring fd; a ring
// collected idle without close() is closed the same way (`dropped`). The
// fd stays open while another thread is mid-send to this ring (the message
// cell), so its number can't be reused and reached by a message meant for
// this one. What no cancel reaches (an entry in the kernel's drain queue
// that will never leave it: see CLOSE_GRACE_MS) close() gives up on after a
// bounded wait, and keeps its memory for the life of the process
// (#abandon()).

import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { bury } from '../ring/memory.ts';
import type { AsyncRingOptions } from './options.ts';
import { Streams } from './streams.ts';
import type { Waker } from './waker.ts';

const { ECANCELED } = ERRNO;

/**
 * How long close() waits, after cancelling, for the kernel to let go of
 * every operation before it gives up on the rest (#abandon()). Most end in
 * microseconds; io-wq work is signalled by the cancel and ends in
 * milliseconds. What is left by then may never end while the ring is open:
 * since Linux 6.16 (io_uring.c: "drain based on allocated reqs") an entry
 * deferred for IOSQE_IO_DRAIN leaves the drain queue only once every request
 * allocated on the ring is in that queue, and a zero-copy send allocates its
 * notification request when it is prepared, before it is deferred
 * (io_send_zc_prep, io_alloc_notif in notif.c), and that request is never
 * counted as queued. So a SEND_ZC or SENDMSG_ZC submitted while the ring is
 * in drain mode (ctx->drain_active: from an IOSQE_IO_DRAIN entry until a
 * later entry finds nothing else in flight) waits there forever, and so does
 * every entry after it, ASYNC_CANCELs included; IORING_REGISTER_SYNC_CANCEL
 * does not look in that queue (cancel.c). Only closing the ring fd ends them
 * (io_ring_exit_work fails the queue with -ECANCELED). Seen on 6.18 with a
 * raw ring: a NOP with IOSQE_IO_DRAIN, then a SEND_ZC: neither the send, a
 * NOP after it nor a cancel of it posts a CQE, and a plain NOP between the
 * two avoids it (tests/async-hangs.test.ts reproduces it through AsyncRing).
 */
const CLOSE_GRACE_MS = 2000;

// A LoopRing collected without close(): it had nothing in flight (the anchor
// holds it strongly while it has), so its ring can be closed as close()
// would, once libuv has let go of the waker's watcher.
const dropped = new FinalizationRegistry<{ ring: IoUring; waker: Waker; cell: Int32Array }>(({ ring, waker, cell }) => {
  shutTarget(cell);
  void waker.close().then(() => closeWhenUnsent(ring, cell));
});

// A ring's message cell, shared with every thread that holds its
// messageTarget: word 0 is 1 while the ring takes messages, word 1 counts
// senders between their check and their MSG_RING's own CQE. While that
// count is above 0 the ring fd stays open, so its number can't be reused by
// another ring and reached by a message meant for this one.
export const TARGET_OPEN = 0;
export const TARGET_SENDERS = 1;

// Atomics.waitAsync (V8 8.7, Node 16), which this package's TypeScript libs do not declare.
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

function shutTarget(cell: Int32Array): void {
  Atomics.store(cell, TARGET_OPEN, 0); // seq-cst: a sender that counted itself after this sees it
}

// Closes `ring` once no sender is mid-send (at once, almost always). A
// sender that never finishes (a worker terminated mid-send) leaves the fd
// open for the life of the process: a leak is safe, a reused number is not.
// `drainMs` is IoUring.close()'s wait for its own cancel and drain NOP:
// undefined for its default, 0 when entries are known to be stuck (its
// entries would wait behind them; it then keeps the ring's memory instead).
function closeWhenUnsent(ring: IoUring, cell: Int32Array, drainMs?: number): void {
  const n = Atomics.load(cell, TARGET_SENDERS);
  if (n === 0) {
    ring.close(drainMs);
    return;
  }
  const w = waitAsync(cell, TARGET_SENDERS, n);
  if (w.async) void w.value.then(() => closeWhenUnsent(ring, cell, drainMs));
  else closeWhenUnsent(ring, cell, drainMs);
}

/** Closing the ring, by close() or by the collector. */
export abstract class Closer extends Streams {
  /** @internal the message cell (see TARGET_OPEN) */
  protected readonly targetCell = new Int32Array(new SharedArrayBuffer(8));
  private closing: Promise<void> | null = null;

  constructor(options: AsyncRingOptions) {
    super(options);
    Atomics.store(this.targetCell, TARGET_OPEN, 1);
    dropped.register(this, { ring: this.ring, waker: this.waker, cell: this.targetCell }, this.anchor);
  }

  /** @internal close() with no argument: shuts the ring. */
  protected closeRing(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    dropped.unregister(this.anchor);
    shutTarget(this.targetCell);
    this.closing = (async () => {
      for (const w of this.backlog.splice(0)) {
        this.settle(w.slot, 0, new IoUringError(ECANCELED, this.names[w.slot]!, undefined, 'the AsyncRing was closed before the operation started', this.errorTarget(w.slot)), true);
      }
      for (const slot of [...this.parked.keys()]) {
        this.parked.delete(slot);
        this.settle(slot, 0, this.closedError(slot), true);
      }
      if (this.inbox !== null) {
        this.inbox.end(null);
        this.inbox = null;
      }
      let abandoned = 0;
      if (this.inflight > 0) {
        // Listen for the last settlement before cancelling: a cancel that
        // finds the SQ full submits at once, and what that reaps may be the
        // last of it (the soak found close() waiting forever for a drain
        // that had already happened).
        const done = new Promise<boolean>((r) => (this.drained = () => r(true)));
        for (let slot = 1; slot < this.slots; slot++) {
          if (this.live(slot)) this.cancelSlot(slot);
        }
        this.flush();
        // An entry the kernel held in its drain queue when those cancels ran
        // is started once what it waited for ends, and may then wait too
        // (drains stacked on one another): sweep again until none is left.
        const sweep = setInterval(() => {
          if (this.ring.isClosed || this.inflight === 0) return;
          for (let slot = 1; slot < this.slots; slot++) {
            if (this.live(slot)) this.cancelSlot(slot, true);
          }
        }, 20);
        sweep.unref();
        // Ref'd: close() settles even when nothing else keeps the loop alive.
        let grace: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((r) => (grace = setTimeout(r, CLOSE_GRACE_MS, false)));
        try {
          if (!(await Promise.race([done, late]))) abandoned = this.#abandon();
        } finally {
          clearInterval(sweep);
          clearTimeout(grace);
        }
      }
      // The ring fd may be closed only after libuv let go of its watcher.
      await this.waker.close();
      // Closing the fd is what ends an abandoned entry (see CLOSE_GRACE_MS);
      // IoUring.close()'s own cancel and drain NOP would wait behind it.
      closeWhenUnsent(this.ring, this.targetCell, abandoned > 0 ? 0 : undefined);
    })();
    return this.closing;
  }

  // close() waited CLOSE_GRACE_MS after its cancels and the kernel still
  // holds these operations: it goes on without them. Each rejects now with
  // ECANCELED, which is what the kernel will post for it once the ring fd
  // is closed (io_cancel_defer_files) if it sits in the drain queue; one
  // that is running (io-wq work a signal can't stop) may instead still
  // complete. Either way the kernel may read or write the memory it names
  // until then, and there will be no CQE here to say when: so that memory
  // is never released. What the ring holds for it under its user_data
  // (buffers, iovecs, timespecs, keep lists) stays held because no CQE
  // consumes it, and IoUring.close(0) keeps all of it, with the ring's own
  // memory, for the life of the process instead of waiting on a drain NOP
  // that would wait behind it. A zero-copy send's buffer is among it: the
  // kernel only reads it, and only once it issues the send, which an entry
  // stuck in the drain queue never does, but a send in flight may still be
  // reading it, so it is kept like the rest. What this layer holds beside
  // the ring (keep list, timespec, the encoder's output, a stream's buffer
  // pool, left registered so its buffers are not recycled) is buried here.
  // A leak is safe, a reuse is not. Returns how many were abandoned.
  #abandon(): number {
    let n = 0;
    const names: string[] = [];
    const why = this.drainSeen
      ? 'most likely held in its drain queue, which no cancel reaches, as behind a zero-copy send after IOSQE_IO_DRAIN on Linux 6.16+'
      : 'not stopped by its cancel';
    for (let slot = 1; slot < this.slots; slot++) {
      if (!this.live(slot)) continue;
      const st = this.streams[slot];
      bury(this.keepLists[slot], this.timespecs[slot], this.outs[slot], st?.pool);
      if (st !== undefined) st.ownPool = false; // finishStream must not free (unregister) it
      this.inflight--;
      n++;
      if (names.length < 4) names.push(this.names[slot]!);
      this.settle(slot, 0, new IoUringError(-ECANCELED, this.names[slot]!, undefined,
        `the AsyncRing was closed while the kernel still held the operation ${CLOSE_GRACE_MS} ms after its cancel (${why}); its memory is kept for the life of the process`,
        this.errorTarget(slot)), true);
    }
    process.emitWarning(`AsyncRing.close() went on without ${n} operation(s) the kernel still held ${CLOSE_GRACE_MS} ms after their cancel (${names.join(', ')}${n > names.length ? ', ...' : ''}: ${why}); they rejected with ECANCELED and their memory is kept for the life of the process`, 'TsuringWarning');
    return n;
  }
}
