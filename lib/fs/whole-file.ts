// The whole-file functions of node:fs/promises on the ring: readFile,
// writeFile and appendFile (open, the reads or writes of file-data.ts,
// close), and copyFile, step for step as libuv's uv__fs_copyfile
// (src/unix/fs.c) does it, every failure reported as Node reports it:
// syscall 'copyfile', the source as path and the destination as dest.

import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { constants } from 'node:fs';
import { copyFile as nodeCopyFile, fchmod as nodeFchmod } from './node-fs.ts';
import type { AsyncRing } from '../async/async-ring.ts';
import { AT_FDCWD } from '../uapi/fs.ts';
import { argError, checkAborted, fsError, outOfRange, toFsError } from './errors.ts';
import { ERRNO } from '../errno.ts';
import { byteLengthOf, bytesOf } from '../ring/memory.ts';
import { readFileChained, writeFileChained } from './fast.ts';
import { parseFileMode, stringToFlags } from './flags.ts';
import { FileHandle } from './file-handle.ts';
import { spliceCopy } from './splice-copy.ts';
import { readFileFd, writeFileBytes, writeFileFd, WRITE_CHUNK, type WriteData } from './file-data.ts';
import { closeFd, fstatModeSize, ftruncateFd, openFd, readFd, shownOf, syncFd, writeFd } from './ops.ts';
import { NODE_MAJOR, getOptions, type PathLike, validPath } from './validate.ts';
import { writeData, writeFlag, type WriteFileOptions } from './write-options.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, S_IFMT, S_IFREG, COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } = constants;

/** readFile's options (or the encoding alone). */
export interface ReadFileOptions {
  /** Resolve with a string in this encoding rather than a Buffer. */
  encoding?: BufferEncoding | null;
  /** The open flags (default 'r'). */
  flag?: string | number;
  /** Aborts between reads, with Node's AbortError. */
  signal?: AbortSignal;
}

// What Node 26's writeFile writes in one job of its binding at most
// (kWriteFileMaxChunkSize).
const ONE_JOB_MAX = 512 * 1024;

// Whether node:fs/promises checks a FileHandle's fd before it writes through
// it (from Node 22).
const FD_CHECKED_ON_WRITE = NODE_MAJOR >= 22;

/** The whole file at `path` (or the rest of a FileHandle's file). */
export async function readFile(io: AsyncRing, path: PathLike | FileHandle, options?: ReadFileOptions | BufferEncoding | null): Promise<Buffer | string> {
  const o = getOptions(options, { flag: 'r' as string | number });
  const flag = o.flag || 'r';
  if (path instanceof FileHandle) {
    // Node reads a FileHandle through its fd, and refuses a closed one's -1
    // as an fd out of range (its own method says "file closed").
    if (path.fd === -1) {
      // Node makes the encoding's StringDecoder first, which refuses one it
      // doesn't know ('buffer' too), then checks the signal.
      if (o.encoding) new StringDecoder(o.encoding as BufferEncoding);
      checkAborted(o.signal);
      throw outOfRange('fd', '>= 0 && <= 2147483647', -1);
    }
    return await path.readFile(o as never);
  }
  checkAborted(o.signal);
  const p = validPath(path);
  if (flag === 'r' && o.signal === undefined && o.encoding !== 'buffer') {
    const data = await readFileChained(io, p, o.encoding ?? undefined);
    if (data !== null) return data;
  }
  const fd = await openFd(io, p, stringToFlags(flag), 0o666);
  let data: Buffer | string;
  try {
    data = await readFileFd(io, fd, o, shownOf(p));
  } catch (err) {
    await closeFd(io, fd).catch(() => {});
    throw err;
  }
  await closeFd(io, fd);
  return data;
}

function viewOrNull(bytes: ArrayBufferView): Uint8Array | null {
  try {
    return writeFileBytes(bytes);
  } catch {
    return null;
  }
}

