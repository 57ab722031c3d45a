// readFile and writeFile of small files in one ring submission each, where
// node:fs/promises takes four thread-pool jobs:
//
//   readFile:  openat(path) into a direct descriptor -> fadvise -> read ->
//              read -> close, one linked chain
//   writeFile: openat(path, O_WRONLY) into a direct descriptor -> write ->
//              ftruncate to the length written -> close, one linked chain,
//              for a file that exists; for one that doesn't, openat(path,
//              O_WRONLY|O_CREAT|O_TRUNC) -> write -> close
//
// Each call borrows a slot: memory whose address is taken once (the path as
// a C string, a small scratch area, 64 KiB of data) and a direct descriptor
// of the ring's file table (registered here, sparse: the ring must be one
// tsuring/fs made). Taking an address (lib/ring/memory.ts) and turning a
// path into C memory (lib/prep/path.ts) cost more than the rest of an
// operation, and a fresh buffer per call pays both; the slot pays them once.
// A slot goes back to the free list only when its operation has settled,
// when the kernel has let go of its memory; a chain rejects only when the
// ring is closing, and its slot is then kept out for good (memory the kernel
// may still hold is never handed out again). A read of up to 64 KiB lands in
// the slot and is copied into the Buffer returned (a copy costs less than
// taking a fresh Buffer's address).
//
// readFile's chain reads a file of up to 64 KiB without asking its size
// first (statx runs on an io-wq worker, never inline: a thread hand-off per
// file, which halved the rate). Node reads a file of unknown size (a FIFO,
// a terminal, a /proc file) until a read returns nothing, and what is read
// from a pipe or a terminal can't be read again. So:
//  - POSIX_FADV_NORMAL (no effect on a fresh descriptor) fails with ESPIPE on
//    a FIFO, before anything is read: the reads and the close are cancelled,
//    and the FIFO is read to its end from that one open (the open is its
//    meeting with the writer; a second open would wait for another).
//  - Both reads are RWF_NOWAIT: a terminal, which can't read that way, fails
//    them with EOPNOTSUPP and nothing is consumed; a file not in the page
//    cache fails them with EAGAIN rather than waiting.
//  - The second read, into the scratch area, returning nothing is what says
//    the first had the whole file, as Node's last read says it.
// Anything else (over 64 KiB, EAGAIN, EOPNOTSUPP, a directory) is closed by
// the chain and read the older way: statx, then a chain of openat -> one
// read of the size statx gave (up to 512 KiB, node:fs/promises'
// kReadFileBufferLength) -> close, or, for what statx doesn't call a regular
// file of 1 byte to 512 KiB, step by step (whole-file.ts), as is any call the
// chains don't do as Node does: other flags, a signal, a failure (retried
// step by step, so the error is the one Node gives, from the step that
// fails).
//
// The chains: openat's failure cancels the rest (IOSQE_IO_LINK), as does
// fadvise's; a read's failure or short read doesn't stop the close
// (IOSQE_IO_HARDLINK), so the descriptor is closed whatever happened. A direct descriptor has no fd
// number, so O_CLOEXEC has nothing to do (the kernel refuses it there).

