// The ring operations tsuring/fs is made of, each an async function that
// awaits the AsyncRing and turns its failure into Node's error for the call
// it serves (Node's syscall name, the path and dest it names). Building the
// error after the await is what gives it the caller's `at async` frames
// (errors.ts); a call that succeeds pays nothing for that.

import { constants } from 'node:fs';
import type { AsyncRing } from '../async/async-ring.ts';
import { prepStatx } from '../prep/fs.ts';
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, STATX_BTIME, statx } from '../uapi/fs.ts';
import { IoUringError } from '../errors.ts';
import { toFsError } from './errors.ts';
import { O_CLOEXEC } from '../uapi/fs.ts';
import { statsFromStatx, type BigIntStats, type Stats } from './stats.ts';
import { byteLengthOf, bytesOf, onResizable, snapshotList } from '../ring/memory.ts';

const { S_IFMT, S_IFREG } = constants;

/** openat(AT_FDCWD, path) with O_CLOEXEC added, as libuv opens; its failure names `syscall` (and the paths given). */
export async function openFd(io: AsyncRing, path: string | Uint8Array, flags: number, mode: number, syscall = 'open', shown?: string, dest?: string): Promise<number> {
  try {
    return await io.openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
  } catch (err) {
    throw toFsError(err, syscall, shown ?? shownOf(path), dest);
  }
}

/** close(2) of `fd`. */
export async function closeFd(io: AsyncRing, fd: number): Promise<void> {
  try {
    await io.closeFd(fd);
  } catch (err) {
    throw toFsError(err, 'close');
  }
}

// node:fs/promises reads and writes views the ring refuses: one on a
// resizable buffer (it could shrink under the kernel), and in readv and
// writev a detached one (no bytes: an empty iovec to Node). Only once the
// ring has refused them, so the common path pays nothing, they go through
// stand-ins: a copy of what a view holds now to write, or a fresh buffer to
// read into, whose bytes then go into as much of the view as it still holds.
const NO_BYTES = new Uint8Array(0);

function standIns(list: readonly ArrayBufferView[], reading: boolean): ArrayBufferView[] {
  return list.map((b) => {
    const len = byteLengthOf(b);
    if (len === 0) return NO_BYTES;
    if (!onResizable(b)) return b;
    return reading ? new Uint8Array(len) : bytesOf(b).slice();
  });
}

function copyBack(stand: readonly ArrayBufferView[], list: readonly ArrayBufferView[], n: number): void {
  for (let i = 0; i < list.length && n > 0; i++) {
    const from = stand[i] as Uint8Array;
    if (from !== list[i] && from !== NO_BYTES) {
      const now = bytesOf(list[i]!);
      now.set(from.subarray(0, Math.min(n, now.length)));
    }
    n -= from.byteLength;
  }
}

// The ring's refusal of an argument (the kernel's errors are IoUringErrors:
// what it ran is never run again), and whether a copy would have been taken.
const refused = (err: unknown): boolean => !(err instanceof IoUringError);
const refusedForCopy = (list: readonly ArrayBufferView[]): boolean =>
  list.some((b) => ArrayBuffer.isView(b) && (onResizable(b) || byteLengthOf(b) === 0)) && list.every((b) => ArrayBuffer.isView(b));

function snapshotOrNull(bufs: readonly ArrayBufferView[]): ArrayBufferView[] | null {
  try {
    return snapshotList(bufs, 'buffers');
  } catch {
    return null;
  }
}

/** read(2) (or pread at `pos` >= 0) into all of `view`. */
export async function readFd(io: AsyncRing, fd: number, view: ArrayBufferView, pos: number, syscall = 'read', shown?: string, dest?: string): Promise<number> {
  try {
    return await io.read(fd, view, pos);
  } catch (err) {
    return await readFdFailed(err, io, fd, view, pos, syscall, shown, dest);
  }
}

