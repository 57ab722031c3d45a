import { ERRNO } from '../lib/errno.ts';
/**
 * Tests for the file-system encoders (lib/prep/fs.ts, open.ts, xattr.ts,
 * splice.ts): the SQE bytes each writes, the arguments each refuses, and
 * each operation run for real with its effect on the file system checked;
 * plus RELIABILITY.md cases 13 (short reads) and 14 (a broken link).
 *
 * A test whose opcode the running kernel lacks skips with the probe's reason
 * (the opcode and the Linux release that added it) in its title.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ffi from '../ffi/index.ts';
import { addressOf, view } from '../ffi/index.ts';
import { IoUring } from '../lib/ring/io-uring.ts';
import type { Sqe } from '../lib/ring/sqe.ts';
import { prepNop, prepRead, prepReadv, prepWrite } from '../lib/prep/rw.ts';
import * as layout from '../lib/uapi/layout.ts';
import {
  IORING_FILE_INDEX_ALLOC, IORING_FIXED_FD_NO_CLOEXEC, IORING_REGISTER_FILES2, IORING_RSRC_REGISTER_SPARSE,
  IORING_OP_CLOSE, IORING_OP_FADVISE, IORING_OP_FALLOCATE, IORING_OP_FGETXATTR, IORING_OP_FILES_UPDATE,
  IORING_OP_FIXED_FD_INSTALL, IORING_OP_FSETXATTR, IORING_OP_FTRUNCATE, IORING_OP_GETXATTR, IORING_OP_LINKAT,
  IORING_OP_MADVISE, IORING_OP_MKDIRAT, IORING_OP_NOP, IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_PIPE,
  IORING_OP_READ, IORING_OP_READV, IORING_OP_RENAMEAT, IORING_OP_SETXATTR, IORING_OP_SPLICE, IORING_OP_STATX,
  IORING_OP_SYMLINKAT, IORING_OP_SYNC_FILE_RANGE, IORING_OP_TEE, IORING_OP_UNLINKAT, IORING_OP_WRITEV,
  IOSQE_FIXED_FILE, IOSQE_IO_LINK, SPLICE_F_FD_IN_FIXED,
} from '../lib/uapi/constants.ts';
import {
  decodeStatx, prepFadvise, prepFadvise64, prepFallocate, prepFtruncate, prepLink, prepLinkat, prepMadvise, prepMadvise64, prepMkdir, prepMkdirat, prepReadv2, prepRename, prepRenameat, prepStatx, prepSymlink, prepSymlinkat, prepSyncFileRange, prepUnlink, prepUnlinkat, prepWritev2,
} from '../lib/prep/fs.ts';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, FALLOC_FL_KEEP_SIZE, MADV_DONTNEED, MADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_WILLNEED, RENAME_NOREPLACE, RWF_APPEND, RWF_DSYNC, RWF_HIPRI, RWF_NOWAIT, STATX_BASIC_STATS, STATX_BTIME, SYNC_FILE_RANGE_WAIT_AFTER, SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE, statx,
} from '../lib/uapi/fs.ts';
import { makeOpenHow, prepClose, prepCloseDirect, prepFilesUpdate, prepFixedFdInstall, prepOpen, prepOpenDirect, prepOpenat, prepOpenat2, prepOpenat2Direct, prepOpenatDirect } from '../lib/prep/open.ts';
import { RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS } from '../lib/uapi/fs.ts';
import { prepFgetxattr, prepFsetxattr, prepGetxattr, prepSetxattr } from '../lib/prep/xattr.ts';
import { XATTR_CREATE, XATTR_REPLACE } from '../lib/uapi/fs.ts';
import { prepPipe, prepPipeDirect, prepSplice, prepTee } from '../lib/prep/splice.ts';
import { SPLICE_F_MOVE, SPLICE_F_NONBLOCK } from '../lib/uapi/fs.ts';
import { forceGc, itOp, itRefusesBeforeWriting, reapAll, runOne, scratchFiles, type Refusal, sqeFields, staleSqe } from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { EBADF, EAGAIN, EEXIST, EINVAL, ERANGE, ELOOP, ENODATA, EOPNOTSUPP, EXDEV, ECANCELED, ENOENT } = ERRNO;

// O_* flags node:fs has; O_CLOEXEC it lacks (include/uapi/asm-generic/fcntl.h).
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_DIRECTORY } = fs.constants;
const O_CLOEXEC = 0o2000000;

// Files live in a temp dir; xattrs on the project's own disk (tmpfs may lack user.*).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
const { dir: scratch } = scratchFiles('prep-fs-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// ------------------------------------------------------------------ helpers


/** Runs one entry and returns its CQE's res. */
function run(ring: IoUring, prep: (sqe: Sqe) => void): number {
  return runOne(ring, prep).res;
}

let seq = 0;
/** A fresh path in `where` (default the temp dir), with `content` written if given. */
function file(content?: string | Buffer, where = dir): string {
  const p = path.join(where, `f${seq++}`);
  if (content !== undefined) fs.writeFileSync(p, content);
  return p;
}

/** A fresh empty directory, opened O_DIRECTORY: [path, fd]. The fd is closed by `closeAll`. */
function subdir(): [string, number] {
  const p = path.join(dir, `d${seq++}`);
  fs.mkdirSync(p);
  return [p, track(fs.openSync(p, O_RDONLY | O_DIRECTORY))];
}

// fds a test opened, closed after it (the test's own `finally`).
const opened: number[] = [];
function track(fd: number): number {
  opened.push(fd);
  return fd;
}
function closeAll(): void {
  for (const fd of opened.splice(0)) {
    try { fs.closeSync(fd); } catch { /* already closed by the test */ }
  }
}

/** A test body with a ring, and every fd it tracked closed afterwards. */
function withRing(fn: (ring: IoUring) => void): () => void {
  return () => {
    using ring = new IoUring(8);
    try {
      fn(ring);
    } finally {
      closeAll();
    }
  };
}

/** Registers an empty (sparse) table of `nr` direct descriptors. */
function registerSparse(ring: IoUring, nr: number): void {
  const L = layout.io_uring_rsrc_register;
  const reg = new Uint8Array(L.sizeof);
  const dv = new DataView(reg.buffer);
  dv.setUint32(L.nr, nr, true);
  dv.setUint32(L.flags, IORING_RSRC_REGISTER_SPARSE, true);
  ring.registerRaw(IORING_REGISTER_FILES2, reg, L.sizeof);
}

/** READ through direct descriptor `slot`: the text read, or the -errno. */
function readFixed(ring: IoUring, slot: number, offset = 0): string | number {
  const buf = Buffer.alloc(256);
  const res = run(ring, (s) => { prepRead(s, slot, buf, buf.length, offset); s.flags = IOSQE_FIXED_FILE; });
  return res < 0 ? res : buf.toString('latin1', 0, res);
}

/** WRITE through direct descriptor `slot`; the CQE's res. */
function writeFixed(ring: IoUring, slot: number, text: string): number {
  return run(ring, (s) => { prepWrite(s, slot, Buffer.from(text), text.length, 0); s.flags = IOSQE_FIXED_FILE; });
}

/** Reads what a pipe (or file at its position) holds now, up to 256 bytes. */
function readText(fd: number): string {
  const buf = Buffer.alloc(256);
  return buf.toString('latin1', 0, fs.readSync(fd, buf, 0, buf.length, null));
}

/** A pipe from pipe2(2): [read end, write end], both tracked. */
function pipe(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  return [track(p[0]), track(p[1])];
}

/** The fd's O_* flags from /proc/self/fdinfo (octal there). */
function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m![1]!, 8);
}

/** The bytes of one SQE, through the ring's own view of its memory. */

// ------------------------------------------------------- encoders, byte level

