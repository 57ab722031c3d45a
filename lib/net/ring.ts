// The ring and buffer pool tsuring/net runs on: one ring per thread (module
// state is per thread), made at first use, keeping the process alive only
// while something is in flight, so a listening server or a socket that is
// reading does and an idle module does not; and one pool of provided buffers
// on it that every socket's receive shares.
//
// The ring is set up with COOP_TASKRUN and TASKRUN_FLAG: a receive that
// becomes ready while this thread runs JavaScript queues its completion
// without an inter-processor interrupt to stop it, and the completion is
// posted at the thread's next system call (a sleeping thread is still woken
// at once). Without them a busy echo server spent 13% of its CPU returning
// from those interrupts (perf, 100 connections). Where the kernel lacks them
// (before 5.19), or the waker can't watch such a ring (the doorbell), it is
// set up without. It is not tsuring/fs's ring: file work, whose io-wq
// completions then wait for a system call, ran slower on it.
//
// Why one pool: a receive takes a buffer only when bytes arrive, so idle
// connections hold none, and memory is the pool's whatever the number of
// connections. Its bound is the backpressure: while every buffer is held
// (received and not yet stepped past by the reader), receives stop with
// ENOBUFS and re-arm as buffers come back (lib/async/streams.ts); and each
// socket's receive pauses while MAX_QUEUED chunks wait unread.

import { AsyncRing, type BufferPool } from '../async/async-ring.ts';
import { IoUringError } from '../errors.ts';
import { ERRNO } from '../errno.ts';
import { IORING_SETUP_COOP_TASKRUN, IORING_SETUP_TASKRUN_FLAG } from '../uapi/constants.ts';

/** Bytes per provided buffer: what one receive hands the reader at most. */
export const BUFFER_SIZE = 16 * 1024;
/** Buffers in the shared pool (a power of two): 16 MiB in all. */
export const BUFFERS = 1024;
/**
 * Chunks one socket may have received and not yet read, at most (64 KiB of
 * 16 KiB chunks, node:net's default high-water mark): past it, its receive
 * pauses until the reader has taken them. So a connection whose handler is
 * stuck holds a few buffers, not the whole shared pool.
 */
export const MAX_QUEUED = 4;

/** A ring and the pool its sockets receive into. */
export interface NetContext {
  /** The ring every operation of these sockets runs on. */
  readonly ring: AsyncRing;
  /** The provided buffers every socket's receives take their chunks from. */
  readonly pool: BufferPool;
}

let context: NetContext | null = null;

/** This thread's ring and pool for tsuring/net, made at first use. */
export function netContext(): NetContext {
  if (context === null || context.pool.isFreed) {
    const ring = makeRing(); // (a freed pool means its ring was closed)
    context = { ring, pool: ring.bufferPool({ size: BUFFER_SIZE, count: BUFFERS }) };
  }
  return context;
}

function makeRing(): AsyncRing {
  try {
    return new AsyncRing({ flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG });
  } catch (err) {
    // EINVAL from io_uring_setup (an older kernel), or the doorbell waker's
    // TypeError (koffi without node.poll): the plain ring then.
    if (!(err instanceof TypeError) && !(err instanceof IoUringError && err.errno === -ERRNO.EINVAL)) throw err;
    return new AsyncRing({});
  }
}