/** Writes `data` as the file at `path` (created with `mode`, opened with `flag`, 'w' by default), or to a FileHandle. */
export async function writeFile(io: AsyncRing, path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const o = getOptions(options, { encoding: 'utf8' as BufferEncoding, mode: 0o666, flag: 'w', flush: false }) as WriteFileOptions;
  const flag = writeFlag(o);
  let bytes = writeData(data, o);
  if (path instanceof FileHandle) {
    // Node writes through a closed FileHandle's fd, -1: nothing to write is
    // no error; anything else is write(2)'s EBADF on Node 20, and from Node
    // 22 on its fd check's ERR_OUT_OF_RANGE, as readFile's.
    if (path.fd === -1 && ArrayBuffer.isView(bytes)) {
      checkAborted(o.signal);
      if (writeFileBytes(bytes).byteLength === 0) return;
      if (FD_CHECKED_ON_WRITE) throw outOfRange('fd', '>= 0 && <= 2147483647', -1);
      throw fsError(-ERRNO.EBADF, 'write');
    }
    return await path.writeFile(bytes as WriteData, o);
  }
  // Node 26 writes a view that says it has at most 512 KiB, without flush,
  // as one job of its binding, which takes the view's own bytes; only the
  // rest goes through writeFileHandle and the view's properties.
  if (NODE_MAJOR >= 26 && !o.flush && ArrayBuffer.isView(bytes) && bytes.byteLength <= ONE_JOB_MAX) bytes = bytesOf(bytes, 'data');
  checkAborted(o.signal);
  // Read before the path is checked, as Node's open(path, flag, options.mode)
  // has it read as an argument.
  const modeArg = o.mode;
  const p = validPath(path);
  const f = stringToFlags(flag);
  const mode = parseFileMode(modeArg, 'mode', 0o666);
  // A view whose properties name no range of its buffer goes step by step,
  // where Node's RangeError comes after the open, as Node's does.
  const chained = flag === 'w' && !o.flush && o.signal === undefined && ArrayBuffer.isView(bytes) ? viewOrNull(bytes) : null;
  if (chained !== null) {
    const r = await writeFileChained(io, p, chained, mode);
    if (r === 'done') return;
    if (r !== null) {
      if (r.errno !== 0) throw fsError(r.errno, r.syscall, r.syscall === 'open' ? shownOf(p) : undefined);
      // A short write: the rest, where Node's next write would put it.
      const fd = await openFd(io, p, O_WRONLY, 0);
      try {
        const all = chained;
        for (let at = r.written; at < all.length;) at += await writeFd(io, fd, all.subarray(at, at + WRITE_CHUNK), at);
      } catch (err) {
        await closeFd(io, fd).catch(() => {});
        throw err;
      }
      await closeFd(io, fd);
      return;
    }
  }
  const fd = await openFd(io, p, f, mode);
  try {
    await writeFileFd(io, fd, bytes, o.signal, o.encoding);
    if (o.flush) await syncFd(io, fd, false);
  } catch (err) {
    await closeFd(io, fd).catch(() => {});
    throw err;
  }
  await closeFd(io, fd);
}

/** writeFile with the flag 'a' unless another is given. */
export async function appendFile(io: AsyncRing, path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const o = { ...getOptions(options, { encoding: 'utf8' as BufferEncoding, mode: 0o666, flag: 'a' }) } as WriteFileOptions;
  o.flag ||= 'a';
  return await writeFile(io, path, data, o);
}

const COPY_MODE_MAX = COPYFILE_EXCL | COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE;

// copyFile's mode as node:fs/promises takes it (its binding's own words):
// null or undefined for 0, any other non-number refused, a fraction cut
// toward 0, then 0 to 7.
function copyMode(mode: unknown): number {
  if (mode === null || mode === undefined) return 0;
  if (typeof mode !== 'number') throw argError('type', 'ERR_INVALID_ARG_TYPE', 'mode must be int32 or null/undefined');
  if (!Number.isFinite(mode)) throw argError('range', 'ERR_OUT_OF_RANGE', 'mode is out of range');
  const m = Math.trunc(mode);
  if (m < 0 || m > COPY_MODE_MAX) throw argError('range', 'ERR_OUT_OF_RANGE', `mode is out of range: >= 0 && <= ${COPY_MODE_MAX}`);
  return m + 0; // -0 is 0
}

/** How much copyFile reads and writes at a time. */
const COPY_CHUNK = 1024 * 1024;

