// Stats and BigIntStats as node:fs makes them, from a struct statx: the
// fields, their order, the *Ms and Date fields and the is*() methods. libuv
// takes them from statx(2) too (uv__fs_statx in src/unix/fs.c), so the
// values are the same: dev and rdev are makedev(major, minor) of glibc's
// <sys/sysmacros.h>, birthtime is stx_btime, the times in ms are
// `sec * 1e3 + nsec / 1e6` and each Date is that rounded
// (getStatsFromBinding and dateFromMs in lib/internal/fs/utils.js).

import { constants, Stats as NodeStats } from 'node:fs';
import { statx } from '../uapi/fs.ts';

const { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK } = constants;

// Node 22 and later make the Date fields lazy: accessors on the prototype
// that make an own property at the first read (so Object.keys of a fresh
// Stats leaves them out); Node 20 makes them at once. Each Node's way here.
const LAZY_DATES = Object.getOwnPropertyDescriptor(NodeStats.prototype, 'atime') !== undefined;

/** The fields both kinds of stats have, with Node's is*() methods. */
abstract class StatsBase<T extends number | bigint> {
  /** The device holding the file: makedev(major, minor). */
  dev!: T;
  /** File type and permission bits. */
  mode!: T;
  /** The number of hard links to the file (stx_nlink). */
  nlink!: T;
  /** The user id of the file's owner (stx_uid). */
  uid!: T;
  /** The group id of the file's group (stx_gid). */
  gid!: T;
  /** The device a device file stands for. */
  rdev!: T;
  /** The file system's preferred block size for I/O, in bytes (stx_blksize). */
  blksize!: T;
  /** The file's inode number (stx_ino). */
  ino!: T;
  /** The file's size in bytes (stx_size); a symlink's is the length of its target. */
  size!: T;
  /** The number of 512-byte blocks allocated to the file (stx_blocks). */
  blocks!: T;

  /** A regular file. */
  isFile(): boolean {
    return this.#type() === S_IFREG;
  }

  /** A directory. */
  isDirectory(): boolean {
    return this.#type() === S_IFDIR;
  }

  /** A block device. */
  isBlockDevice(): boolean {
    return this.#type() === S_IFBLK;
  }

  /** A character device. */
  isCharacterDevice(): boolean {
    return this.#type() === S_IFCHR;
  }

  /** A symbolic link (only lstat sees one). */
  isSymbolicLink(): boolean {
    return this.#type() === S_IFLNK;
  }

  /** A FIFO. */
  isFIFO(): boolean {
    return this.#type() === S_IFIFO;
  }

  /** A socket. */
  isSocket(): boolean {
    return this.#type() === S_IFSOCK;
  }

  #type(): number {
    return Number(this.mode) & S_IFMT;
  }
}

/**
 * What stat, lstat and fstat resolve with: node:fs's Stats, field for field.
 * Differs from node:fs/promises: `instanceof fs.Stats` is false (node:fs's
 * constructor is deprecated); the fields and methods are the same.
 */
export class Stats extends StatsBase<number> {
  /** When the file was last accessed, in milliseconds since the epoch, with a fraction (stx_atime). */
  atimeMs!: number;
  /** When the file's data was last modified, in milliseconds since the epoch (stx_mtime). */
  mtimeMs!: number;
  /** When the file's status (inode) last changed, in milliseconds since the epoch (stx_ctime). */
  ctimeMs!: number;
  /** When the file was created, in milliseconds since the epoch (stx_btime); 0 where the file system doesn't record it. */
  birthtimeMs!: number;
  /** atimeMs as a Date (rounded to the millisecond); made at its first read on Node 22 and later, as Node's is. */
  atime!: Date;
  /** mtimeMs as a Date (rounded to the millisecond). */
  mtime!: Date;
  /** ctimeMs as a Date (rounded to the millisecond). */
  ctime!: Date;
  /** birthtimeMs as a Date (rounded to the millisecond). */
  birthtime!: Date;
}

/** What stat, lstat and fstat resolve with given `{ bigint: true }`: node:fs's BigIntStats. */
export class BigIntStats extends StatsBase<bigint> {
  /** When the file was last accessed, in whole milliseconds since the epoch (rounded down). */
  atimeMs!: bigint;
  /** When the file's data was last modified, in whole milliseconds since the epoch (rounded down). */
  mtimeMs!: bigint;
  /** When the file's status (inode) last changed, in whole milliseconds since the epoch (rounded down). */
  ctimeMs!: bigint;
  /** When the file was created, in whole milliseconds since the epoch (rounded down); 0 where the file system doesn't record it. */
  birthtimeMs!: bigint;
  /** When the file was last accessed, in nanoseconds since the epoch (stx_atime, exact). */
  atimeNs!: bigint;
  /** When the file's data was last modified, in nanoseconds since the epoch (stx_mtime, exact). */
  mtimeNs!: bigint;
  /** When the file's status (inode) last changed, in nanoseconds since the epoch (stx_ctime, exact). */
  ctimeNs!: bigint;
  /** When the file was created, in nanoseconds since the epoch (stx_btime, exact); 0 where the file system doesn't record it. */
  birthtimeNs!: bigint;
  /** atimeMs as a Date; made at its first read on Node 22 and later, as Node's is. */
  atime!: Date;
  /** mtimeMs as a Date. */
  mtime!: Date;
  /** ctimeMs as a Date. */
  ctime!: Date;
  /** birthtimeMs as a Date. */
  birthtime!: Date;
}