describe('encoders write the SQE', () => {
  const value = Buffer.from('xattr-value');
  const statxBuf = new Uint8Array(statx.sizeof);
  const madv = Buffer.alloc(8192);
  const fdsArr = new Int32Array([3, 4, 5]);
  const pfds = new Int32Array(2);
  const bufs = [Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(7)];
  const how = { flags: O_RDONLY | O_DIRECTORY, mode: 0, resolve: RESOLVE_BENEATH };
  const ALL_ONES = 2n ** 64n - 1n;
  const CWD32 = AT_FDCWD >>> 0; // a dfd in `len` is stored as a u32
  let allocated: Uint8Array | undefined;

  // What a pointer field must hold: a number, a C string, a buffer's
  // address, an iovec array over buffers, or a struct's bytes.
  type Ptr = bigint | { cstr: string } | { buf: () => ArrayBufferView } | { iovecs: ArrayBufferView[] } | { bytes: Uint8Array };
  interface Row {
    name: string;
    prep: (s: Sqe) => void;
    opcode: number;
    flags?: number;
    fd: number;
    off?: Ptr;
    addr?: Ptr;
    len?: number;
    rwFlags?: number;
    fileIndex?: number;
    addr3?: Ptr;
    /** How many objects the entry keeps referenced until its CQE. */
    kept: number;
  }
  const s = (cstr: string) => ({ cstr });
  const rows: Row[] = [
    { name: 'prepOpenat', prep: (q) => prepOpenat(q, AT_FDCWD, '/tmp/a', O_RDWR | O_CREAT, 0o640), opcode: IORING_OP_OPENAT, fd: AT_FDCWD, addr: s('/tmp/a'), len: 0o640, rwFlags: O_RDWR | O_CREAT, kept: 1 },
    { name: 'prepOpenat (defaults: O_RDONLY, 0o666)', prep: (q) => prepOpenat(q, 5, 'rel'), opcode: IORING_OP_OPENAT, fd: 5, addr: s('rel'), len: 0o666, rwFlags: 0, kept: 1 },
    { name: 'prepOpen', prep: (q) => prepOpen(q, 'p', O_WRONLY, 0o600), opcode: IORING_OP_OPENAT, fd: AT_FDCWD, addr: s('p'), len: 0o600, rwFlags: O_WRONLY, kept: 1 },
    { name: 'prepOpenatDirect (slot 3: file_index 4)', prep: (q) => prepOpenatDirect(q, 5, 'p', O_RDONLY, 0, 3), opcode: IORING_OP_OPENAT, fd: 5, addr: s('p'), fileIndex: 4, kept: 1 },
    { name: 'prepOpenatDirect (ALLOC)', prep: (q) => prepOpenatDirect(q, 5, 'p', O_RDONLY, 0, IORING_FILE_INDEX_ALLOC), opcode: IORING_OP_OPENAT, fd: 5, addr: s('p'), fileIndex: IORING_FILE_INDEX_ALLOC, kept: 1 },
    { name: 'prepOpenDirect', prep: (q) => prepOpenDirect(q, 'p', O_RDWR, 0o644, 0), opcode: IORING_OP_OPENAT, fd: AT_FDCWD, addr: s('p'), len: 0o644, rwFlags: O_RDWR, fileIndex: 1, kept: 1 },
    { name: 'prepOpenat2', prep: (q) => prepOpenat2(q, 5, 'p', how), opcode: IORING_OP_OPENAT2, fd: 5, addr: s('p'), len: 24, off: { bytes: makeOpenHow(how) }, kept: 2 },
    { name: 'prepOpenat2 (a built open_how)', prep: (q) => prepOpenat2(q, AT_FDCWD, 'p', makeOpenHow({ flags: O_RDWR })), opcode: IORING_OP_OPENAT2, fd: AT_FDCWD, addr: s('p'), len: 24, off: { bytes: makeOpenHow({ flags: O_RDWR, mode: 0, resolve: 0 }) }, kept: 2 },
    { name: 'prepOpenat2Direct', prep: (q) => prepOpenat2Direct(q, 5, 'p', how, 2), opcode: IORING_OP_OPENAT2, fd: 5, addr: s('p'), len: 24, off: { bytes: makeOpenHow(how) }, fileIndex: 3, kept: 2 },
    { name: 'prepClose', prep: (q) => prepClose(q, 7), opcode: IORING_OP_CLOSE, fd: 7, kept: 0 },
    { name: 'prepCloseDirect (slot 4)', prep: (q) => prepCloseDirect(q, 4), opcode: IORING_OP_CLOSE, fd: 0, fileIndex: 5, kept: 0 },
    { name: 'prepStatx (caller buffer)', prep: (q) => prepStatx(q, AT_FDCWD, 'p', AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, statxBuf), opcode: IORING_OP_STATX, fd: AT_FDCWD, addr: s('p'), len: STATX_BASIC_STATS, off: { buf: () => statxBuf }, rwFlags: AT_SYMLINK_NOFOLLOW, kept: 2 },
    { name: 'prepStatx (allocated buffer, default mask)', prep: (q) => { allocated = prepStatx(q, 5, ''); }, opcode: IORING_OP_STATX, fd: 5, addr: s(''), len: STATX_BASIC_STATS | STATX_BTIME, off: { buf: () => allocated! }, kept: 2 },
    { name: 'prepFadvise', prep: (q) => prepFadvise(q, 7, 4096, 8192, POSIX_FADV_DONTNEED), opcode: IORING_OP_FADVISE, fd: 7, off: 4096n, len: 8192, rwFlags: POSIX_FADV_DONTNEED, kept: 0 },
    { name: 'prepFadvise64 (length in addr)', prep: (q) => prepFadvise64(q, 7, 4096, 2 ** 33, POSIX_FADV_WILLNEED), opcode: IORING_OP_FADVISE, fd: 7, off: 4096n, addr: 2n ** 33n, len: 0, rwFlags: POSIX_FADV_WILLNEED, kept: 0 },
    { name: 'prepMadvise (a view)', prep: (q) => prepMadvise(q, madv, 4096, MADV_DONTNEED), opcode: IORING_OP_MADVISE, fd: -1, addr: { buf: () => madv }, len: 4096, rwFlags: MADV_DONTNEED, kept: 1 },
    { name: 'prepMadvise (an address)', prep: (q) => prepMadvise(q, 0x7f1234560000, 4096, MADV_WILLNEED), opcode: IORING_OP_MADVISE, fd: -1, addr: 0x7f1234560000n, len: 4096, rwFlags: MADV_WILLNEED, kept: 0 },
    { name: 'prepMadvise64 (length in off)', prep: (q) => prepMadvise64(q, 0x7f1234560000, 2 ** 33, MADV_DONTNEED), opcode: IORING_OP_MADVISE, fd: -1, addr: 0x7f1234560000n, off: 2n ** 33n, len: 0, rwFlags: MADV_DONTNEED, kept: 0 },
    { name: 'prepFallocate (mode in len, length in addr)', prep: (q) => prepFallocate(q, 7, FALLOC_FL_KEEP_SIZE, 100, 2 ** 32 + 5), opcode: IORING_OP_FALLOCATE, fd: 7, off: 100n, addr: 2n ** 32n + 5n, len: FALLOC_FL_KEEP_SIZE, kept: 0 },
    { name: 'prepFtruncate (length in off)', prep: (q) => prepFtruncate(q, 7, 2 ** 40), opcode: IORING_OP_FTRUNCATE, fd: 7, off: 2n ** 40n, kept: 0 },
    { name: 'prepSyncFileRange', prep: (q) => prepSyncFileRange(q, 7, 4096, 8192, SYNC_FILE_RANGE_WRITE), opcode: IORING_OP_SYNC_FILE_RANGE, fd: 7, off: 8192n, len: 4096, rwFlags: SYNC_FILE_RANGE_WRITE, kept: 0 },
    { name: 'prepUnlinkat (AT_REMOVEDIR)', prep: (q) => prepUnlinkat(q, 5, 'd', AT_REMOVEDIR), opcode: IORING_OP_UNLINKAT, fd: 5, addr: s('d'), rwFlags: AT_REMOVEDIR, kept: 1 },
    { name: 'prepUnlink', prep: (q) => prepUnlink(q, 'f'), opcode: IORING_OP_UNLINKAT, fd: AT_FDCWD, addr: s('f'), kept: 1 },
    { name: 'prepRenameat (new dfd in len, new path in off)', prep: (q) => prepRenameat(q, 5, 'a', 6, 'b', RENAME_NOREPLACE), opcode: IORING_OP_RENAMEAT, fd: 5, addr: s('a'), len: 6, off: s('b'), rwFlags: RENAME_NOREPLACE, kept: 2 },
    { name: 'prepRename', prep: (q) => prepRename(q, 'a', 'b'), opcode: IORING_OP_RENAMEAT, fd: AT_FDCWD, addr: s('a'), len: CWD32, off: s('b'), kept: 2 },
    { name: 'prepMkdirat', prep: (q) => prepMkdirat(q, 5, 'd', 0o700), opcode: IORING_OP_MKDIRAT, fd: 5, addr: s('d'), len: 0o700, kept: 1 },
    { name: 'prepMkdir (default mode 0o777)', prep: (q) => prepMkdir(q, 'd'), opcode: IORING_OP_MKDIRAT, fd: AT_FDCWD, addr: s('d'), len: 0o777, kept: 1 },
    { name: 'prepSymlinkat (link path in off)', prep: (q) => prepSymlinkat(q, 'target', 5, 'link'), opcode: IORING_OP_SYMLINKAT, fd: 5, addr: s('target'), off: s('link'), kept: 2 },
    { name: 'prepSymlink', prep: (q) => prepSymlink(q, 't', 'l'), opcode: IORING_OP_SYMLINKAT, fd: AT_FDCWD, addr: s('t'), off: s('l'), kept: 2 },
    { name: 'prepLinkat', prep: (q) => prepLinkat(q, 5, 'a', 6, 'b', AT_SYMLINK_FOLLOW), opcode: IORING_OP_LINKAT, fd: 5, addr: s('a'), len: 6, off: s('b'), rwFlags: AT_SYMLINK_FOLLOW, kept: 2 },
    { name: 'prepLink', prep: (q) => prepLink(q, 'a', 'b'), opcode: IORING_OP_LINKAT, fd: AT_FDCWD, addr: s('a'), len: CWD32, off: s('b'), kept: 2 },
    { name: 'prepFgetxattr', prep: (q) => prepFgetxattr(q, 7, 'user.k', value, 6), opcode: IORING_OP_FGETXATTR, fd: 7, addr: s('user.k'), off: { buf: () => value }, len: 6, kept: 2 },
    { name: 'prepFgetxattr (size query: null, 0)', prep: (q) => prepFgetxattr(q, 7, 'user.k', null), opcode: IORING_OP_FGETXATTR, fd: 7, addr: s('user.k'), len: 0, kept: 1 },
    { name: 'prepFsetxattr', prep: (q) => prepFsetxattr(q, 7, 'user.k', value, XATTR_CREATE), opcode: IORING_OP_FSETXATTR, fd: 7, addr: s('user.k'), off: { buf: () => value }, len: value.length, rwFlags: XATTR_CREATE, kept: 2 },
    { name: 'prepGetxattr (path in addr3)', prep: (q) => prepGetxattr(q, 'user.k', value, '/p'), opcode: IORING_OP_GETXATTR, fd: 0, addr: s('user.k'), off: { buf: () => value }, len: value.length, addr3: s('/p'), kept: 3 },
    { name: 'prepSetxattr', prep: (q) => prepSetxattr(q, 'user.k', value, '/p', XATTR_REPLACE, 3), opcode: IORING_OP_SETXATTR, fd: 0, addr: s('user.k'), off: { buf: () => value }, len: 3, rwFlags: XATTR_REPLACE, addr3: s('/p'), kept: 3 },
    { name: 'prepSplice (off_in -1 in addr, fd_in in splice_fd_in)', prep: (q) => prepSplice(q, 3, -1, 4, 100, 65536, SPLICE_F_MOVE), opcode: IORING_OP_SPLICE, fd: 4, off: 100n, addr: ALL_ONES, len: 65536, rwFlags: SPLICE_F_MOVE, fileIndex: 3, kept: 0 },
    { name: 'prepSplice (SPLICE_F_FD_IN_FIXED, off_out -1)', prep: (q) => prepSplice(q, 2, 2 ** 40, 4, -1, 10, SPLICE_F_FD_IN_FIXED), opcode: IORING_OP_SPLICE, fd: 4, off: ALL_ONES, addr: 2n ** 40n, len: 10, rwFlags: SPLICE_F_FD_IN_FIXED, fileIndex: 2, kept: 0 },
    { name: 'prepTee', prep: (q) => prepTee(q, 3, 4, 100, SPLICE_F_NONBLOCK), opcode: IORING_OP_TEE, fd: 4, len: 100, rwFlags: SPLICE_F_NONBLOCK, fileIndex: 3, kept: 0 },
    { name: 'prepFilesUpdate', prep: (q) => prepFilesUpdate(q, fdsArr, 2, 5), opcode: IORING_OP_FILES_UPDATE, fd: -1, addr: { buf: () => fdsArr }, len: 2, off: 5n, kept: 1 },
    { name: 'prepFilesUpdate (ALLOC: offset all ones)', prep: (q) => prepFilesUpdate(q, fdsArr, undefined, IORING_FILE_INDEX_ALLOC), opcode: IORING_OP_FILES_UPDATE, fd: -1, addr: { buf: () => fdsArr }, len: 3, off: ALL_ONES, kept: 1 },
    { name: 'prepFixedFdInstall (IOSQE_FIXED_FILE set)', prep: (q) => prepFixedFdInstall(q, 3, IORING_FIXED_FD_NO_CLOEXEC), opcode: IORING_OP_FIXED_FD_INSTALL, flags: IOSQE_FIXED_FILE, fd: 3, rwFlags: IORING_FIXED_FD_NO_CLOEXEC, kept: 0 },
    { name: 'prepPipe', prep: (q) => prepPipe(q, pfds, O_CLOEXEC), opcode: IORING_OP_PIPE, fd: 0, addr: { buf: () => pfds }, rwFlags: O_CLOEXEC, kept: 1 },
    { name: 'prepPipeDirect (slot 6)', prep: (q) => prepPipeDirect(q, pfds, 0, 6), opcode: IORING_OP_PIPE, fd: 0, addr: { buf: () => pfds }, fileIndex: 7, kept: 1 },
    { name: 'prepPipeDirect (ALLOC)', prep: (q) => prepPipeDirect(q, pfds, 0, IORING_FILE_INDEX_ALLOC), opcode: IORING_OP_PIPE, fd: 0, addr: { buf: () => pfds }, fileIndex: IORING_FILE_INDEX_ALLOC, kept: 1 },
    { name: 'prepReadv2 (RWF_NOWAIT)', prep: (q) => prepReadv2(q, 7, bufs, 100, RWF_NOWAIT), opcode: IORING_OP_READV, fd: 7, addr: { iovecs: bufs }, len: 3, off: 100n, rwFlags: RWF_NOWAIT, kept: 2 },
    { name: 'prepWritev2 (offset -1, RWF_APPEND | RWF_DSYNC)', prep: (q) => prepWritev2(q, 7, bufs, -1, RWF_APPEND | RWF_DSYNC), opcode: IORING_OP_WRITEV, fd: 7, addr: { iovecs: bufs }, len: 3, off: ALL_ONES, rwFlags: RWF_APPEND | RWF_DSYNC, kept: 2 },
  ];

  function checkPtr(got: bigint, want: Ptr | undefined, field: string): void {
    if (want === undefined) want = 0n;
    if (typeof want === 'bigint') {
      expect(got, field).toBe(want);
    } else if ('cstr' in want) {
      const bytes = Buffer.from(want.cstr);
      expect(got, field).not.toBe(0n);
      expect(Buffer.from(view(Number(got), bytes.length + 1)), field).toEqual(Buffer.concat([bytes, Buffer.alloc(1)]));
    } else if ('buf' in want) {
      expect(Number(got), field).toBe(addressOf(want.buf()));
    } else if ('bytes' in want) {
      expect(got, field).not.toBe(0n);
      expect(new Uint8Array(view(Number(got), want.bytes.length)), field).toEqual(want.bytes);
    } else {
      // struct iovec { void *iov_base; size_t iov_len; }, one per buffer.
      expect(got, field).not.toBe(0n);
      const iov = new DataView(view(Number(got), want.iovecs.length * layout.iovec.sizeof));
      const pairs = want.iovecs.map((_, i) => [
        Number(iov.getBigUint64(i * layout.iovec.sizeof + layout.iovec.iov_base, true)),
        Number(iov.getBigUint64(i * layout.iovec.sizeof + layout.iovec.iov_len, true)),
      ]);
      expect(pairs, field).toEqual(want.iovecs.map((b) => [addressOf(b), b.byteLength]));
    }
  }

  it.each(rows)('$name', (row) => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    row.prep(sqe);
    const fields = sqeFields(sqe);
    expect(fields).toMatchObject({
      opcode: row.opcode, flags: row.flags ?? 0, ioprio: 0, fd: row.fd, len: row.len ?? 0, rwFlags: row.rwFlags ?? 0,
      userData: 0x12345678n, bufIndex: 0, personality: 0, fileIndex: row.fileIndex ?? 0, pad2: 0n,
    });
    checkPtr(fields.off, row.off, 'off');
    checkPtr(fields.addr, row.addr, 'addr');
    checkPtr(fields.addr3, row.addr3, 'addr3');
    expect(sqe.kept, 'objects kept').toBe(row.kept);
  });

  it('makeOpenHow lays out struct open_how: flags, mode, resolve as u64', () => {
    const h = new DataView(makeOpenHow({ flags: O_CREAT | O_WRONLY, mode: 0o640, resolve: RESOLVE_NO_SYMLINKS }).buffer);
    expect(h.byteLength).toBe(layout.open_how.sizeof);
    expect([h.getBigUint64(layout.open_how.flags, true), h.getBigUint64(layout.open_how.mode, true), h.getBigUint64(layout.open_how.resolve, true)])
      .toEqual([BigInt(O_CREAT | O_WRONLY), 0o640n, BigInt(RESOLVE_NO_SYMLINKS)]);
  });
});