import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import { release } from 'node:os';
import type { AsyncRing } from '../async/async-ring.ts';
import type { Prep } from '../async/options.ts';
import { rw } from '../prep/rw.ts';
import { registerFilesSparse } from '../register/files.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import {
  IORING_OP_CLOSE, IORING_OP_FADVISE, IORING_OP_FTRUNCATE, IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_STATX, IORING_OP_WRITE, IOSQE_FIXED_FILE,
  IOSQE_IO_HARDLINK, IOSQE_IO_LINK,
} from '../uapi/constants.ts';
import { AT_FDCWD, RWF_NOWAIT, STATX_BASIC_STATS, STATX_BTIME, statx } from '../uapi/fs.ts';
import { getProbe } from '../register/probe.ts';
import { ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import { fsError } from './errors.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, S_IFMT, S_IFREG } = constants;
const { ECANCELED, EINVAL, ESPIPE } = ERRNO;

/** Bytes of a path slot: PATH_MAX (include/uapi/linux/limits.h), the NUL included. */
const PATH_BYTES = 4096;
/** Bytes of data a slot holds; a larger file (up to READ_MAX) is read into its own Buffer. */
const DATA_BYTES = 64 * 1024;
/** The largest file read in the chain: node:fs/promises' kReadFileBufferLength, what it reads in one read. */
const READ_MAX = 512 * 1024;
/** Slots made at a time, and at most (the size of the file table registered). */
const CHUNK = 16;
const MAX_SLOTS = 128;
const SLOT_BYTES = PATH_BYTES + statx.sizeof + DATA_BYTES;
// statx as libuv calls it (uv__fs_statx): the basic stats and the birth time.
const STATX_MASK = STATX_BASIC_STATS | STATX_BTIME;
const WRITE_FLAGS = O_WRONLY | O_CREAT | O_TRUNC;
/** Bytes the read after the data asks for: any at all means the data was not the whole file. */
const EOF_PROBE = 16;

/** One call's memory and direct descriptor, and the encoders that name them. */
class Slot {
  readonly path: Buffer;
  readonly pathAddr: number;
  readonly stx: DataView;
  readonly stxAddr: number;
  readonly data: Buffer;
  readonly dataAddr: number;
  // The operation under way: what the encoders write.
  flags = 0;
  mode = 0;
  len = 0;
  /** The length the file is cut to (ftruncate). */
  cut = 0;
  ioAddr = 0;
  /** A buffer of the caller's (or a fresh one) the chain names instead of `data`; kept on its entry. */
  ioBuf: Uint8Array | null = null;
  readonly statxPrep: Prep;
  readonly chainPreps: Prep[];
  readonly readPreps: Prep[];
  readonly closePrep: Prep;
  readonly readPrep: Prep;
  readonly overwritePreps: Prep[];
  readonly cutPreps: Prep[];

  constructor(readonly file: number, ab: ArrayBuffer, base: number, at: number) {
    this.path = Buffer.from(ab, at, PATH_BYTES);
    this.pathAddr = base + at;
    this.stx = new DataView(ab, at + PATH_BYTES, statx.sizeof);
    this.stxAddr = base + at + PATH_BYTES;
    this.data = Buffer.from(ab, at + PATH_BYTES + statx.sizeof, DATA_BYTES);
    this.dataAddr = base + at + PATH_BYTES + statx.sizeof;
    const fileIndex = file + 1; // file_index: the slot + 1
    this.statxPrep = (sqe: Sqe) => {
      rw(IORING_OP_STATX, sqe, AT_FDCWD, this.pathAddr, STATX_MASK, this.stxAddr);
      sqe.u32[sqe.w + 7] = 0; // statx_flags: follow a final symlink, as stat(2)
    };
    const open = (sqe: Sqe) => {
      rw(IORING_OP_OPENAT, sqe, AT_FDCWD, this.pathAddr, this.mode, 0);
      sqe.u32[sqe.w + 7] = this.flags; // open_flags
      sqe.u32[sqe.w + 11] = fileIndex;
    };
    const io = (sqe: Sqe) => {
      rw(this.flags === O_RDONLY ? IORING_OP_READ : IORING_OP_WRITE, sqe, file, this.ioAddr, this.len, -1);
      sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
      if (this.ioBuf !== null) sqe.keep(this.ioBuf);
    };
    const close = (sqe: Sqe) => {
      rw(IORING_OP_CLOSE, sqe, 0, 0, 0, 0);
      sqe.u32[sqe.w + 11] = fileIndex;
    };
    this.closePrep = close;
    this.chainPreps = [open, io, close];
    // A write that fails or comes up short cancels the cut and the close
    // (IOSQE_IO_LINK): the file is then cut to what was written, and closed,
    // by cutPreps. A cut that fails (a FIFO or a device can't be cut: EINVAL)
    // doesn't stop the close.
    const overwrite = (sqe: Sqe) => {
      rw(IORING_OP_WRITE, sqe, file, this.ioAddr, this.len, -1);
      sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
      if (this.ioBuf !== null) sqe.keep(this.ioBuf);
    };
    const cut = (sqe: Sqe) => {
      rw(IORING_OP_FTRUNCATE, sqe, file, 0, 0, this.cut);
      sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    };
    this.overwritePreps = [open, overwrite, cut, close];
    this.cutPreps = [cut, close];
    const fadvise = (sqe: Sqe) => {
      rw(IORING_OP_FADVISE, sqe, file, 0, 0, 0); // POSIX_FADV_NORMAL over the whole file
      sqe.flags |= IOSQE_FIXED_FILE;
    };
    const readAll = (sqe: Sqe) => {
      rw(IORING_OP_READ, sqe, file, this.dataAddr, DATA_BYTES, -1);
      sqe.u32[sqe.w + 7] = RWF_NOWAIT;
      sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    };
    const readEnd = (sqe: Sqe) => {
      rw(IORING_OP_READ, sqe, file, this.stxAddr, EOF_PROBE, -1);
      sqe.u32[sqe.w + 7] = RWF_NOWAIT;
      sqe.flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    };
    this.readPreps = [open, fadvise, readAll, readEnd, close];
    this.readPrep = (sqe: Sqe) => {
      rw(IORING_OP_READ, sqe, file, this.dataAddr, DATA_BYTES, -1);
      sqe.flags |= IOSQE_FIXED_FILE;
    };
  }

  /** Writes `p` as a C string into the slot; false when it doesn't fit (the step-by-step path takes it). */
  setPath(p: string | Uint8Array): boolean {
    let n: number;
    if (typeof p === 'string') {
      // Buffer.write stops short of a character that doesn't fit: a path that
      // comes within 4 bytes of the end may have been cut.
      n = this.path.write(p, 0, PATH_BYTES - 1, 'utf8');
      if (n > PATH_BYTES - 5) return false;
    } else {
      n = p.length;
      if (n > PATH_BYTES - 1) return false;
      this.path.set(p);
    }
    this.path[n] = 0;
    return true;
  }
}

/** The slots of a ring, and its file table. */
class Slots {
  private readonly free: Slot[] = [];
  private made = 0;
  constructor(readonly io: AsyncRing, readonly overwrite: boolean) {}

  take(): Slot | null {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.made >= MAX_SLOTS) return null;
    const ab = new ArrayBuffer(SLOT_BYTES * CHUNK);
    const base = addressFor(new Uint8Array(ab), ab.byteLength, 'slots');
    for (let i = CHUNK - 1; i > 0; i--) this.free.push(new Slot(this.made + i, ab, base, i * SLOT_BYTES));
    const first = new Slot(this.made, ab, base, 0);
    this.made += CHUNK;
    held.push(ab); // never freed: see the file's head
    return first;
  }

  /** A slot holding `path` as a C string; null when none is free or the path doesn't fit (the step-by-step path takes it). */
  takeFor(path: string | Uint8Array): Slot | null {
    const s = this.take();
    if (s === null) return null;
    if (s.setPath(path)) return s;
    this.give(s);
    return null;
  }

  give(s: Slot): void {
    s.ioBuf = null;
    this.free.push(s);
  }
}
const held: ArrayBuffer[] = [];

