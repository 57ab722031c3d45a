// Registered ("fixed") buffers: IORING_REGISTER_BUFFERS and its successors
// (BUFFERS2 with tags and sparse tables, BUFFERS_UPDATE, CLONE_BUFFERS), as
// liburing's src/register.c offers them.
//
// The kernel pins a registered buffer's pages and keeps using them, by
// address, for every READ_FIXED / WRITE_FIXED / *_FIXED operation, until the
// buffer is unregistered or replaced, or the ring is gone. So the JS memory
// behind each one is kept here, per ring, in a WeakMap: let go on unregister
// or replacement, and with the ring itself when it is collected. (An
// operation in flight on a buffer replaced meanwhile holds its own view of
// it: the encoders keep what they name until the final CQE.)

import { checkU32 } from '../check.ts';
import { RingLocal } from '../ring/held.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { addressFor, byteLengthOf, snapshotList } from '../ring/memory.ts';
import {
  IORING_FEAT_REG_REG_RING, IORING_REGISTER_BUFFERS, IORING_REGISTER_BUFFERS2, IORING_REGISTER_BUFFERS_UPDATE,
  IORING_REGISTER_CLONE_BUFFERS, IORING_REGISTER_DST_REPLACE, IORING_REGISTER_SRC_REGISTERED,
  IORING_RSRC_REGISTER_SPARSE, IORING_UNREGISTER_BUFFERS,
} from '../uapi/constants.ts';
import { io_uring_clone_buffers, io_uring_rsrc_register, io_uring_rsrc_update2, iovec } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

// The kernel's limit on one registered buffer (io_buffer_validate: SZ_1G).
const MAX_BUFFER = 1 << 30;

/** A registered-buffer table slot: a buffer, or null for an empty slot. */
export type BufferSlot = ArrayBufferView | null;

// Per ring: what each slot of its registered-buffer table holds.
const tables = new RingLocal<BufferSlot[]>('registered buffers');