// ------------------------------------------------------ argument validation

describe('bad arguments throw before any SQE byte is written', () => {
  const detached = () => {
    const b = new Uint8Array(16);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    return b;
  };
  const cases: Refusal[] = [
    ['prepOpenat: dfd 1.5', (q) => prepOpenat(q, 1.5, 'p'), RangeError],
    ['prepOpenat: flags 1n', (q) => prepOpenat(q, AT_FDCWD, 'p', 1n as unknown as number), TypeError],
    ['prepMkdir: mode {}', (q) => prepMkdir(q, 'p', {} as unknown as number), TypeError],
    ['prepOpenat: NUL in the path', (q) => prepOpenat(q, AT_FDCWD, 'a\0b'), TypeError],
    ['prepOpen: a path that is not a string', (q) => prepOpen(q, 42 as unknown as string), TypeError],
    ['prepOpenatDirect: fileIndex -1', (q) => prepOpenatDirect(q, AT_FDCWD, 'p', 0, 0, -1), RangeError],
    ['prepOpenat2: how.flags -1', (q) => prepOpenat2(q, AT_FDCWD, 'p', { flags: -1 }), RangeError],
    ['prepOpenat2: an 8-byte open_how', (q) => prepOpenat2(q, AT_FDCWD, 'p', new Uint8Array(8)), RangeError],
    ['prepOpenat2Direct: NUL in the path', (q) => prepOpenat2Direct(q, AT_FDCWD, '\0', { flags: 0 }, 1), TypeError],
    ['prepClose: fd 2^31', (q) => prepClose(q, 2 ** 31), RangeError],
    ['prepCloseDirect: IORING_FILE_INDEX_ALLOC (would close fd 0)', (q) => prepCloseDirect(q, IORING_FILE_INDEX_ALLOC), RangeError],
    ['prepStatx: a 255-byte buffer', (q) => prepStatx(q, AT_FDCWD, 'p', 0, STATX_BASIC_STATS, new Uint8Array(255)), RangeError],
    ['prepStatx: NUL in the path', (q) => prepStatx(q, AT_FDCWD, 'p\0'), TypeError],
    ['prepFadvise: offset -1', (q) => prepFadvise(q, 3, -1, 0, 0), RangeError],
    ['prepFadvise: len 2^32', (q) => prepFadvise(q, 3, 0, 2 ** 32, 0), RangeError],
    ['prepFadvise64: fd 2^31', (q) => prepFadvise64(q, 2 ** 31, 0, 1, 0), RangeError],
    ['prepMadvise: a view shorter than length', (q) => prepMadvise(q, Buffer.alloc(100), 4096, MADV_WILLNEED), RangeError],
    ['prepMadvise: address -1', (q) => prepMadvise(q, -1, 4096, MADV_WILLNEED), RangeError],
    ['prepMadvise: a detached view', (q) => prepMadvise(q, detached(), 0, MADV_WILLNEED), TypeError],
    ['prepMadvise64: a view shorter than length', (q) => prepMadvise64(q, Buffer.alloc(100), 4096, MADV_WILLNEED), RangeError],
    ['prepFallocate: len -1', (q) => prepFallocate(q, 3, 0, 0, -1), RangeError],
    ['prepFtruncate: len 1.5', (q) => prepFtruncate(q, 3, 1.5), RangeError],
    ['prepSyncFileRange: fd "3"', (q) => prepSyncFileRange(q, '3' as unknown as number, 0, 0), TypeError],
    ['prepUnlinkat: dfd -2^31-1', (q) => prepUnlinkat(q, -(2 ** 31) - 1, 'p'), RangeError],
    ['prepRenameat: newdfd Symbol()', (q) => prepRenameat(q, AT_FDCWD, 'a', Symbol() as unknown as number, 'b'), TypeError],
    ['prepRename: NUL in the new path', (q) => prepRename(q, 'a', 'b\0'), TypeError],
    ['prepMkdirat: NUL in the path', (q) => prepMkdirat(q, AT_FDCWD, '\0'), TypeError],
    ['prepSymlinkat: NUL in the target', (q) => prepSymlinkat(q, 't\0', AT_FDCWD, 'l'), TypeError],
    ['prepLinkat: olddfd 2^40', (q) => prepLinkat(q, 2 ** 40, 'a', AT_FDCWD, 'b'), RangeError],
    ['prepFgetxattr: len past the end of value', (q) => prepFgetxattr(q, 3, 'user.k', Buffer.alloc(4), 5), RangeError],
    ['prepGetxattr: value null with len 4', (q) => prepGetxattr(q, 'user.k', null, '/p', 4), RangeError],
    ['prepSetxattr: NUL in the name', (q) => prepSetxattr(q, 'user.\0', Buffer.alloc(1), '/p'), TypeError],
    ['prepFsetxattr: a detached value', (q) => prepFsetxattr(q, 3, 'user.k', detached(), 0, 1), TypeError],
    ['prepSplice: fdIn NaN', (q) => prepSplice(q, NaN, -1, 4, -1, 10), RangeError],
    ['prepSplice: offIn -2', (q) => prepSplice(q, 3, -2, 4, -1, 10), RangeError],
    ['prepTee: nbytes -1', (q) => prepTee(q, 3, 4, -1), RangeError],
    ['prepFilesUpdate: a plain array', (q) => prepFilesUpdate(q, [3] as unknown as Int32Array), TypeError],
    ['prepFilesUpdate: nrFds past the end', (q) => prepFilesUpdate(q, new Int32Array(2), 3), RangeError],
    ['prepFilesUpdate: offset -5', (q) => prepFilesUpdate(q, new Int32Array(1), 1, -5), RangeError],
    ['prepFixedFdInstall: flags {}', (q) => prepFixedFdInstall(q, 1, {} as unknown as number), TypeError],
    ['prepPipe: an Int32Array(1)', (q) => prepPipe(q, new Int32Array(1)), RangeError],
    ['prepPipe: a Uint32Array(2)', (q) => prepPipe(q, new Uint32Array(2) as unknown as Int32Array), TypeError],
    ['prepPipeDirect: fileIndex 1.5', (q) => prepPipeDirect(q, new Int32Array(2), 0, 1.5), RangeError],
    ['prepReadv2: fd 2^32', (q) => prepReadv2(q, 2 ** 32, [Buffer.alloc(1)]), RangeError],
    ['prepWritev2: a detached buffer among the iovecs', (q) => prepWritev2(q, 3, [Buffer.alloc(1), detached()]), TypeError],
  ];

  itRefusesBeforeWriting(cases);

  it('decodeStatx refuses a buffer shorter than a struct statx, and a non-buffer', () => {
    expect(() => decodeStatx(new Uint8Array(200))).toThrow(RangeError);
    expect(() => decodeStatx({} as ArrayBufferView)).toThrow(TypeError);
  });
});

