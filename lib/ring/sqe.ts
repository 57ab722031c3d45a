// A submission queue entry: a view of one 64-byte (or, on SQE128 rings,
// 128-byte) slot of the SQ array. The ring builds one `Sqe` per slot when it is
// set up and `getSqe()` hands the slot's object back, so taking and preparing
// an entry allocates nothing; like liburing's `struct io_uring_sqe *`, it is
// only yours between `getSqe()` and the submit that publishes it.
//
// Field layout: struct io_uring_sqe in include/uapi/linux/io_uring.h. Each
// union gets one accessor, named after its first member, with the other
// members listed beside it.

import type { IoUring } from './io-uring.ts';
import type { KeepTable } from './keep.ts';

const TWO32 = 4294967296;
const INV_TWO32 = 1 / TWO32; // exact, and cheaper than a division


/**
 * @internal The opcode byte of an entry taken with getSqe and not yet
 * written (no kernel has an opcode 255); flags and ioprio 0 beside it.
 */
export const UNPREPARED = 0xff;

/** Writes a JS number as a u64 (two's complement for negatives, so -1 is all ones). */
export function setU64(u32: Uint32Array, w: number, v: number): void {
  u32[w] = v >>> 0;
  u32[w + 1] = high32(v);
}

/** The high 32 bits of a JS integer as a u64 (two's complement for negatives). */
export function high32(v: number): number {
  return Math.floor(v * INV_TWO32) >>> 0;
}

/** Reads a u64 as a number; values of 2^63 and above read as negative (so all ones is -1). */
export function getU64(u32: Uint32Array, w: number): number {
  const hi = u32[w + 1]!;
  return (hi >= 0x80000000 ? (hi | 0) : hi) * TWO32 + u32[w]!;
}

export function setU64Big(u32: Uint32Array, w: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  u32[w] = Number(x & 0xffffffffn);
  u32[w + 1] = Number(x >> 32n);
}

export function getU64Big(u32: Uint32Array, w: number): bigint {
  return (BigInt(u32[w + 1]!) << 32n) | BigInt(u32[w]!);
}

function setUserDataWide(u32: Uint32Array, w: number, v: number): void {
  checkUserData(v);
  u32[w + 8] = v >>> 0;
  u32[w + 9] = (v * INV_TWO32) >>> 0;
}

/** Throws unless `v` is an integer user_data that a number carries exactly. */
export function checkUserData(v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new TypeError(`userData must be an integer from 0 to 2^53-1 (got ${v}); use userDataBig for 64-bit values`);
  }
}

export class Sqe {
  /** The ring this entry belongs to. */
  readonly ring: IoUring;
  /** @internal the ring's SQE memory as 32-bit words */
  readonly u32: Uint32Array;
  /** @internal the same memory as bytes */
  readonly u8: Uint8Array;
  /** @internal the same memory as 16-bit words */
  readonly u16: Uint16Array;
  /** @internal the same memory as doubles: storing 0 zeroes 8 bytes at once */
  readonly f64: Float64Array;
  /** @internal this entry's first 32-bit word */
  readonly w: number;
  /** @internal memory this entry names, kept until its final CQE */
  readonly keeps: KeepTable;
  /** The entry's slot in the SQ array. */
  readonly index: number;
  /** The entry's size in bytes: 64, or 128 on IORING_SETUP_SQE128 rings. */
  readonly size: number;
  /**
   * @internal How many objects this slot keeps until submit. A field of the
   * entry itself, so an encoder's "anything to forget?" is one load from an
   * object it already holds (the table's own count cost 1.4 ns a NOP).
   */
  kept = 0;

  /** @internal built by the ring, one per slot */
  constructor(ring: IoUring, u32: Uint32Array, u8: Uint8Array, u16: Uint16Array, index: number, words: number, keeps: KeepTable) {
    this.ring = ring;
    this.u32 = u32;
    this.u8 = u8;
    this.u16 = u16;
    this.f64 = new Float64Array(u32.buffer, u32.byteOffset, u32.length >>> 1);
    this.index = index;
    this.w = index * words;
    this.size = words * 4;
    this.keeps = keeps;
  }

  /**
   * Keeps `obj` referenced until this operation's final CQE has been consumed
   * (the one without IORING_CQE_F_MORE). Every encoder calls this for the
   * memory it puts in the entry; call it yourself for memory you point the
   * entry at by address. Call it after the encoder: encoders start afresh.
   */
  keep(obj: unknown): this {
    this.keeps.add(this.index, obj);
    this.kept++;
    return this;
  }

  /**
   * @internal Takes the entry back before submit, as if it had never been
   * written: the next submit leaves it out (see IoUring.getSqe) and lets go
   * of what it kept.
   */
  unprepare(): void {
    this.u32[this.w] = UNPREPARED;
    this.u32[this.w + 7] = 0;
    if (this.kept !== 0) this.forget();
  }

  /** @internal Drops what this slot kept (the entry is being prepared afresh). */
  forget(): void {
    this.keeps.reset(this.index);
    this.kept = 0;
  }

  /** `opcode` (u8 at 0): IORING_OP_*. */
  get opcode(): number { return this.u8[this.w * 4]!; }
  set opcode(v: number) { this.u8[this.w * 4] = v; }

  /** `flags` (u8 at 1): IOSQE_* bits. */
  get flags(): number { return this.u8[this.w * 4 + 1]!; }
  set flags(v: number) { this.u8[this.w * 4 + 1] = v; }