const rings = new WeakMap<AsyncRing, Slots>();

/**
 * Lets readFile and writeFile use their chains on `io`, a ring tsuring/fs
 * made and nothing else uses: registers a sparse file table for their
 * direct descriptors. Without one (a kernel before 5.15, or one that refused
 * the table) they go step by step.
 */
export function enableChains(io: AsyncRing): void {
  // openat into a direct descriptor and its close are Linux 5.15's; an older
  // kernel would ignore file_index and open a plain fd the chain never closes.
  const [major = 0, minor = 0] = release().split('.').map(Number);
  if (major < 5 || (major === 5 && minor < 15)) return;
  try {
    registerFilesSparse(io.ring, MAX_SLOTS);
  } catch {
    return;
  }
  let overwrite = false;
  try {
    overwrite = getProbe().supported(IORING_OP_FTRUNCATE); // Linux 6.9
  } catch {
    // no probe: the chains that create
  }
  rings.set(io, new Slots(io, overwrite));
}

// Closes the slot's descriptor; false when the ring is closing (the slot stays out).
async function closeSlot(io: AsyncRing, s: Slot): Promise<boolean> {
  try {
    await io.run(s.closePrep);
  } catch (err) {
    if (!(err instanceof IoUringError) || err.errno === -ECANCELED) return false;
  }
  return true;
}

// A FIFO open in the slot, read as Node reads a file of unknown size: a
// chunk at a time until a read returns nothing. Then closed.
async function readToEnd(io: AsyncRing, slots: Slots, s: Slot, encoding: BufferEncoding | undefined): Promise<Buffer | string | null> {
  const chunks: Buffer[] = [];
  let failed = 0;
  for (;;) {
    let n: number;
    try {
      n = await io.run(s.readPrep);
    } catch (err) {
      if (!(err instanceof IoUringError) || err.errno === -ECANCELED) return null; // the ring is closing: the slot stays out
      failed = err.errno;
      break;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(s.data.subarray(0, n)));
  }
  if (!(await closeSlot(io, s))) return null;
  slots.give(s);
  if (failed !== 0) throw fsError(failed, 'read');
  const all = Buffer.concat(chunks);
  return encoding ? all.toString(encoding) : all;
}