// ------------------------------------------------------------ on the kernel

// Values that fit their field go to the kernel, which judges them as it
// would in C: fd -1 is -EBADF, and dfd -1 with an absolute path is ignored.
describe('the kernel judges what fits its field', () => {
  itOp(IORING_OP_CLOSE, 'prepClose(-1), prepFixedFdInstall(-1) and prepReadv2(-1) complete with -EBADF', withRing((ring) => {
    expect(run(ring, (s) => prepClose(s, -1))).toBe(-EBADF);
    expect(run(ring, (s) => prepReadv2(s, -1, [Buffer.alloc(1)]))).toBe(-EBADF);
    expect(run(ring, (s) => prepFixedFdInstall(s, -1))).toBe(-EBADF);
  }));

  itOp(IORING_OP_SPLICE, 'prepSplice and prepTee on fd -1 complete with -EBADF', withRing((ring) => {
    const [r, w] = pipe();
    expect(run(ring, (s) => prepSplice(s, -1, -1, w, -1, 10))).toBe(-EBADF);
    expect(run(ring, (s) => prepSplice(s, r, -1, -1, -1, 10))).toBe(-EBADF);
    expect(run(ring, (s) => prepTee(s, -1, w, 10))).toBe(-EBADF);
  }));

  itOp(IORING_OP_STATX, 'prepStatx, prepOpenat and prepOpenat2 with dfd -1 and an absolute path: the kernel ignores dfd', withRing((ring) => {
    const f = file('abc');
    const buf = new Uint8Array(statx.sizeof);
    expect(run(ring, (s) => prepStatx(s, -1, f, 0, STATX_BASIC_STATS, buf))).toBe(0);
    expect(decodeStatx(buf).size).toBe(3);
    const fd = run(ring, (s) => prepOpenat(s, -1, f));
    expect(fd).toBeGreaterThanOrEqual(0);
    fs.closeSync(fd);
    const fd2 = run(ring, (s) => prepOpenat2(s, -1, f, { flags: 0 }));
    expect(fd2).toBeGreaterThanOrEqual(0);
    fs.closeSync(fd2);
    expect(run(ring, (s) => prepOpenat(s, -1, 'relative'))).toBe(-EBADF);
  }));
});