  /** `ioprio` (u16 at 2); also the send/recv/accept flag space (IORING_RECVSEND_*, IORING_ACCEPT_*). */
  get ioprio(): number { return this.u16[this.w * 2 + 1]!; }
  set ioprio(v: number) { this.u16[this.w * 2 + 1] = v; }

  /** `fd` (s32 at 4): the file, or an index into the registered files with IOSQE_FIXED_FILE. */
  get fd(): number { return this.u32[this.w + 1]! | 0; }
  set fd(v: number) { this.u32[this.w + 1] = v; }

  /** `off` (u64 at 8); union with `addr2`, and `cmd_op` + `__pad1` for URING_CMD. */
  get off(): number { return getU64(this.u32, this.w + 2); }
  set off(v: number) { setU64(this.u32, this.w + 2, v); }
  get offBig(): bigint { return getU64Big(this.u32, this.w + 2); }
  set offBig(v: bigint) { setU64Big(this.u32, this.w + 2, v); }

  /** `addr` (u64 at 16); union with `splice_off_in`, and `level` + `optname` for socket options. */
  get addr(): number { return getU64(this.u32, this.w + 4); }
  set addr(v: number) { setU64(this.u32, this.w + 4, v); }
  get addrBig(): bigint { return getU64Big(this.u32, this.w + 4); }
  set addrBig(v: bigint) { setU64Big(this.u32, this.w + 4, v); }

  /** `len` (u32 at 24): a byte count, an iovec count, or an operation's count argument. */
  get len(): number { return this.u32[this.w + 6]!; }
  set len(v: number) { this.u32[this.w + 6] = v; }

  /**
   * `rw_flags` (u32 at 28), the per-operation flags union: also `fsync_flags`,
   * `poll_events` (u16), `poll32_events`, `sync_range_flags`, `msg_flags`,
   * `timeout_flags`, `accept_flags`, `cancel_flags`, `open_flags`,
   * `statx_flags`, `fadvise_advice`, `splice_flags`, `rename_flags`,
   * `unlink_flags`, `hardlink_flags`, `xattr_flags`, `msg_ring_flags`,
   * `uring_cmd_flags`, `waitid_flags`, `futex_flags`, `install_fd_flags`,
   * `nop_flags`, `pipe_flags`.
   */
  get rwFlags(): number { return this.u32[this.w + 7]!; }
  set rwFlags(v: number) { this.u32[this.w + 7] = v; }

  /** `user_data` (u64 at 32), handed back in the CQE: an integer up to 2^53-1 (see `userDataBig`). */
  get userData(): number {
    const hi = this.u32[this.w + 9]!;
    if (hi >= 0x200000) throw new RangeError('user_data is above 2^53; read it with userDataBig');
    return hi * TWO32 + this.u32[this.w + 8]!;
  }
  set userData(v: number) {
    // Small enough to inline: the common case (a 32-bit value) is two stores.
    if ((v >>> 0) === v) {
      this.u32[this.w + 8] = v;
      this.u32[this.w + 9] = 0;
    } else {
      setUserDataWide(this.u32, this.w, v);
    }
  }
  /** `user_data` as a full 64-bit value. */
  get userDataBig(): bigint { return getU64Big(this.u32, this.w + 8); }
  set userDataBig(v: bigint) { setU64Big(this.u32, this.w + 8, v); }

  /** `buf_index` (u16 at 40); union with `buf_group` (with IOSQE_BUFFER_SELECT). */
  get bufIndex(): number { return this.u16[this.w * 2 + 20]!; }
  set bufIndex(v: number) { this.u16[this.w * 2 + 20] = v; }

  /** `personality` (u16 at 42): a registered credentials id. */
  get personality(): number { return this.u16[this.w * 2 + 21]!; }
  set personality(v: number) { this.u16[this.w * 2 + 21] = v; }

  /**
   * `splice_fd_in` (s32 at 44); union with `file_index` (u32, direct
   * descriptors, stored +1), `zcrx_ifq_idx`, `optlen`, and `addr_len` (u16)
   * + `__pad3`.
   */
  get spliceFdIn(): number { return this.u32[this.w + 11]! | 0; }
  set spliceFdIn(v: number) { this.u32[this.w + 11] = v; }

  /** `addr3` (u64 at 48); union with `optval`, `attr_ptr`, and the first 8 bytes of `cmd`. */
  get addr3(): number { return getU64(this.u32, this.w + 12); }
  set addr3(v: number) { setU64(this.u32, this.w + 12, v); }

  /** `__pad2[0]` (u64 at 56); union with `attr_type_mask`, and bytes 8..15 of `cmd`. */
  get pad2(): number { return getU64(this.u32, this.w + 14); }
  set pad2(v: number) { setU64(this.u32, this.w + 14, v); }

  /**
   * `cmd`: the URING_CMD payload, bytes 48 to the end of the entry (16 bytes,
   * or 80 on SQE128 rings). A new view over the ring's memory on each read.
   */
  get cmd(): Uint8Array {
    return new Uint8Array(this.u8.buffer, this.u8.byteOffset + this.w * 4 + 48, this.size - 48);
  }
}

/**
 * io_uring_sqe_set_data64(3): sets `user_data`, like `sqe.userData = v` (an
 * integer up to 2^53-1). A plain function, so the JIT inlines it where it may
 * not inline the setter.
 */
export function sqeSetData64(sqe: Sqe, v: number): void {
  if ((v >>> 0) === v) {
    sqe.u32[sqe.w + 8] = v;
    sqe.u32[sqe.w + 9] = 0;
  } else {
    setUserDataWide(sqe.u32, sqe.w, v);
  }
}
