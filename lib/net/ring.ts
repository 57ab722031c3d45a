// The ring and buffer pool tsuring/net runs on: tsuring/fs's ring of this
// thread (lib/fs/ring.ts: made at first use, one per thread, keeping the
// process alive only while something is in flight, so a listening server or
// a socket that is reading does and an idle module does not), and one pool
// of provided buffers on it that every socket's receive shares.
//
// Why one pool: a receive takes a buffer only when bytes arrive, so idle
// connections hold none, and memory is the pool's whatever the number of
// connections. Its bound is the backpressure: while every buffer is held
// (received and not yet stepped past by the reader), receives stop with
// ENOBUFS and re-arm as buffers come back (lib/async/streams.ts).

import type { AsyncRing, BufferPool } from '../async/async-ring.ts';
import { defaultRing } from '../fs/ring.ts';

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
    const ring = defaultRing();
    context = { ring, pool: ring.bufferPool({ size: BUFFER_SIZE, count: BUFFERS }) };
  }
  return context;
}
