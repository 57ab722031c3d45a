// A submission queue entry: a view of one 64-byte (or, on SQE128 rings,
// 128-byte) slot of the SQ array. The ring builds one `Sqe` per slot when it is
// set up and `getSqe()` hands the slot's object back, so taking and preparing
// an entry allocates nothing; like liburing's `struct io_uring_sqe *`, it is
// only yours between `getSqe()` and the submit that publishes it.
//
// Field layout: struct io_uring_sqe in include/uapi/linux/io_uring.h. Every
// member has its own accessor, named as in C and camelCased, so C that writes
// `sqe->file_index = x` reads `sqe.fileIndex = x` here; union members share
// bytes, and each doc names the others. The accessors the encoders' hot path
// may use (opcode, flags, ioprio, fd, off, addr, len, rwFlags, userData,
// bufIndex, personality, spliceFdIn, addr3, pad2) write without checks, as C
// does; every other setter refuses a value its field can't hold (TypeError
// for a non-number, RangeError otherwise) before writing. Padding members
// (__pad1, __pad3, __pad4) have none.

import { checkSafeInt, checkU16, checkU32, checkU8 } from '../check.ts';
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

/** @internal Writes a value checked by checkU64 as the u64 at word `w` of `u32`. */
export function putU64(u32: Uint32Array, w: number, v: number | bigint): void {
  if (typeof v === 'bigint') setU64Big(u32, w, v);
  else setU64(u32, w, v);
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

/**
 * A submission queue entry (liburing's `struct io_uring_sqe *`), as
 * {@link IoUring.getSqe} hands it out: a view of one SQ slot, yours until the
 * submit that publishes it. A `prep*` function fills it; each member of the
 * C struct also has an accessor named as in C, camelCased
 * (`sqe->file_index` is `sqe.fileIndex`). The setters the encoders use write
 * without checks, as C does; the others refuse a value their field can't
 * hold (TypeError for a non-number, RangeError otherwise) before writing.
 */
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

  /** `off` (u64 at 8); union with `addr2` (see `addr2`) and `cmd_op` + `__pad1` (see `cmdOp`). */
  get off(): number { return getU64(this.u32, this.w + 2); }
  set off(v: number) { setU64(this.u32, this.w + 2, v); }
  /** `off` as a full 64-bit value. */
  get offBig(): bigint { return getU64Big(this.u32, this.w + 2); }
  set offBig(v: bigint) { setU64Big(this.u32, this.w + 2, v); }

  /** `addr` (u64 at 16); union with `splice_off_in` (see `spliceOffIn`) and `level` + `optname` (see `level`, `optname`). */
  get addr(): number { return getU64(this.u32, this.w + 4); }
  set addr(v: number) { setU64(this.u32, this.w + 4, v); }
  /** `addr` as a full 64-bit value. */
  get addrBig(): bigint { return getU64Big(this.u32, this.w + 4); }
  set addrBig(v: bigint) { setU64Big(this.u32, this.w + 4, v); }

  /** `len` (u32 at 24): a byte count, an iovec count, or an operation's count argument. */
  get len(): number { return this.u32[this.w + 6]!; }
  set len(v: number) { this.u32[this.w + 6] = v; }

  /**
   * `rw_flags` (u32 at 28), the per-operation flags union; each other member
   * has its accessor below (`fsyncFlags` to `pipeFlags`). Unchecked: encoders
   * write it.
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

  /** `buf_index` (u16 at 40); union with `buf_group` (see `bufGroup`). */
  get bufIndex(): number { return this.u16[this.w * 2 + 20]!; }
  set bufIndex(v: number) { this.u16[this.w * 2 + 20] = v; }

  /** `personality` (u16 at 42): a registered credentials id. */
  get personality(): number { return this.u16[this.w * 2 + 21]!; }
  set personality(v: number) { this.u16[this.w * 2 + 21] = v; }

  /**
   * `splice_fd_in` (s32 at 44); union with `file_index`, `zcrx_ifq_idx`,
   * `optlen`, `addr_len` + `__pad3` and `write_stream` + `__pad4` (each has
   * its accessor below).
   */
  get spliceFdIn(): number { return this.u32[this.w + 11]! | 0; }
  set spliceFdIn(v: number) { this.u32[this.w + 11] = v; }

  /** `addr3` (u64 at 48); union with `attr_ptr`, `optval` (see those) and the first 8 bytes of `cmd`. */
  get addr3(): number { return getU64(this.u32, this.w + 12); }
  set addr3(v: number) { setU64(this.u32, this.w + 12, v); }

  /** `__pad2[0]` (u64 at 56); union with `attr_type_mask` (see `attrTypeMask`) and bytes 8..15 of `cmd`. */
  get pad2(): number { return getU64(this.u32, this.w + 14); }
  set pad2(v: number) { setU64(this.u32, this.w + 14, v); }

  /**
   * `cmd`: the URING_CMD payload, bytes 48 to the end of the entry (16 bytes,
   * or 80 on SQE128 rings). A new view over the ring's memory on each read.
   */
  get cmd(): Uint8Array {
    return new Uint8Array(this.u8.buffer, this.u8.byteOffset + this.w * 4 + 48, this.size - 48);
  }

  // The other members of the unions above, each over the bytes its doc names.

  /** `addr2` (u64 at 8, the `off` union): a second address (SEND_ZC's destination, POLL_REMOVE's new user_data, ...). */
  get addr2(): number { return getU64(this.u32, this.w + 2); }
  set addr2(v: number) { setU64(this.u32, this.w + 2, checkSafeInt(v, 'addr2')); }

  /** `cmd_op` (u32 at 8, the `off` union): the command of a URING_CMD. */
  get cmdOp(): number { return this.u32[this.w + 2]!; }
  set cmdOp(v: number) { this.u32[this.w + 2] = checkU32(v, 'cmdOp'); }

  /** `splice_off_in` (u64 at 16, the `addr` union): SPLICE's input offset (-1: none). */
  get spliceOffIn(): number { return getU64(this.u32, this.w + 4); }
  set spliceOffIn(v: number) { setU64(this.u32, this.w + 4, checkSafeInt(v, 'spliceOffIn')); }

  /** `level` (u32 at 16, the `addr` union): the socket option level of a URING_CMD socket command. */
  get level(): number { return this.u32[this.w + 4]!; }
  set level(v: number) { this.u32[this.w + 4] = checkU32(v, 'level'); }

  /** `optname` (u32 at 20, the `addr` union): the socket option of a URING_CMD socket command. */
  get optname(): number { return this.u32[this.w + 5]!; }
  set optname(v: number) { this.u32[this.w + 5] = checkU32(v, 'optname'); }

  /** `fsync_flags` (u32 at 28, the `rw_flags` union): IORING_FSYNC_* for FSYNC. */
  get fsyncFlags(): number { return this.u32[this.w + 7]!; }
  set fsyncFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'fsyncFlags'); }

  /**
   * `poll_events` (u16 at 28, the `rw_flags` union): the 16-bit poll mask of
   * kernels before IORING_FEAT_POLL_32BITS (5.9). Writing it leaves bytes
   * 30-31 as they were, as in C; `poll32Events` is the whole word.
   */
  get pollEvents(): number { return this.u16[this.w * 2 + 14]!; }
  set pollEvents(v: number) { this.u16[this.w * 2 + 14] = checkU16(v, 'pollEvents'); }

  /** `poll32_events` (u32 at 28, the `rw_flags` union): the poll mask (POLLIN, ...) for POLL_ADD, as 32 bits. */
  get poll32Events(): number { return this.u32[this.w + 7]!; }
  set poll32Events(v: number) { this.u32[this.w + 7] = checkU32(v, 'poll32Events'); }

  /** `sync_range_flags` (u32 at 28, the `rw_flags` union): SYNC_FILE_RANGE_* for SYNC_FILE_RANGE. */
  get syncRangeFlags(): number { return this.u32[this.w + 7]!; }
  set syncRangeFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'syncRangeFlags'); }

  /** `msg_flags` (u32 at 28, the `rw_flags` union): MSG_* for SEND, RECV, SENDMSG and RECVMSG. */
  get msgFlags(): number { return this.u32[this.w + 7]!; }
  set msgFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'msgFlags'); }

  /** `timeout_flags` (u32 at 28, the `rw_flags` union): IORING_TIMEOUT_* for TIMEOUT, TIMEOUT_REMOVE and LINK_TIMEOUT. */
  get timeoutFlags(): number { return this.u32[this.w + 7]!; }
  set timeoutFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'timeoutFlags'); }

  /** `accept_flags` (u32 at 28, the `rw_flags` union): accept4(2) flags (SOCK_NONBLOCK, SOCK_CLOEXEC) for ACCEPT. */
  get acceptFlags(): number { return this.u32[this.w + 7]!; }
  set acceptFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'acceptFlags'); }

  /** `cancel_flags` (u32 at 28, the `rw_flags` union): IORING_ASYNC_CANCEL_* for ASYNC_CANCEL. */
  get cancelFlags(): number { return this.u32[this.w + 7]!; }
  set cancelFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'cancelFlags'); }

  /** `open_flags` (u32 at 28, the `rw_flags` union): O_* for OPENAT. */
  get openFlags(): number { return this.u32[this.w + 7]!; }
  set openFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'openFlags'); }

  /** `statx_flags` (u32 at 28, the `rw_flags` union): AT_* for STATX. */
  get statxFlags(): number { return this.u32[this.w + 7]!; }
  set statxFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'statxFlags'); }

  /** `fadvise_advice` (u32 at 28, the `rw_flags` union): POSIX_FADV_* for FADVISE. */
  get fadviseAdvice(): number { return this.u32[this.w + 7]!; }
  set fadviseAdvice(v: number) { this.u32[this.w + 7] = checkU32(v, 'fadviseAdvice'); }

  /** `splice_flags` (u32 at 28, the `rw_flags` union): SPLICE_F_* for SPLICE and TEE. */
  get spliceFlags(): number { return this.u32[this.w + 7]!; }
  set spliceFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'spliceFlags'); }

  /** `rename_flags` (u32 at 28, the `rw_flags` union): RENAME_* for RENAMEAT. */
  get renameFlags(): number { return this.u32[this.w + 7]!; }
  set renameFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'renameFlags'); }

  /** `unlink_flags` (u32 at 28, the `rw_flags` union): AT_REMOVEDIR for UNLINKAT. */
  get unlinkFlags(): number { return this.u32[this.w + 7]!; }
  set unlinkFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'unlinkFlags'); }

  /** `hardlink_flags` (u32 at 28, the `rw_flags` union): AT_* for LINKAT. */
  get hardlinkFlags(): number { return this.u32[this.w + 7]!; }
  set hardlinkFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'hardlinkFlags'); }

  /** `xattr_flags` (u32 at 28, the `rw_flags` union): XATTR_CREATE / XATTR_REPLACE for the SETXATTR ops. */
  get xattrFlags(): number { return this.u32[this.w + 7]!; }
  set xattrFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'xattrFlags'); }

  /** `msg_ring_flags` (u32 at 28, the `rw_flags` union): IORING_MSG_RING_* for MSG_RING. */
  get msgRingFlags(): number { return this.u32[this.w + 7]!; }
  set msgRingFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'msgRingFlags'); }

  /** `uring_cmd_flags` (u32 at 28, the `rw_flags` union): IORING_URING_CMD_* for URING_CMD. */
  get uringCmdFlags(): number { return this.u32[this.w + 7]!; }
  set uringCmdFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'uringCmdFlags'); }

  /** `waitid_flags` (u32 at 28, the `rw_flags` union): for WAITID (none defined: 0). */
  get waitidFlags(): number { return this.u32[this.w + 7]!; }
  set waitidFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'waitidFlags'); }

  /** `futex_flags` (u32 at 28, the `rw_flags` union): for the FUTEX ops (none defined: 0; the FUTEX2_* flags go in `fd`). */
  get futexFlags(): number { return this.u32[this.w + 7]!; }
  set futexFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'futexFlags'); }

  /** `install_fd_flags` (u32 at 28, the `rw_flags` union): IORING_FIXED_FD_* for FIXED_FD_INSTALL. */
  get installFdFlags(): number { return this.u32[this.w + 7]!; }
  set installFdFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'installFdFlags'); }

  /** `nop_flags` (u32 at 28, the `rw_flags` union): IORING_NOP_* for NOP. */
  get nopFlags(): number { return this.u32[this.w + 7]!; }
  set nopFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'nopFlags'); }

  /** `pipe_flags` (u32 at 28, the `rw_flags` union): pipe2(2) flags for PIPE. */
  get pipeFlags(): number { return this.u32[this.w + 7]!; }
  set pipeFlags(v: number) { this.u32[this.w + 7] = checkU32(v, 'pipeFlags'); }

  /** `buf_group` (u16 at 40, the `buf_index` union): the provided-buffer group an IOSQE_BUFFER_SELECT entry takes from. */
  get bufGroup(): number { return this.u16[this.w * 2 + 20]!; }
  set bufGroup(v: number) { this.u16[this.w * 2 + 20] = checkU16(v, 'bufGroup'); }

  /**
   * `file_index` (u32 at 44, the `splice_fd_in` union): the direct-descriptor
   * slot a _DIRECT operation installs into, as the kernel reads it: slot + 1
   * (0: not direct; IORING_FILE_INDEX_ALLOC: any free slot).
   */
  get fileIndex(): number { return this.u32[this.w + 11]!; }
  set fileIndex(v: number) { this.u32[this.w + 11] = checkU32(v, 'fileIndex'); }

  /** `zcrx_ifq_idx` (u32 at 44, the `splice_fd_in` union): the zero-copy receive queue a RECV_ZC reads from. */
  get zcrxIfqIdx(): number { return this.u32[this.w + 11]!; }
  set zcrxIfqIdx(v: number) { this.u32[this.w + 11] = checkU32(v, 'zcrxIfqIdx'); }

  /** `optlen` (u32 at 44, the `splice_fd_in` union): the option length of a URING_CMD socket command. */
  get optlen(): number { return this.u32[this.w + 11]!; }
  set optlen(v: number) { this.u32[this.w + 11] = checkU32(v, 'optlen'); }

  /** `addr_len` (u16 at 44, the `splice_fd_in` union): the length of SEND_ZC's `addr2` address; bytes 46-47 (`__pad3`) are left as they were. */
  get addrLen(): number { return this.u16[this.w * 2 + 22]!; }
  set addrLen(v: number) { this.u16[this.w * 2 + 22] = checkU16(v, 'addrLen'); }

  /**
   * `write_stream` (u8 at 44, the `splice_fd_in` union): the write stream of a
   * WRITE to a device that has them (Linux 6.16: in the kernel's header, not
   * in the liburing copy layout.ts is pinned to); bytes 45-47 (`__pad4`) are
   * left as they were.
   */
  get writeStream(): number { return this.u8[this.w * 4 + 44]!; }
  set writeStream(v: number) { this.u8[this.w * 4 + 44] = checkU8(v, 'writeStream'); }

  /** `attr_ptr` (u64 at 48, the `addr3` union): the address of the attributes `attr_type_mask` says are there. */
  get attrPtr(): number { return getU64(this.u32, this.w + 12); }
  set attrPtr(v: number) { setU64(this.u32, this.w + 12, checkSafeInt(v, 'attrPtr')); }

  /** `attr_type_mask` (u64 at 56, the `__pad2` union): IORING_RW_ATTR_FLAG_* bits. */
  get attrTypeMask(): number { return getU64(this.u32, this.w + 14); }
  set attrTypeMask(v: number) { setU64(this.u32, this.w + 14, checkSafeInt(v, 'attrTypeMask')); }

  /** `optval` (u64 at 48, the `addr3` union): the option value address of a URING_CMD socket command. */
  get optval(): number { return getU64(this.u32, this.w + 12); }
  set optval(v: number) { setU64(this.u32, this.w + 12, checkSafeInt(v, 'optval')); }
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