/**
 * What readFd does when `io.read(fd, view, pos)` rejected with `err`: a view
 * the ring refused for its resizable buffer is read through a copy; any
 * other error is thrown as Node's. For a caller that awaits io.read itself
 * (FileHandle.read: one async frame fewer per read).
 */
export async function readFdFailed(
  err: unknown, io: AsyncRing, fd: number, view: ArrayBufferView, pos: number, syscall = 'read', shown?: string, dest?: string,
): Promise<number> {
  if (!refused(err) || !onResizable(view)) throw toFsError(err, syscall, shown, dest);
  const stand = standIns([view], true);
  const n = await readFd(io, fd, stand[0]!, pos, syscall, shown, dest);
  copyBack(stand, [view], n);
  return n;
}

/** write(2) (or pwrite at `pos` >= 0) of all of `view`. */
export async function writeFd(io: AsyncRing, fd: number, view: ArrayBufferView, pos: number, syscall = 'write', shown?: string, dest?: string): Promise<number> {
  try {
    return await io.write(fd, view, pos);
  } catch (err) {
    if (!refused(err) || !onResizable(view)) throw toFsError(err, syscall, shown, dest);
  }
  return await writeFd(io, fd, standIns([view], false)[0]!, pos, syscall, shown, dest);
}

/** readv(2) (preadv at `pos` >= 0). */
export async function readvFd(io: AsyncRing, fd: number, bufs: readonly ArrayBufferView[], pos: number): Promise<number> {
  try {
    return await io.readv(fd, bufs, pos);
  } catch (err) {
    const list = refused(err) ? snapshotOrNull(bufs) : null;
    if (list === null || !refusedForCopy(list)) throw toFsError(err, 'read');
    const stand = standIns(list, true);
    let n: number;
    try {
      n = await io.readv(fd, stand, pos);
    } catch (again) {
      throw toFsError(again, 'read');
    }
    copyBack(stand, list, n);
    return n;
  }
}

/** writev(2) (pwritev at `pos` >= 0). */
export async function writevFd(io: AsyncRing, fd: number, bufs: readonly ArrayBufferView[], pos: number): Promise<number> {
  try {
    return await io.writev(fd, bufs, pos);
  } catch (err) {
    const list = refused(err) ? snapshotOrNull(bufs) : null;
    if (list === null || !refusedForCopy(list)) throw toFsError(err, 'write');
    try {
      return await io.writev(fd, standIns(list, false), pos);
    } catch (again) {
      throw toFsError(again, 'write');
    }
  }
}

/** fsync(2), or fdatasync(2). */
export async function syncFd(io: AsyncRing, fd: number, datasync: boolean): Promise<void> {
  try {
    await io.fsync(fd, datasync ? DATASYNC : undefined);
  } catch (err) {
    throw toFsError(err, datasync ? 'fdatasync' : 'fsync');
  }
}
const DATASYNC = { datasync: true };

/** ftruncate(2) (IORING_OP_FTRUNCATE, Linux 6.9). */
export async function ftruncateFd(io: AsyncRing, fd: number, len: number, syscall = 'ftruncate', shown?: string, dest?: string): Promise<void> {
  try {
    await io.ftruncate(fd, len);
  } catch (err) {
    throw toFsError(err, syscall, shown, dest);
  }
}

// statx as libuv calls it (uv__fs_statx): the basic stats and the birth
// time, AT_STATX_SYNC_AS_STAT.
const STATX_MASK = STATX_BASIC_STATS | STATX_BTIME;

/** The raw `struct statx` of `path` (relative to `dfd`; '' with AT_EMPTY_PATH: `dfd` itself). */
export async function statxRaw(io: AsyncRing, dfd: number, path: string | Uint8Array, flags: number, syscall: string, shown?: string, dest?: string): Promise<Uint8Array> {
  const buf = new Uint8Array(statx.sizeof);
  try {
    await io.run((sqe) => prepStatx(sqe, dfd, path, flags, STATX_MASK, buf), STATX_NAME);
  } catch (err) {
    throw toFsError(err, syscall, shown, dest);
  }
  return buf;
}
const STATX_NAME = { name: 'statx' };