// glibc's makedev: the major's low 12 bits at 8, its high 20 at 44; the
// minor's low 8 bits at 0, its high 24 at 20. As a double: exact below 2^53,
// as Node's own Stats are.
function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 0x100 + (major >>> 12) * 2 ** 44 + (minor & 0xff) + (minor >>> 8) * 0x100000;
}

function makedevBig(major: number, minor: number): bigint {
  return (BigInt(major & 0xfff) << 8n) | (BigInt(major >>> 12) << 44n) | BigInt(minor & 0xff) | (BigInt(minor >>> 8) << 20n);
}

if (LAZY_DATES) {
  for (const proto of [Stats.prototype, BigIntStats.prototype]) {
    for (const k of ['atime', 'mtime', 'ctime', 'birthtime'] as const) {
      const ms = `${k}Ms` as const;
      const own = (o: object, value: Date) => Object.defineProperty(o, k, { configurable: true, enumerable: true, value, writable: true });
      Object.defineProperty(proto, k, {
        configurable: true,
        enumerable: true,
        get(this: Stats | BigIntStats) {
          const d = new Date(Math.round(Number(this[ms])));
          own(this, d);
          return d;
        },
        set(this: Stats | BigIntStats, value: Date) {
          own(this, value);
        },
      });
    }
  }
}

/** A Stats (or BigIntStats) from the `struct statx` a STATX filled. */
export function statsFromStatx(buf: Uint8Array, bigint: boolean): Stats | BigIntStats {
  const dv = new DataView(buf.buffer, buf.byteOffset, statx.sizeof);
  const u32 = (at: number) => dv.getUint32(at, true);
  if (bigint) {
    const s = new BigIntStats();
    const u64 = (at: number) => dv.getBigUint64(at, true);
    s.dev = makedevBig(u32(statx.stx_dev_major), u32(statx.stx_dev_minor));
    s.mode = BigInt(dv.getUint16(statx.stx_mode, true));
    s.nlink = BigInt(u32(statx.stx_nlink));
    s.uid = BigInt(u32(statx.stx_uid));
    s.gid = BigInt(u32(statx.stx_gid));
    s.rdev = makedevBig(u32(statx.stx_rdev_major), u32(statx.stx_rdev_minor));
    s.blksize = BigInt(u32(statx.stx_blksize));
    s.ino = u64(statx.stx_ino);
    s.size = u64(statx.stx_size);
    s.blocks = u64(statx.stx_blocks);
    const ns = (at: number) => dv.getBigInt64(at, true) * 1_000_000_000n + BigInt(u32(at + 8));
    const a = ns(statx.stx_atime);
    const m = ns(statx.stx_mtime);
    const c = ns(statx.stx_ctime);
    const b = ns(statx.stx_btime);
    const ms = (t: bigint) => (t < 0n ? (t - 999_999n) / 1_000_000n : t / 1_000_000n);
    s.atimeMs = ms(a);
    s.mtimeMs = ms(m);
    s.ctimeMs = ms(c);
    s.birthtimeMs = ms(b);
    s.atimeNs = a;
    s.mtimeNs = m;
    s.ctimeNs = c;
    s.birthtimeNs = b;
    if (!LAZY_DATES) {
      s.atime = new Date(Number(s.atimeMs));
      s.mtime = new Date(Number(s.mtimeMs));
      s.ctime = new Date(Number(s.ctimeMs));
      s.birthtime = new Date(Number(s.birthtimeMs));
    }
    return s;
  }
  const s = new Stats();
  const u64 = (at: number) => u32(at) + u32(at + 4) * 4294967296;
  s.dev = makedev(u32(statx.stx_dev_major), u32(statx.stx_dev_minor));
  s.mode = dv.getUint16(statx.stx_mode, true);
  s.nlink = u32(statx.stx_nlink);
  s.uid = u32(statx.stx_uid);
  s.gid = u32(statx.stx_gid);
  s.rdev = makedev(u32(statx.stx_rdev_major), u32(statx.stx_rdev_minor));
  s.blksize = u32(statx.stx_blksize);
  s.ino = u64(statx.stx_ino);
  s.size = u64(statx.stx_size);
  s.blocks = u64(statx.stx_blocks);
  const ms = (at: number) => Number(dv.getBigInt64(at, true)) * 1e3 + u32(at + 8) / 1e6;
  s.atimeMs = ms(statx.stx_atime);
  s.mtimeMs = ms(statx.stx_mtime);
  s.ctimeMs = ms(statx.stx_ctime);
  s.birthtimeMs = ms(statx.stx_btime);
  if (!LAZY_DATES) {
    s.atime = new Date(Math.round(s.atimeMs));
    s.mtime = new Date(Math.round(s.mtimeMs));
    s.ctime = new Date(Math.round(s.ctimeMs));
    s.birthtime = new Date(Math.round(s.birthtimeMs));
  }
  return s;
}