/**
 * Copies `src` to `dest` (replacing it, unless COPYFILE_EXCL). As libuv:
 * open the source, fstat it, open or create the destination with the
 * source's mode, stop if both are the same file, fchmod it to the source's
 * mode, copy; on failure after the destination was opened, remove it.
 * Differs from node:fs/promises: a destination that exists is written over
 * and then cut to the copy's length, as Bun does, where libuv truncates it
 * to 0 first (the result is the same file; only a reader looking during
 * the copy sees old bytes after the new ones, where libuv's shows none);
 * COPYFILE_FICLONE and COPYFILE_FICLONE_FORCE
 * go to node:fs/promises (a reflink is an ioctl the ring doesn't run); the
 * copy is splices through a pipe (splice-copy.ts), not copy_file_range,
 * and reads and writes of 1 MiB for whatever the splices left.
 */
export async function copyFile(io: AsyncRing, src: PathLike, dest: PathLike, modeArg?: number | null): Promise<void> {
  const s = validPath(src, 'src');
  const d = validPath(dest, 'dest');
  const mode = copyMode(modeArg);
  if ((mode & (COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE)) !== 0) return await nodeCopyFile(src, dest, mode);
  const ss = shownOf(s);
  const ds = shownOf(d);
  const srcFd = await openFd(io, s, O_RDONLY, 0, 'copyfile', ss, ds);
  let dstFd = -1;
  let failed: unknown = null;
  try {
    const st = await fstatModeSize(io, srcFd, 'copyfile', ss, ds);
    dstFd = await openFd(io, d, O_WRONLY | O_CREAT | ((mode & COPYFILE_EXCL) !== 0 ? O_EXCL : 0), st.mode, 'copyfile', ss, ds);
    const dt = await fstatModeSize(io, dstFd, 'copyfile', ss, ds);
    if ((mode & COPYFILE_EXCL) === 0 && dt.dev === st.dev && dt.ino === st.ino) return;
    // What is not a regular file is truncated first, as libuv does, and
    // fails as Node fails there (a device or a FIFO: EINVAL).
    if ((mode & COPYFILE_EXCL) === 0 && (dt.mode & S_IFMT) !== S_IFREG) await ftruncateFd(io, dstFd, 0, 'copyfile', ss, ds);
    if ((dt.mode & 0o7777) !== (st.mode & 0o7777)) {
      try {
        await nodeFchmod(dstFd, st.mode & 0o7777);
      } catch (err) {
        throw toFsError(err, 'copyfile', ss, ds);
      }
    }
    let at = await spliceCopy(io, srcFd, dstFd, st.size);
    const buf = Buffer.allocUnsafeSlow(Math.min(COPY_CHUNK, Math.max(st.size - at, 1)));
    while (at < st.size) {
      const n = await readFd(io, srcFd, buf.subarray(0, Math.min(buf.length, st.size - at)), at, 'copyfile', ss, ds);
      if (n === 0) break;
      let w = 0;
      while (w < n) w += await writeFd(io, dstFd, buf.subarray(w, n), at + w, 'copyfile', ss, ds);
      at += n;
    }
    // What the destination held past the copy goes now, not before it: the
    // copy overwrites the blocks a file it replaces already has, where
    // truncating first (libuv) frees them all and has the file system
    // allocate them again, journal and all: a 1 GiB copy onto its last
    // copy ran at 5.6-6.4 GB/s this way against node:fs/promises' 0.8-1.2
    // (bench/fs.ts --workload copy, ext4).
    if (dt.size > at) await ftruncateFd(io, dstFd, at, 'copyfile', ss, ds);
  } catch (err) {
    failed = err;
  }
  // Both closed whatever happened; a close's own failure is reported only
  // when nothing failed before it, as libuv does.
  const closes = [closeFd(io, srcFd).catch((e: unknown) => e)];
  if (dstFd !== -1) closes.push(closeFd(io, dstFd).catch((e: unknown) => e));
  for (const r of await Promise.all(closes)) {
    if (r !== undefined && failed === null) failed = toFsError(r, 'copyfile', ss, ds);
  }
  if (failed !== null) {
    if (dstFd !== -1) await io.unlinkat(AT_FDCWD, d, 0).catch(() => {});
    throw failed;
  }
}