/** stat (follows a final symlink), lstat (doesn't) or fstat, as Node's Stats. */
export async function statOf(io: AsyncRing, which: 'stat' | 'lstat', path: string | Uint8Array, bigint: boolean): Promise<Stats | BigIntStats> {
  const buf = await statxRaw(io, AT_FDCWD, path, which === 'lstat' ? AT_SYMLINK_NOFOLLOW : 0, which, shownOf(path));
  return statsFromStatx(buf, bigint);
}

/** fstat of `fd` as Node's Stats. */
export async function fstatOf(io: AsyncRing, fd: number, bigint: boolean): Promise<Stats | BigIntStats> {
  return statsFromStatx(await statxRaw(io, fd, '', AT_EMPTY_PATH, 'fstat'), bigint);
}

/** What readFile and copyFile want of an fd: its mode and size. */
export interface ModeSize {
  mode: number;
  size: number;
  dev: number;
  ino: number;
}

/** fstat of `fd`: mode, size, device and inode only. */
export async function fstatModeSize(io: AsyncRing, fd: number, syscall = 'fstat', shown?: string, dest?: string): Promise<ModeSize> {
  const buf = await statxRaw(io, fd, '', AT_EMPTY_PATH, syscall, shown, dest);
  const dv = new DataView(buf.buffer);
  return {
    mode: dv.getUint16(statx.stx_mode, true),
    size: Number(dv.getBigUint64(statx.stx_size, true)),
    dev: dv.getUint32(statx.stx_dev_major, true) * 2 ** 32 + dv.getUint32(statx.stx_dev_minor, true),
    ino: Number(dv.getBigUint64(statx.stx_ino, true)),
  };
}

/** Whether a statx mode is a regular file's. */
export function isRegular(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}

/** unlink(2), or rmdir(2) with `dir`. */
export async function unlinkPath(io: AsyncRing, path: string | Uint8Array, dir: boolean): Promise<void> {
  try {
    await io.unlinkat(AT_FDCWD, path, dir ? AT_REMOVEDIR : 0);
  } catch (err) {
    throw toFsError(err, dir ? 'rmdir' : 'unlink', shownOf(path));
  }
}

/** mkdir(2): resolves with 0, or the -errno (mkdir -p's steps look at it), unless it is to throw. */
export async function mkdirErrno(io: AsyncRing, path: string | Uint8Array, mode: number): Promise<number> {
  try {
    await io.mkdirat(AT_FDCWD, path, mode);
    return 0;
  } catch (err) {
    if (err instanceof IoUringError) return err.errno;
    throw err;
  }
}

/** rename(2). */
export async function renamePaths(io: AsyncRing, from: string | Uint8Array, to: string | Uint8Array): Promise<void> {
  try {
    await io.renameat(AT_FDCWD, from, AT_FDCWD, to, 0);
  } catch (err) {
    throw toFsError(err, 'rename', shownOf(from), shownOf(to));
  }
}

/** link(2): linkat without AT_SYMLINK_FOLLOW, as libuv's uv_fs_link. */
export async function linkPaths(io: AsyncRing, from: string | Uint8Array, to: string | Uint8Array): Promise<void> {
  try {
    await io.linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
  } catch (err) {
    throw toFsError(err, 'link', shownOf(from), shownOf(to));
  }
}

/** symlink(2): a link at `path` to `target`. */
export async function symlinkPaths(io: AsyncRing, target: string | Uint8Array, path: string | Uint8Array): Promise<void> {
  try {
    await io.symlinkat(target, AT_FDCWD, path);
  } catch (err) {
    throw toFsError(err, 'symlink', shownOf(target), shownOf(path));
  }
}

/** How an error names a path (a Buffer as its UTF-8 text). */
export function shownOf(p: string | Uint8Array): string {
  if (typeof p === 'string') return p;
  const b = bytesOf(p, 'path'); // the view's own bytes, whatever its properties say
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString();
}