/** What a chained readFile came to: the data, or null when the step-by-step path is to do it. */
export async function readFileChained(io: AsyncRing, path: string | Uint8Array, encoding: BufferEncoding | undefined): Promise<Buffer | string | null> {
  const slots = rings.get(io);
  if (slots === undefined) return null;
  const s = slots.takeFor(path);
  if (s === null) return null;
  s.flags = O_RDONLY;
  s.mode = 0;
  let r: number[];
  try {
    r = await io.chain(s.readPreps);
  } catch {
    return null; // the ring is closed: the slot stays out
  }
  if (r[0]! < 0) {
    slots.give(s); // open failed: the step-by-step path fails as Node does
    return null;
  }
  if (r[1]! >= 0 && r[2]! >= 0 && r[3] === 0 && r[4]! >= 0) {
    const n = r[2]!;
    let out: Buffer | string;
    if (encoding) out = s.data.toString(encoding, 0, n);
    else {
      out = Buffer.allocUnsafeSlow(n);
      s.data.copy(out, 0, 0, n);
    }
    slots.give(s);
    return out;
  }
  if (r[1]! < 0) {
    // fadvise refused: the reads and the close were cancelled, and the
    // file is still open in the slot. A FIFO (ESPIPE) can't be opened
    // again (its writer met this open), so it is read here to its end.
    if (r[1] === -ESPIPE) return await readToEnd(io, slots, s, encoding);
    if (!(await closeSlot(io, s))) return null;
  }
  // Read but not to its end (over 64 KiB), or not read (not in the page
  // cache: EAGAIN; no non-blocking reads, as a terminal: EOPNOTSUPP; a
  // directory): closed, and taken again below with the file's size.
  try {
    await io.run(s.statxPrep);
  } catch (err) {
    // statx's own failure: the step-by-step path fails as Node does. The
    // ring's closing (ECANCELED) keeps the slot out.
    if (err instanceof IoUringError && err.errno !== -ECANCELED) slots.give(s);
    return null;
  }
  const mode = s.stx.getUint16(statx.stx_mode, true);
  const size = s.stx.getUint32(statx.stx_size, true) + s.stx.getUint32(statx.stx_size + 4, true) * 2 ** 32;
  if ((mode & S_IFMT) !== S_IFREG || size === 0 || size > READ_MAX) {
    slots.give(s);
    return null;
  }
  s.flags = O_RDONLY;
  s.mode = 0;
  s.len = size;
  let own: Buffer | null = null;
  if (size <= DATA_BYTES) {
    s.ioAddr = s.dataAddr;
  } else {
    own = s.ioBuf = Buffer.allocUnsafeSlow(size);
    s.ioAddr = addressFor(own, size, 'buffer');
  }
  try {
    r = await io.chain(s.chainPreps);
  } catch {
    return null; // the ring is closed: the slot stays out
  }
  const n = r[1]!;
  let out: Buffer | string | null = null;
  if (r[0]! >= 0 && n >= 0 && r[2]! >= 0) {
    // As Node: the bytes one read of the size fstat gave brought.
    if (own !== null) out = encoding ? own.toString(encoding, 0, n) : n === size ? own : own.subarray(0, n);
    else if (encoding) out = s.data.toString(encoding, 0, n);
    else {
      out = Buffer.allocUnsafeSlow(n);
      s.data.copy(out, 0, 0, n);
    }
  }
  slots.give(s);
  return out;
}

// An openat that may create or truncate never completes inline: the kernel
// hands it to an io-wq worker (io_openat2 in io_uring/openclose.c), one
// worker per operation waiting, and workers creating files in one directory
// spin on its lock (perf: rwsem_spin_on_owner). So a file that exists is
// opened without O_CREAT and O_TRUNC, which completes inline, written over,
// and cut to the length written (as Bun's writeFile does); only when that
// open fails (no such file, or an error Node's open would report in its own
// way) is it opened to create, and at most CREATES such chains run at once,
// as many as libuv's thread pool has threads; the rest wait their turn here.
const CREATES = 4;
let creating = 0;
const createQueue: (() => void)[] = [];