// A `struct iovec` per slot (null: iov_base 0, iov_len 0, an empty slot).
// Each buffer is checked like any buffer handed to the kernel, and must be
// 1 byte to 1 GiB (the kernel refuses an empty or larger one with EFAULT).
// The caller's array is read once (snapshotList): what is registered and
// what is kept referenced are the same buffers, and their lengths are read
// from the views' internal slots.
function slotIovecs(list: readonly BufferSlot[], what: string): { bufs: BufferSlot[]; iov: BigUint64Array } {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array of buffers (or null for an empty slot)`);
  const bufs = snapshotList(list, what);
  const v = new BigUint64Array(Math.max(1, bufs.length) * (iovec.sizeof / 8));
  for (let i = 0; i < bufs.length; i++) {
    const b = bufs[i];
    if (b === null) continue;
    const addr = addressFor(b as ArrayBufferView, 0, `${what}[${i}]`);
    const len = byteLengthOf(b as ArrayBufferView);
    if (len === 0 || len > MAX_BUFFER) {
      throw new RangeError(`${what}[${i}] holds ${len} bytes; a registered buffer holds 1 byte to 1 GiB (null leaves the slot empty)`);
    }
    v[(i * iovec.sizeof + iovec.iov_base) / 8] = BigInt(addr);
    v[(i * iovec.sizeof + iovec.iov_len) / 8] = BigInt(len);
  }
  return { bufs, iov: v };
}

/**
 * @internal After a registration took the first `n` of `tags`: each nonzero
 * one is a CQE the ring will get when its resource leaves the table, counted
 * under that user_data now (see IoUring.expectCqe).
 */
export function expectTags(ring: IoUring, tags: BigUint64Array, n: number): void {
  const words = new Uint32Array(tags.buffer, tags.byteOffset, tags.length * 2);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if ((lo | hi) !== 0) ring.expectCqe(lo, hi);
  }
}

/** @internal Tags as u64s: integers up to 2^53-1, or bigints. */
export function makeTags(tags: readonly (number | bigint)[], n: number): BigUint64Array {
  if (!Array.isArray(tags)) throw new TypeError('tags must be an array of integers or bigints');
  if (tags.length !== n) throw new RangeError(`tags has ${tags.length} entries for ${n} slots`);
  const out = new BigUint64Array(Math.max(1, n));
  for (let i = 0; i < n; i++) {
    const t = tags[i];
    if (typeof t === 'bigint') out[i] = BigInt.asUintN(64, t);
    else if (Number.isSafeInteger(t) && t! >= 0) out[i] = BigInt(t!);
    else throw new TypeError(`tags[${i}] must be an integer from 0 to 2^53-1, or a bigint (got ${String(t)})`);
  }
  return out;
}

/** @internal struct io_uring_rsrc_register for IORING_REGISTER_BUFFERS2 / FILES2. */
export function rsrcRegister(nr: number, flags: number, data: ArrayBufferView | null, tags: ArrayBufferView | null): Uint8Array {
  const buf = new Uint8Array(new ArrayBuffer(io_uring_rsrc_register.sizeof));
  const dv = new DataView(buf.buffer);
  dv.setUint32(io_uring_rsrc_register.nr, nr, true);
  dv.setUint32(io_uring_rsrc_register.flags, flags, true);
  if (data !== null) dv.setBigUint64(io_uring_rsrc_register.data, BigInt(addressFor(data, 0, 'data')), true);
  if (tags !== null) dv.setBigUint64(io_uring_rsrc_register.tags, BigInt(addressFor(tags, 0, 'tags')), true);
  return buf;
}

/** @internal struct io_uring_rsrc_update2 for IORING_REGISTER_BUFFERS_UPDATE / FILES_UPDATE2. */
export function rsrcUpdate2(off: number, nr: number, data: ArrayBufferView, tags: ArrayBufferView | null): Uint8Array {
  const buf = new Uint8Array(new ArrayBuffer(io_uring_rsrc_update2.sizeof));
  const dv = new DataView(buf.buffer);
  dv.setUint32(io_uring_rsrc_update2.offset, off, true);
  dv.setBigUint64(io_uring_rsrc_update2.data, BigInt(addressFor(data, 0, 'data')), true);
  if (tags !== null) dv.setBigUint64(io_uring_rsrc_update2.tags, BigInt(addressFor(tags, 0, 'tags')), true);
  dv.setUint32(io_uring_rsrc_update2.nr, nr, true);
  return buf;
}

/**
 * io_uring_register_buffers(3): registers `bufs` as the ring's fixed buffers,
 * slot i holding bufs[i] (null leaves a slot empty). READ_FIXED and the other
 * *_FIXED operations then name a slot by `buf_index` and skip the per-I/O
 * page pinning. EBUSY when buffers are registered already; ENOMEM past
 * RLIMIT_MEMLOCK (for users without CAP_IPC_LOCK).
 *
 * Lifetime: the buffers are kept referenced until unregisterBuffers() or a
 * replacing update, or until the ring is collected.
 *
 * Differs from liburing: takes the list of buffers (a view or null per slot)
 * where liburing takes an iovec array and its count; throws an IoUringError
 * where liburing returns -errno.
 * @since Linux 5.1
 * @see io_uring_register_buffers(3)
 */
export function registerBuffers(ring: IoUring, list: readonly BufferSlot[]): void {
  const { bufs, iov } = slotIovecs(list, 'bufs');
  registerCall(ring, IORING_REGISTER_BUFFERS, iov, bufs.length, 'register_buffers', [bufs]);
  tables.set(ring, bufs);
}

/**
 * io_uring_register_buffers_tags(3): registerBuffers with a tag per slot
 * (0 for none, and for empty slots). When a tagged buffer leaves the table
 * (unregistered, or replaced by an update) and no request uses it any more,
 * the kernel posts a CQE with `user_data` = the tag, res 0. Pick tags no
 * operation uses as its user_data: the ring can't tell the two apart.
 *
 * Lifetime: as registerBuffers.
 *
 * Differs from liburing: takes the lists where liburing takes the iovec and
 * tag arrays and their count.
 * @since Linux 5.13
 * @see io_uring_register_buffers_tags(3)
 */
export function registerBuffersTags(ring: IoUring, list: readonly BufferSlot[], tags: readonly (number | bigint)[]): void {
  const { bufs, iov } = slotIovecs(list, 'bufs');
  const t = makeTags(tags, bufs.length);
  const reg = rsrcRegister(bufs.length, 0, iov, t);
  registerCall(ring, IORING_REGISTER_BUFFERS2, reg, io_uring_rsrc_register.sizeof, 'register_buffers_tags', [iov, t, bufs]);
  expectTags(ring, t, bufs.length);
  tables.set(ring, bufs);
}

/**
 * io_uring_register_buffers_sparse(3): a table of `nr` empty slots, to be
 * filled by registerBuffersUpdateTag().
 * @since Linux 5.19
 * @see io_uring_register_buffers_sparse(3)
 */
export function registerBuffersSparse(ring: IoUring, nr: number): void {
  checkU32(nr, 'nr');
  const reg = rsrcRegister(nr, IORING_RSRC_REGISTER_SPARSE, null, null);
  registerCall(ring, IORING_REGISTER_BUFFERS2, reg, io_uring_rsrc_register.sizeof, 'register_buffers_sparse');
  tables.set(ring, new Array<BufferSlot>(nr).fill(null));
}

/**
 * io_uring_register_buffers_update_tag(3): replaces slots [off, off +
 * bufs.length) with `bufs` (null empties a slot), each with its tag (default
 * none). Returns how many slots were updated: the kernel stops at the first
 * one it refuses, and only throws if that was the first. A replaced tagged
 * buffer posts its tag CQE once no request uses it.
 *
 * Lifetime: the new buffers are kept referenced as by registerBuffers; the
 * replaced ones are let go.
 *
 * Differs from liburing: takes the lists where liburing takes the iovec and
 * tag arrays and their count.
 * @since Linux 5.13
 * @see io_uring_register_buffers_update_tag(3)
 */
export function registerBuffersUpdateTag(ring: IoUring, off: number, list: readonly BufferSlot[], tags?: readonly (number | bigint)[]): number {
  checkU32(off, 'off');
  const { bufs, iov } = slotIovecs(list, 'bufs');
  const t = tags === undefined ? null : makeTags(tags, bufs.length);
  const up = rsrcUpdate2(off, bufs.length, iov, t);
  const n = registerCall(ring, IORING_REGISTER_BUFFERS_UPDATE, up, io_uring_rsrc_update2.sizeof, 'register_buffers_update_tag', [iov, t, bufs]);
  if (t !== null) expectTags(ring, t, n);
  let table = tables.get(ring);
  if (table === undefined) tables.set(ring, (table = []));
  for (let i = 0; i < n; i++) table[off + i] = bufs[i] ?? null;
  return n;
}

/**
 * io_uring_unregister_buffers(3): drops the whole table (ENXIO when there is
 * none). Requests in flight keep the buffers they use until they complete.
 * @since Linux 5.1
 * @see io_uring_unregister_buffers(3)
 */
export function unregisterBuffers(ring: IoUring): void {
  registerCall(ring, IORING_UNREGISTER_BUFFERS, null, 0, 'unregister_buffers');
  tables.delete(ring);
}

/**
 * What each slot of `ring`'s registered-buffer table holds, as registered
 * through this module (a tsuring addition: liburing has no such call).
 */
export function registeredBuffers(ring: IoUring): readonly BufferSlot[] {
  return tables.get(ring) ?? [];
}

function cloneInto(dst: IoUring, src: IoUring, dstOff: number, srcOff: number, nr: number, flags: number, call: string): void {
  checkU32(dstOff, 'dstOff');
  checkU32(srcOff, 'srcOff');
  checkU32(nr, 'nr');
  if ((flags >>> 0) !== flags || (flags & ~(IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE)) !== 0) {
    throw new RangeError(`flags must be IORING_REGISTER_SRC_REGISTERED and/or IORING_REGISTER_DST_REPLACE (got ${flags})`);
  }
  // As liburing: name the source by its registered index when it has one
  // and the kernel takes registered rings here; by its fd otherwise.
  let srcFd: number;
  if ((flags & IORING_REGISTER_SRC_REGISTERED) && src.registeredRingIndex >= 0 && (src.features & IORING_FEAT_REG_REG_RING)) {
    srcFd = src.registeredRingIndex;
  } else {
    srcFd = src.fd;
    flags &= ~IORING_REGISTER_SRC_REGISTERED;
  }
  const arg = new Uint8Array(new ArrayBuffer(io_uring_clone_buffers.sizeof));
  const dv = new DataView(arg.buffer);
  dv.setUint32(io_uring_clone_buffers.src_fd, srcFd, true);
  dv.setUint32(io_uring_clone_buffers.flags, flags, true);
  dv.setUint32(io_uring_clone_buffers.src_off, srcOff, true);
  dv.setUint32(io_uring_clone_buffers.dst_off, dstOff, true);
  dv.setUint32(io_uring_clone_buffers.nr, nr, true);
  registerCall(dst, IORING_REGISTER_CLONE_BUFFERS, arg, 1, call);
  // Mirror the kernel's new table (io_clone_buffers): dst's slots below
  // dstOff stay, the cloned range follows, nothing after it survives.
  const from = tables.get(src) ?? [];
  const old = tables.get(dst) ?? [];
  const n = nr === 0 ? from.length : nr;
  const table = new Array<BufferSlot>(Math.max(dstOff + n, old.length)).fill(null);
  for (let i = 0; i < Math.min(dstOff, old.length); i++) table[i] = old[i] ?? null;
  for (let i = 0; i < n; i++) table[dstOff + i] = from[srcOff + i] ?? null;
  tables.set(dst, table);
}

/**
 * io_uring_clone_buffers(3): gives `dst` the registered buffers of `src`
 * (same slots, no new pinning). `dst` must have none (EBUSY).
 *
 * Lifetime: the buffers are kept referenced for `dst` too, as by
 * registerBuffers.
 * @since Linux 6.12
 * @see io_uring_clone_buffers(3)
 */
export function cloneBuffers(dst: IoUring, src: IoUring): void {
  cloneInto(dst, src, 0, 0, 0, IORING_REGISTER_SRC_REGISTERED, 'clone_buffers');
}

/**
 * io_uring_clone_buffers_offset(3): clones `nr` of `src`'s slots from
 * `srcOff` into `dst` at `dstOff` (nr 0: all of them, offsets 0). With
 * IORING_REGISTER_DST_REPLACE in `flags`, `dst` may have a table already:
 * its slots below `dstOff` stay, the rest are replaced.
 *
 * Lifetime: as cloneBuffers.
 * @since Linux 6.13
 * @see io_uring_clone_buffers_offset(3)
 */
export function cloneBuffersOffset(dst: IoUring, src: IoUring, dstOff: number, srcOff: number, nr: number, flags = 0): void {
  cloneInto(dst, src, dstOff, srcOff, nr, flags | IORING_REGISTER_SRC_REGISTERED, 'clone_buffers_offset');
}