describe('arrays of buffers are read once, and the copy kept', () => {
  itOp(IORING_OP_READV, 'a readv whose caller empties the array after prep still fills its buffers, which live until the CQE', async () => {
    using ring = new IoUring(4);
    const [r, w] = pipe();
    const arr: Uint8Array[] = [new Uint8Array(new ArrayBuffer(4096)), new Uint8Array(new ArrayBuffer(4096))];
    const refs = arr.map((b) => new WeakRef(b));
    const sqe = ring.getSqe()!;
    prepReadv(sqe, r, arr, -1);
    sqe.userData = 7;
    ring.submit(); // parks: the pipe is empty
    arr.length = 0; // the caller lets go of its array, and so of the buffers
    // A WeakRef made in this job holds its target until the job ends.
    await new Promise((res) => setImmediate(res));
    for (let i = 0; i < 3; i++) forceGc();
    const canary = new Uint8Array(4096 * 4).fill(0xc3); // memory a freed buffer could have become
    const data = Buffer.alloc(4096 + 10, 0x11);
    data.fill(0x22, 4096);
    expect(fs.writeSync(w, data)).toBe(data.length);
    const cqe = ring.waitCqe();
    expect([cqe.userData, cqe.res]).toEqual([7, data.length]);
    const [a, b] = refs.map((x) => x.deref()); // held until the CQE is consumed
    expect(a?.every((x) => x === 0x11)).toBe(true);
    expect(b?.subarray(0, 10).every((x) => x === 0x22)).toBe(true);
    expect(canary.every((x) => x === 0xc3)).toBe(true);
    ring.cqeSeen(cqe);
  });

  itOp(IORING_OP_READV, 'an array Proxy whose length changes between reads: nr_segs is the count read once, the count encoded', () => {
    using ring = new IoUring(2);
    const bufs = [Buffer.alloc(8)];
    let reads = 0;
    const lying = new Proxy(bufs, { get: (t, k) => (k === 'length' ? (reads++ < 3 ? 1 : 1024) : Reflect.get(t, k)) });
    for (const prep of [(q: Sqe) => prepReadv(q, 3, lying), (q: Sqe) => prepWritev2(q, 3, lying, 0, 0), (q: Sqe) => prepReadv(q, 3, lying, 0)]) {
      reads = 0;
      const sqe = ring.getSqe()!;
      prep(sqe);
      expect(sqe.len).toBe(1); // nr_segs
      expect(reads).toBe(1);
      prepNop(sqe);
      ring.submit();
      ring.cqeSeen(ring.waitCqe());
    }
  });
});