/** What a chained writeFile did: 'done', an errno and the step that failed, or null when the step-by-step path is to do it (nothing was done). */
export type WriteOutcome = null | 'done' | { errno: number; syscall: 'open' | 'write' | 'close'; written: number };

/**
 * writeFile of `bytes` (at most 512 KiB: one write in node:fs/promises too)
 * to `path` with flag 'w' and `mode`, as one chain. A short write is
 * reported as { errno: 0, written } for the caller to finish, the file
 * holding the bytes written and no more.
 */
export async function writeFileChained(io: AsyncRing, path: string | Uint8Array, bytes: Uint8Array, mode: number): Promise<WriteOutcome> {
  const slots = rings.get(io);
  if (slots === undefined) return null;
  const len = bytes.byteLength;
  if (len === 0 || len > READ_MAX) return null;
  const s = slots.takeFor(path);
  if (s === null) return null;
  if (!setData(s, bytes, len)) {
    slots.give(s); // memory the ring can't name (a resizable buffer): step by step
    return null;
  }
  if (slots.overwrite) {
    const done = await overwriteChain(slots, io, s, len);
    if (done !== 'create') return done;
  }
  // A turn ending passes straight to the first waiting, so no newcomer
  // slips in between.
  if (creating < CREATES) creating++;
  else await new Promise<void>((resolve) => createQueue.push(resolve));
  try {
    return await createChain(slots, io, s, len, mode);
  } finally {
    const next = createQueue.shift();
    if (next !== undefined) next();
    else creating--;
  }
}

// The slot's write names the `len` bytes of `src` (a view writeFile made,
// whose properties are its own): copied into the slot, or the caller's own
// memory for more than it holds. False when the ring can't name that memory.
function setData(s: Slot, src: Uint8Array, len: number): boolean {
  s.len = len;
  if (len <= DATA_BYTES) {
    s.data.set(src, 0);
    s.ioAddr = s.dataAddr;
    return true;
  }
  try {
    s.ioAddr = addressFor(src, len, 'data');
  } catch {
    return false;
  }
  s.ioBuf = src;
  return true;
}

// openat(O_WRONLY) -> write -> ftruncate(len) -> close. 'create' when the
// open failed (the slot is kept for the chain that creates); the slot is
// given back otherwise, or kept out for good when the ring closed under
// the chain (null).
async function overwriteChain(slots: Slots, io: AsyncRing, s: Slot, len: number): Promise<WriteOutcome | 'create'> {
  s.flags = O_WRONLY;
  s.mode = 0;
  s.cut = len;
  let r: number[];
  try {
    r = await io.chain(s.overwritePreps);
  } catch {
    return null; // the ring is closed: the slot stays out
  }
  if (r[0]! < 0) return 'create';
  const written = r[1]!;
  if (written === len) {
    slots.give(s);
    if (r[3]! < 0) return { errno: r[3]!, syscall: 'close', written: len };
    // EINVAL: not a file that can be cut (a FIFO, a device), which O_TRUNC
    // leaves as it is too. Any other failure of the cut is the write's.
    if (r[2]! < 0 && r[2] !== -EINVAL) return { errno: r[2]!, syscall: 'write', written: 0 };
    return 'done';
  }
  // The write failed or came up short, and the cut and the close were
  // cancelled: the file is cut to what was written, as it would be had
  // O_TRUNC emptied it first, and closed.
  s.cut = Math.max(written, 0);
  try {
    await io.chain(s.cutPreps);
  } catch {
    return null; // the ring is closed: the slot stays out
  }
  slots.give(s);
  return written < 0 ? { errno: written, syscall: 'write', written: 0 } : { errno: 0, syscall: 'write', written };
}

async function createChain(slots: Slots, io: AsyncRing, s: Slot, len: number, mode: number): Promise<WriteOutcome> {
  s.flags = WRITE_FLAGS;
  s.mode = mode;
  let r: number[];
  try {
    r = await io.chain(s.chainPreps);
  } catch {
    return null;
  }
  slots.give(s);
  if (r[0]! < 0) return { errno: r[0]!, syscall: 'open', written: 0 };
  if (r[1]! < 0) return { errno: r[1]!, syscall: 'write', written: 0 };
  if (r[2]! < 0) return { errno: r[2]!, syscall: 'close', written: len };
  if (r[1]! < len) return { errno: 0, syscall: 'write', written: r[1]! };
  return 'done';
}