describe('open and close', () => {
  itOp(IORING_OP_OPENAT, 'prepOpenat creates a file with the mode, and opens it relative to a directory fd', withRing((ring) => {
    const [d, dfd] = subdir();
    const fd = run(ring, (s) => prepOpenat(s, dfd, 'new', O_CREAT | O_WRONLY | O_TRUNC, 0o600));
    expect(fd).toBeGreaterThanOrEqual(0);
    track(fd);
    fs.writeSync(fd, 'hello, openat');
    expect(fs.statSync(path.join(d, 'new')).mode & 0o777).toBe(0o600);
    const rd = run(ring, (s) => prepOpenat(s, dfd, 'new', O_RDONLY));
    expect(rd).toBeGreaterThanOrEqual(0);
    expect(readText(track(rd))).toBe('hello, openat');
    expect(run(ring, (s) => prepOpenat(s, dfd, 'absent', O_RDONLY))).toBe(-ENOENT);
  }));

  itOp(IORING_OP_OPENAT, 'prepOpen opens a path relative to the current directory (AT_FDCWD)', withRing((ring) => {
    const p = file('from the cwd');
    const fd = run(ring, (s) => prepOpen(s, path.relative(process.cwd(), p), O_RDONLY));
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(readText(track(fd))).toBe('from the cwd');
  }));

  itOp(IORING_OP_OPENAT2, 'prepOpenat2 opens through a symlink, and RESOLVE_* refuses it: -EXDEV (BENEATH), -ELOOP (NO_SYMLINKS)', withRing((ring) => {
    const [d, dfd] = subdir();
    const outside = file('outside the dir');
    fs.symlinkSync(path.relative(d, outside), path.join(d, 'escape'));
    const fd = run(ring, (s) => prepOpenat2(s, dfd, 'escape', { flags: O_RDONLY }));
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(readText(track(fd))).toBe('outside the dir');
    expect(run(ring, (s) => prepOpenat2(s, dfd, 'escape', { flags: O_RDONLY, resolve: RESOLVE_BENEATH }))).toBe(-EXDEV);
    expect(run(ring, (s) => prepOpenat2(s, dfd, 'escape', { flags: O_RDONLY, resolve: RESOLVE_NO_SYMLINKS }))).toBe(-ELOOP);
    // openat2 is strict where openat is lenient: a mode without O_CREAT.
    expect(run(ring, (s) => prepOpenat2(s, dfd, 'escape', { flags: O_RDONLY, mode: 0o600 }))).toBe(-EINVAL);
    const made = run(ring, (s) => prepOpenat2(s, dfd, 'made', { flags: O_CREAT | O_RDWR, mode: 0o640 }));
    expect(made).toBeGreaterThanOrEqual(0);
    track(made);
    expect(fs.statSync(path.join(d, 'made')).mode & 0o777).toBe(0o640);
  }));

  itOp(IORING_OP_OPENAT, 'prepOpenatDirect / prepOpenDirect open into a sparse file table: a fixed READ reads the file; ALLOC returns the slot; O_CLOEXEC is -EINVAL', withRing((ring) => {
    registerSparse(ring, 8);
    const [, dfd] = subdir();
    const p = file('direct bytes');
    expect(readFixed(ring, 2)).toBe(-EBADF);
    expect(run(ring, (s) => prepOpenatDirect(s, dfd, p, O_RDONLY, 0, 2))).toBe(0);
    expect(readFixed(ring, 2)).toBe('direct bytes');
    expect(run(ring, (s) => prepOpenDirect(s, path.relative(process.cwd(), p), O_RDONLY, 0, 5))).toBe(0);
    expect(readFixed(ring, 5, 7)).toBe('bytes');
    const slot = run(ring, (s) => prepOpenDirect(s, p, O_RDONLY, 0, IORING_FILE_INDEX_ALLOC));
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([2, 5]).not.toContain(slot);
    expect(readFixed(ring, slot)).toBe('direct bytes');
    expect(run(ring, (s) => prepOpenDirect(s, p, O_RDONLY | O_CLOEXEC, 0, 6))).toBe(-EINVAL);
  }));

  itOp(IORING_OP_OPENAT2, 'prepOpenat2Direct opens into a slot, or any free slot with ALLOC, and keeps RESOLVE_*', withRing((ring) => {
    registerSparse(ring, 4);
    const [d, dfd] = subdir();
    fs.writeFileSync(path.join(d, 'inside'), 'openat2 direct');
    fs.symlinkSync('/etc/hostname', path.join(d, 'abs'));
    expect(run(ring, (s) => prepOpenat2Direct(s, dfd, 'inside', { flags: O_RDONLY, resolve: RESOLVE_BENEATH }, 1))).toBe(0);
    expect(readFixed(ring, 1)).toBe('openat2 direct');
    const slot = run(ring, (s) => prepOpenat2Direct(s, dfd, 'inside', { flags: O_RDONLY }, IORING_FILE_INDEX_ALLOC));
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(readFixed(ring, slot, 8)).toBe('direct');
    expect(run(ring, (s) => prepOpenat2Direct(s, dfd, 'abs', { flags: O_RDONLY, resolve: RESOLVE_BENEATH }, 3))).toBe(-EXDEV);
  }));

  itOp(IORING_OP_CLOSE, 'prepClose closes an fd (fstat then fails); a second close is -EBADF', withRing((ring) => {
    const fd = fs.openSync(file('x'), 'r');
    expect(run(ring, (s) => prepClose(s, fd))).toBe(0);
    expect(() => fs.fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(run(ring, (s) => prepClose(s, fd))).toBe(-EBADF);
  }));

  itOp(IORING_OP_CLOSE, 'prepCloseDirect empties a slot: a fixed READ then gets -EBADF', withRing((ring) => {
    registerSparse(ring, 4);
    expect(run(ring, (s) => prepOpenDirect(s, file('slot 1'), O_RDONLY, 0, 1))).toBe(0);
    expect(readFixed(ring, 1)).toBe('slot 1');
    expect(run(ring, (s) => prepCloseDirect(s, 1))).toBe(0);
    expect(readFixed(ring, 1)).toBe(-EBADF);
    expect(run(ring, (s) => prepCloseDirect(s, 1))).toBe(-EBADF);
  }));

  itOp(IORING_OP_FILES_UPDATE, 'prepFilesUpdate puts an fd in a slot and -1 takes it out; with ALLOC the kernel writes the slot into fds', withRing((ring) => {
    registerSparse(ring, 4);
    const fd = track(fs.openSync(file('updated'), 'r'));
    expect(readFixed(ring, 2)).toBe(-EBADF);
    expect(run(ring, (s) => prepFilesUpdate(s, new Int32Array([fd]), 1, 2))).toBe(1);
    expect(readFixed(ring, 2)).toBe('updated');
    expect(run(ring, (s) => prepFilesUpdate(s, new Int32Array([-1]), 1, 2))).toBe(1);
    expect(readFixed(ring, 2)).toBe(-EBADF);
    const fds = new Int32Array([fd, fd]);
    expect(run(ring, (s) => prepFilesUpdate(s, fds, 2, IORING_FILE_INDEX_ALLOC))).toBe(2);
    expect(fds[0]).not.toBe(fds[1]);
    expect([readFixed(ring, fds[0]!), readFixed(ring, fds[1]!)]).toEqual(['updated', 'updated']);
  }));

  itOp(IORING_OP_FIXED_FD_INSTALL, 'prepFixedFdInstall gives a direct descriptor a normal fd that fs.readSync uses; O_CLOEXEC unless NO_CLOEXEC', withRing((ring) => {
    registerSparse(ring, 2);
    expect(run(ring, (s) => prepOpenDirect(s, file('installed'), O_RDONLY, 0, 0))).toBe(0);
    const fd = run(ring, (s) => prepFixedFdInstall(s, 0));
    expect(fd).toBeGreaterThanOrEqual(0);
    track(fd);
    expect(readText(fd)).toBe('installed');
    expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
    const inheritable = run(ring, (s) => prepFixedFdInstall(s, 0, IORING_FIXED_FD_NO_CLOEXEC));
    expect(inheritable).toBeGreaterThanOrEqual(0);
    expect(fdFlags(track(inheritable)) & O_CLOEXEC).toBe(0);
    expect(run(ring, (s) => prepFixedFdInstall(s, 1))).toBe(-EBADF); // an empty slot
  }));
});

describe('statx', () => {
  itOp(IORING_OP_STATX, 'prepStatx: size, mode, ino, nlink, uid, gid, blocks and mtime match fs.statSync', withRing((ring) => {
    const p = file(Buffer.alloc(1234, 7));
    fs.chmodSync(p, 0o640);
    let buf: Uint8Array | undefined;
    expect(run(ring, (s) => { buf = prepStatx(s, AT_FDCWD, p); })).toBe(0);
    const st = fs.statSync(p, { bigint: true });
    const x = decodeStatx(buf!);
    expect(x.mask & STATX_BASIC_STATS).toBe(STATX_BASIC_STATS);
    expect({ size: x.size, mode: x.mode, ino: x.ino, nlink: x.nlink, uid: x.uid, gid: x.gid, blocks: x.blocks, blksize: x.blksize })
      .toEqual({ size: 1234, mode: Number(st.mode), ino: Number(st.ino), nlink: 1, uid: Number(st.uid), gid: Number(st.gid), blocks: Number(st.blocks), blksize: Number(st.blksize) });
    expect(BigInt(x.mtime.sec) * 1_000_000_000n + BigInt(x.mtime.nsec)).toBe(st.mtimeNs);
    expect(BigInt(x.ctime.sec) * 1_000_000_000n + BigInt(x.ctime.nsec)).toBe(st.ctimeNs);
  }));

  itOp(IORING_OP_STATX, 'prepStatx into a caller buffer: of an fd with AT_EMPTY_PATH, and of a symlink itself with AT_SYMLINK_NOFOLLOW', withRing((ring) => {
    const p = file('twelve bytes');
    const fd = track(fs.openSync(p, 'r'));
    const mine = Buffer.alloc(statx.sizeof + 8, 0xee).subarray(4, 4 + statx.sizeof);
    expect(run(ring, (s) => prepStatx(s, fd, '', AT_EMPTY_PATH, STATX_BASIC_STATS, mine))).toBe(0);
    expect(decodeStatx(mine).size).toBe(12);
    expect(decodeStatx(mine).ino).toBe(fs.fstatSync(fd).ino);
    const link = `${p}.lnk`;
    fs.symlinkSync(p, link);
    expect(run(ring, (s) => prepStatx(s, AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, mine))).toBe(0);
    expect(decodeStatx(mine).mode & fs.constants.S_IFMT).toBe(fs.constants.S_IFLNK);
    expect(decodeStatx(mine).size).toBe(p.length);
    expect(run(ring, (s) => prepStatx(s, AT_FDCWD, `${p}.none`, 0, STATX_BASIC_STATS, mine))).toBe(-ENOENT);
  }));
});

describe('advice, allocation, truncation, sync', () => {
  itOp(IORING_OP_FADVISE, 'prepFadvise / prepFadvise64 complete with 0; an unknown advice is -EINVAL', withRing((ring) => {
    const fd = track(fs.openSync(file(Buffer.alloc(65536, 1)), 'r'));
    expect(run(ring, (s) => prepFadvise(s, fd, 0, 65536, POSIX_FADV_WILLNEED))).toBe(0);
    expect(run(ring, (s) => prepFadvise(s, fd, 4096, 0, POSIX_FADV_DONTNEED))).toBe(0);
    expect(run(ring, (s) => prepFadvise64(s, fd, 0, 2 ** 33, POSIX_FADV_DONTNEED))).toBe(0);
    expect(run(ring, (s) => prepFadvise(s, fd, 0, 0, 99))).toBe(-EINVAL);
  }));

  itOp(IORING_OP_MADVISE, 'prepMadvise / prepMadvise64 with MADV_DONTNEED zero an anonymous mmap (by view and by address)', () => {
    using ring = new IoUring(4);
    const PAGE = 4096;
    const len = 4 * PAGE;
    const addr = ffi.mmap(0, len, 0x1 | 0x2 /* PROT_READ | PROT_WRITE */, 0x02 | 0x20 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
    expect(addr).toBeGreaterThan(0);
    try {
      const mem = new Uint8Array(view(addr, len));
      mem.fill(0x5a);
      expect(run(ring, (s) => prepMadvise(s, mem.subarray(0, 2 * PAGE), 2 * PAGE, MADV_DONTNEED))).toBe(0);
      expect([mem[0], mem[2 * PAGE - 1], mem[2 * PAGE]]).toEqual([0, 0, 0x5a]);
      expect(run(ring, (s) => prepMadvise64(s, addr + 2 * PAGE, PAGE, MADV_DONTNEED))).toBe(0);
      expect([mem[2 * PAGE], mem[3 * PAGE - 1], mem[3 * PAGE]]).toEqual([0, 0, 0x5a]);
      expect(run(ring, (s) => prepMadvise(s, addr + 1, PAGE, MADV_DONTNEED))).toBe(-EINVAL); // not page-aligned
    } finally {
      ffi.munmap(addr, len);
    }
  });

  itOp(IORING_OP_FALLOCATE, 'prepFallocate grows the file; with FALLOC_FL_KEEP_SIZE it allocates without growing', withRing((ring) => {
    const p = file('');
    const fd = track(fs.openSync(p, 'r+'));
    expect(run(ring, (s) => prepFallocate(s, fd, 0, 0, 65536))).toBe(0);
    expect(fs.fstatSync(fd).size).toBe(65536);
    const blocks = fs.fstatSync(fd).blocks;
    expect(run(ring, (s) => prepFallocate(s, fd, FALLOC_FL_KEEP_SIZE, 65536, 65536))).toBe(0);
    expect(fs.fstatSync(fd).size).toBe(65536);
    expect(fs.fstatSync(fd).blocks).toBeGreaterThan(blocks);
  }));

  itOp(IORING_OP_FTRUNCATE, 'prepFtruncate shrinks and grows the file', withRing((ring) => {
    const p = file('0123456789abcdef');
    const fd = track(fs.openSync(p, 'r+'));
    expect(run(ring, (s) => prepFtruncate(s, fd, 10))).toBe(0);
    expect(fs.readFileSync(p, 'latin1')).toBe('0123456789');
    expect(run(ring, (s) => prepFtruncate(s, fd, 2 ** 20))).toBe(0);
    expect(fs.statSync(p).size).toBe(2 ** 20);
  }));

  itOp(IORING_OP_SYNC_FILE_RANGE, 'prepSyncFileRange completes with 0; unknown flag bits are -EINVAL', withRing((ring) => {
    const fd = track(fs.openSync(file(Buffer.alloc(8192, 3)), 'r+'));
    fs.writeSync(fd, 'dirty', 0);
    expect(run(ring, (s) => prepSyncFileRange(s, fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER))).toBe(0);
    expect(run(ring, (s) => prepSyncFileRange(s, fd, 4096, 4096, SYNC_FILE_RANGE_WRITE))).toBe(0);
    expect(run(ring, (s) => prepSyncFileRange(s, fd, 0, 0, 0x80))).toBe(-EINVAL);
  }));
});

describe('path operations', () => {
  itOp(IORING_OP_UNLINKAT, 'prepUnlinkat removes a file, and a directory with AT_REMOVEDIR; prepUnlink by path; -ENOENT after', withRing((ring) => {
    const [d, dfd] = subdir();
    fs.writeFileSync(path.join(d, 'f'), 'x');
    fs.mkdirSync(path.join(d, 'sub'));
    expect(run(ring, (s) => prepUnlinkat(s, dfd, 'f'))).toBe(0);
    expect(fs.existsSync(path.join(d, 'f'))).toBe(false);
    expect(run(ring, (s) => prepUnlinkat(s, dfd, 'sub'))).toBeLessThan(0); // a directory needs AT_REMOVEDIR
    expect(run(ring, (s) => prepUnlinkat(s, dfd, 'sub', AT_REMOVEDIR))).toBe(0);
    expect(fs.existsSync(path.join(d, 'sub'))).toBe(false);
    const p = file('y');
    expect(run(ring, (s) => prepUnlink(s, p))).toBe(0);
    expect(fs.existsSync(p)).toBe(false);
    expect(run(ring, (s) => prepUnlink(s, p))).toBe(-ENOENT);
  }));

  itOp(IORING_OP_RENAMEAT, 'prepRenameat moves a file between directory fds; RENAME_NOREPLACE is -EEXIST; prepRename by path', withRing((ring) => {
    const [a, afd] = subdir();
    const [b, bfd] = subdir();
    fs.writeFileSync(path.join(a, 'one'), 'moved');
    expect(run(ring, (s) => prepRenameat(s, afd, 'one', bfd, 'two'))).toBe(0);
    expect([fs.existsSync(path.join(a, 'one')), fs.readFileSync(path.join(b, 'two'), 'latin1')]).toEqual([false, 'moved']);
    fs.writeFileSync(path.join(a, 'other'), 'kept');
    expect(run(ring, (s) => prepRenameat(s, afd, 'other', bfd, 'two', RENAME_NOREPLACE))).toBe(-EEXIST);
    expect(fs.readFileSync(path.join(b, 'two'), 'latin1')).toBe('moved');
    expect(run(ring, (s) => prepRename(s, path.join(b, 'two'), path.join(a, 'back')))).toBe(0);
    expect(fs.readFileSync(path.join(a, 'back'), 'latin1')).toBe('moved');
  }));

  itOp(IORING_OP_MKDIRAT, 'prepMkdirat makes a directory with the mode; prepMkdir by path; -EEXIST on a second try', withRing((ring) => {
    const [d, dfd] = subdir();
    expect(run(ring, (s) => prepMkdirat(s, dfd, 'sub', 0o750))).toBe(0);
    const st = fs.statSync(path.join(d, 'sub'));
    expect([st.isDirectory(), st.mode & 0o777]).toEqual([true, 0o750]);
    expect(run(ring, (s) => prepMkdir(s, path.join(d, 'other')))).toBe(0);
    expect(fs.statSync(path.join(d, 'other')).isDirectory()).toBe(true);
    expect(run(ring, (s) => prepMkdir(s, path.join(d, 'other')))).toBe(-EEXIST);
  }));

  itOp(IORING_OP_SYMLINKAT, 'prepSymlinkat / prepSymlink make symlinks holding the target as given', withRing((ring) => {
    const [d, dfd] = subdir();
    expect(run(ring, (s) => prepSymlinkat(s, 'no/such/target', dfd, 'ln'))).toBe(0);
    expect(fs.readlinkSync(path.join(d, 'ln'))).toBe('no/such/target');
    const target = file('via the link');
    expect(run(ring, (s) => prepSymlink(s, target, path.join(d, 'abs')))).toBe(0);
    expect(fs.readFileSync(path.join(d, 'abs'), 'latin1')).toBe('via the link');
  }));

  itOp(IORING_OP_LINKAT, 'prepLinkat / prepLink make hard links: one inode, nlink counts them', withRing((ring) => {
    const [d, dfd] = subdir();
    fs.writeFileSync(path.join(d, 'orig'), 'linked');
    expect(run(ring, (s) => prepLinkat(s, dfd, 'orig', dfd, 'hard'))).toBe(0);
    expect(fs.statSync(path.join(d, 'hard')).ino).toBe(fs.statSync(path.join(d, 'orig')).ino);
    expect(run(ring, (s) => prepLink(s, path.join(d, 'orig'), path.join(d, 'hard2')))).toBe(0);
    expect(fs.statSync(path.join(d, 'orig')).nlink).toBe(3);
    // Without AT_SYMLINK_FOLLOW a link to a symlink links the symlink itself.
    fs.symlinkSync('orig', path.join(d, 'sym'));
    expect(run(ring, (s) => prepLinkat(s, dfd, 'sym', dfd, 'viasym', AT_SYMLINK_FOLLOW))).toBe(0);
    expect(fs.statSync(path.join(d, 'viasym')).ino).toBe(fs.statSync(path.join(d, 'orig')).ino);
    expect(run(ring, (s) => prepLinkat(s, dfd, 'sym', dfd, 'thesym'))).toBe(0);
    expect(fs.lstatSync(path.join(d, 'thesym')).isSymbolicLink()).toBe(true);
  }));
});

describe('extended attributes (user.* on the project disk)', () => {
  itOp(IORING_OP_FSETXATTR, 'prepFsetxattr then prepFgetxattr read the value back; a size query, -ERANGE, -ENODATA, XATTR_CREATE', withRing((ring) => {
    const fd = track(fs.openSync(file('x', scratch), 'r+'));
    const set = run(ring, (s) => prepFsetxattr(s, fd, 'user.tsuring', Buffer.from('value-1')));
    if (set === -EOPNOTSUPP) throw new Error(`${scratch} takes no user.* xattrs; run the tests on a disk file system`);
    expect(set).toBe(0);
    const out = Buffer.alloc(64);
    expect(run(ring, (s) => prepFgetxattr(s, fd, 'user.tsuring', out))).toBe(7);
    expect(out.toString('latin1', 0, 7)).toBe('value-1');
    expect(run(ring, (s) => prepFgetxattr(s, fd, 'user.tsuring', null))).toBe(7);
    expect(run(ring, (s) => prepFgetxattr(s, fd, 'user.tsuring', out, 3))).toBe(-ERANGE);
    expect(run(ring, (s) => prepFgetxattr(s, fd, 'user.absent', out))).toBe(-ENODATA);
    expect(run(ring, (s) => prepFsetxattr(s, fd, 'user.tsuring', Buffer.from('v2'), XATTR_CREATE))).toBe(-EEXIST);
    expect(run(ring, (s) => prepFsetxattr(s, fd, 'user.tsuring', Buffer.from('v2-and-more'), XATTR_REPLACE, 2))).toBe(0);
    expect(run(ring, (s) => prepFgetxattr(s, fd, 'user.tsuring', out))).toBe(2);
    expect(out.toString('latin1', 0, 2)).toBe('v2');
  }));

  itOp(IORING_OP_SETXATTR, 'prepSetxattr then prepGetxattr by path read the value back; XATTR_REPLACE of an absent one is -ENODATA', withRing((ring) => {
    const p = file('y', scratch);
    expect(run(ring, (s) => prepSetxattr(s, 'user.by-path', Buffer.from([1, 2, 3, 0, 255]), p))).toBe(0);
    const out = Buffer.alloc(16);
    expect(run(ring, (s) => prepGetxattr(s, 'user.by-path', out, p))).toBe(5);
    expect([...out.subarray(0, 5)]).toEqual([1, 2, 3, 0, 255]);
    expect(run(ring, (s) => prepSetxattr(s, 'user.other', Buffer.from('z'), p, XATTR_REPLACE))).toBe(-ENODATA);
    expect(run(ring, (s) => prepGetxattr(s, 'user.by-path', out, `${p}.none`))).toBe(-ENOENT);
  }));

  itOp(IORING_OP_GETXATTR, 'prepGetxattr with null and len 0 returns the size', withRing((ring) => {
    const p = file('z', scratch);
    expect(run(ring, (s) => prepSetxattr(s, 'user.sz', Buffer.alloc(300, 9), p))).toBe(0);
    expect(run(ring, (s) => prepGetxattr(s, 'user.sz', null, p))).toBe(300);
  }));

  itOp(IORING_OP_FGETXATTR, 'prepFgetxattr of a bad fd is -EBADF', withRing((ring) => {
    expect(run(ring, (s) => prepFgetxattr(s, 1_000_000, 'user.k', Buffer.alloc(4)))).toBe(-EBADF);
  }));
});

describe('splice, tee and pipes', () => {
  itOp(IORING_OP_SPLICE, 'prepSplice moves bytes file -> pipe -> file, from a file offset and to one', withRing((ring) => {
    const src = track(fs.openSync(file('skip:splice me through a pipe'), 'r'));
    const dstPath = file('');
    const dst = track(fs.openSync(dstPath, 'r+'));
    const [r, w] = pipe();
    expect(run(ring, (s) => prepSplice(s, src, 5, w, -1, 1000))).toBe(24);
    expect(run(ring, (s) => prepSplice(s, r, -1, dst, 3, 1000, SPLICE_F_MOVE))).toBe(24);
    expect(fs.readFileSync(dstPath, 'latin1')).toBe('\0\0\0splice me through a pipe');
    expect(run(ring, (s) => prepSplice(s, src, 100, w, -1, 10))).toBe(0); // past EOF
  }));

  itOp(IORING_OP_SPLICE, 'prepSplice with SPLICE_F_FD_IN_FIXED reads from a registered slot', withRing((ring) => {
    registerSparse(ring, 2);
    expect(run(ring, (s) => prepOpenDirect(s, file('from a slot'), O_RDONLY, 0, 1))).toBe(0);
    const [r, w] = pipe();
    expect(run(ring, (s) => prepSplice(s, 1, 0, w, -1, 100, SPLICE_F_FD_IN_FIXED))).toBe(11);
    expect(readText(r)).toBe('from a slot');
  }));

  itOp(IORING_OP_TEE, 'prepTee copies pipe -> pipe and leaves the bytes in the first', withRing((ring) => {
    const [ar, aw] = pipe();
    const [br, bw] = pipe();
    fs.writeSync(aw, 'tee bytes');
    expect(run(ring, (s) => prepTee(s, ar, bw, 100))).toBe(9);
    expect(readText(br)).toBe('tee bytes');
    expect(readText(ar)).toBe('tee bytes');
  }));

  itOp(IORING_OP_PIPE, 'prepPipe makes a pipe: the kernel fills fds, and bytes written to one end come out of the other', withRing((ring) => {
    const fds = new Int32Array([-1, -1]);
    expect(run(ring, (s) => prepPipe(s, fds))).toBe(0);
    const [r, w] = [track(fds[0]!), track(fds[1]!)];
    expect(r).toBeGreaterThanOrEqual(0);
    fs.writeSync(w, 'through the pipe');
    expect(readText(r)).toBe('through the pipe');
    expect(fdFlags(r) & O_CLOEXEC).toBe(0);
    const cloexec = new Int32Array(2);
    expect(run(ring, (s) => prepPipe(s, cloexec, O_CLOEXEC))).toBe(0);
    expect(fdFlags(track(cloexec[0]!)) & O_CLOEXEC).toBe(O_CLOEXEC);
    track(cloexec[1]!);
  }));

  itOp(IORING_OP_PIPE, 'prepPipeDirect makes a pipe in slots fileIndex and fileIndex + 1, or any free ones with ALLOC', withRing((ring) => {
    registerSparse(ring, 8);
    const fds = new Int32Array([-1, -1]);
    expect(run(ring, (s) => prepPipeDirect(s, fds, 0, 4))).toBe(0);
    expect([...fds]).toEqual([4, 5]);
    expect(writeFixed(ring, 5, 'direct pipe')).toBe(11);
    expect(readFixed(ring, 4)).toBe('direct pipe');
    const any = new Int32Array([-1, -1]);
    expect(run(ring, (s) => prepPipeDirect(s, any, 0, IORING_FILE_INDEX_ALLOC))).toBe(0);
    expect(any[0]).toBeGreaterThanOrEqual(0);
    expect([4, 5]).not.toContain(any[0]);
    expect(writeFixed(ring, any[1]!, 'alloc')).toBe(5);
    expect(readFixed(ring, any[0]!)).toBe('alloc');
  }));
});

describe('readv2 and writev2', () => {
  itOp(IORING_OP_WRITEV, 'prepWritev2 with RWF_APPEND appends whatever the offset; prepReadv2 reads into the buffers in order', withRing((ring) => {
    const p = file('abc');
    const fd = track(fs.openSync(p, 'r+'));
    expect(run(ring, (s) => prepWritev2(s, fd, [Buffer.from('XY'), Buffer.from('Z')], 0, RWF_APPEND))).toBe(3);
    expect(fs.readFileSync(p, 'latin1')).toBe('abcXYZ');
    expect(run(ring, (s) => prepWritev2(s, fd, [Buffer.from('q')], 0, RWF_DSYNC))).toBe(1);
    const into = [Buffer.alloc(2), Buffer.alloc(10, 0xee)];
    expect(run(ring, (s) => prepReadv2(s, fd, into, 1))).toBe(5);
    expect(into.map((b) => b.toString('latin1'))).toEqual(['bc', 'XYZ' + '\xee'.repeat(7)]);
  }));

  itOp(IORING_OP_READV, 'prepReadv2 with RWF_NOWAIT on an empty pipe is -EAGAIN (not a wait); with bytes there it reads them', withRing((ring) => {
    const [r, w] = pipe();
    const buf = Buffer.alloc(16);
    expect(run(ring, (s) => prepReadv2(s, r, [buf], -1, RWF_NOWAIT))).toBe(-EAGAIN);
    fs.writeSync(w, 'now');
    expect(run(ring, (s) => prepReadv2(s, r, [buf], -1, RWF_NOWAIT))).toBe(3);
    expect(buf.toString('latin1', 0, 3)).toBe('now');
  }));

  itOp(IORING_OP_READV, 'prepReadv2 with RWF_HIPRI on a ring without IOPOLL is -EINVAL (polled I/O needs an IOPOLL ring)', withRing((ring) => {
    const fd = track(fs.openSync(file('hipri'), 'r'));
    expect(run(ring, (s) => prepReadv2(s, fd, [Buffer.alloc(8)], 0, RWF_HIPRI))).toBe(-EINVAL);
  }));
});

// ----------------------------------------------------------------- lifetime

describe('memory the kernel writes later stays referenced by the entry', () => {
  // Each operation waits in a chain behind a 1-byte READ of an empty pipe,
  // with gc() forced meanwhile; the test holds only WeakRefs to the buffers.
  // A WeakRef holds its target until the current job ends (KeepDuringJob),
  // so the test yields to the event loop before collecting.
  itOp(IORING_OP_STATX, 'a statx buffer, pipe fds and an xattr value survive gc() until their CQEs, and hold the results', async () => {
    using ring = new IoUring(8);
    try {
      const target = file('twenty-one bytes long', scratch);
      expect(run(ring, (s) => prepSetxattr(s, 'user.gc', Buffer.from('kept'), target))).toBe(0);
      const [r, w] = pipe();
      const refs = queueBehindPipe(ring, r, target);
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 3; i++) forceGc();
      expect(ring.peekCqe()).toBeNull(); // still waiting on the pipe
      expect(refs.map((ref) => ref.deref() !== undefined)).toEqual([true, true, true]);
      fs.writeSync(w, 'x');
      ring.submitAndWait(4);
      expect(reapAll(ring).map((d) => d.res)).toEqual([1, 0, 0, 4]);
      const [sx, fds, value] = refs.map((ref) => ref.deref()!);
      expect(decodeStatx(sx!).size).toBe(21);
      expect([track(fds![0]!), track(fds![1]!)].every((fd) => fd >= 0)).toBe(true);
      expect(Buffer.from(value!.buffer, value!.byteOffset, 4).toString('latin1')).toBe('kept');
    } finally {
      closeAll();
    }
  });

  /** Queues READ(r, 1 byte) -> STATX -> PIPE -> GETXATTR, linked; returns WeakRefs to the three result buffers. */
  function queueBehindPipe(ring: IoUring, r: number, target: string): WeakRef<Uint8Array | Int32Array>[] {
    const refs: WeakRef<Uint8Array | Int32Array>[] = [];
    const preps: ((s: Sqe) => void)[] = [
      (s) => prepRead(s, r, Buffer.alloc(1), 1, -1),
      (s) => { refs.push(new WeakRef(prepStatx(s, AT_FDCWD, target, 0, STATX_BASIC_STATS, new Uint8Array(statx.sizeof)))); },
      (s) => { const fds = new Int32Array(2); refs.push(new WeakRef(fds)); prepPipe(s, fds); },
      (s) => { const v = new Uint8Array(16); refs.push(new WeakRef(v)); prepGetxattr(s, 'user.gc', v, target); },
    ];
    preps.forEach((prep, i) => {
      const sqe = ring.getSqe()!;
      prep(sqe);
      if (i < preps.length - 1) sqe.flags = IOSQE_IO_LINK;
      sqe.userData = i + 1;
    });
    ring.submit();
    return refs;
  }
});

// ------------------------------------------------------------- RELIABILITY

/** Queues entries prepared by `preps` (user_data 1, 2, ...), submits, and waits for them all. */
function runChain(ring: IoUring, preps: ((sqe: Sqe) => void)[]): { res: number; userData: number }[] {
  preps.forEach((prep, i) => {
    const sqe = ring.getSqe()!;
    prep(sqe);
    sqe.userData = i + 1;
  });
  ring.submitAndWait(preps.length);
  return reapAll(ring).map(({ res, userData }) => ({ res, userData }));
}

describe('13. short reads', () => {
  itOp(IORING_OP_READ, '13. a 64 KiB read from a pipe holding 2 bytes yields 2', withRing((ring) => {
    const [r, w] = pipe();
    fs.writeSync(w, 'hi');
    const buf = Buffer.alloc(64 * 1024, 0xee);
    expect(run(ring, (s) => prepRead(s, r, buf, buf.length, -1))).toBe(2);
    expect([buf.toString('latin1', 0, 2), buf[2]]).toEqual(['hi', 0xee]);
  }));

  itOp(IORING_OP_READ, '13. a short read linked (IOSQE_IO_LINK) to a WRITE: the WRITE gets -ECANCELED and writes nothing', withRing((ring) => {
    const [r, w] = pipe();
    fs.writeSync(w, 'hi');
    const p = file('');
    const out = track(fs.openSync(p, 'r+'));
    const buf = Buffer.alloc(64 * 1024);
    expect(runChain(ring, [
      (s) => { prepRead(s, r, buf, buf.length, -1); s.flags = IOSQE_IO_LINK; },
      (s) => prepWrite(s, out, buf, 2, 0),
    ])).toEqual([{ res: 2, userData: 1 }, { res: -ECANCELED, userData: 2 }]);
    expect(fs.statSync(p).size).toBe(0);
  }));
});

describe('14. a broken link', () => {
  itOp(IORING_OP_NOP, '14. a READ of a bad fd linked to a NOP: -EBADF then -ECANCELED, in that order', withRing((ring) => {
    const buf = Buffer.alloc(16);
    expect(runChain(ring, [
      (s) => { prepRead(s, 1_000_000, buf); s.flags = IOSQE_IO_LINK; },
      (s) => prepNop(s),
    ])).toEqual([{ res: -EBADF, userData: 1 }, { res: -ECANCELED, userData: 2 }]);
    expect(run(ring, prepNop)).toBe(0); // the ring goes on
  }));
});
