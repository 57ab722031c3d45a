// The path functions of node:fs/promises that run on the ring: open,
// stat and lstat (statx), unlink and rmdir (unlinkat), mkdir (mkdirat, and
// mkdir -p as Node's MKDirpAsync in src/node_file.cc walks it), rename,
// link, symlink, and truncate (open, ftruncate, close), each checking its
// arguments as Node does before anything reaches the ring.

import { rmdir as nodeRmdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { AsyncRing } from '../async/async-ring.ts';
import { ERRNO } from '../errno.ts';
import { argError, fsError, invalidArgValue } from './errors.ts';
import { parseFileMode, stringToFlags } from './flags.ts';
import { FileHandle } from './file-handle.ts';
import {
  closeFd, ftruncateFd, linkPaths, mkdirErrno, openFd, renamePaths, shownOf, statOf, statxRaw, symlinkPaths, unlinkPath,
} from './ops.ts';
import type { BigIntStats, Stats } from './stats.ts';
import { NODE_MAJOR, type PathLike, validPath, validateBoolean, validateObject } from './validate.ts';
import { validateInteger, validateUint32 } from './flags.ts';
import { AT_FDCWD } from '../uapi/fs.ts';

const { EACCES, ENOSPC, ENOTDIR, EPERM, ENOENT, EEXIST } = ERRNO;
const { S_IFMT, S_IFDIR } = constants;

/** open(2) of `path` with `flags` (a string as Node's, or O_* bits; default 'r') and `mode` (default 0o666), as a FileHandle. O_CLOEXEC is always added. */
export async function open(io: AsyncRing, path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  const p = validPath(path);
  const f = stringToFlags(flags);
  const m = parseFileMode(mode, 'mode', 0o666);
  return new FileHandle(io, await openFd(io, p, f, m), shownOf(p));
}

/** Options of stat and lstat. */
export interface StatOptions {
  /** BigIntStats instead of Stats. */
  bigint?: boolean;
  /** stat only: resolve with undefined rather than reject for ENOENT and ENOTDIR (Node 22 and later). */
  throwIfNoEntry?: boolean;
}

/** stat (follows a final symlink) or lstat (doesn't). */
export async function stat(io: AsyncRing, which: 'stat' | 'lstat', path: PathLike, options?: StatOptions): Promise<Stats | BigIntStats | undefined> {
  // Node 26 checks the options are an object; Node 20 to 24 read
  // `options.bigint` of whatever they are (null throws a TypeError there).
  if (NODE_MAJOR >= 26 && options !== undefined) validateObject(options, 'options');
  const p = validPath(path);
  const bigint = (options === undefined ? undefined : options.bigint) === true;
  if (which === 'stat' && options?.throwIfNoEntry === false) {
    try {
      return await statOf(io, which, p, bigint);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }
  return await statOf(io, which, p, bigint);
}

/** unlink(2). */
export async function unlink(io: AsyncRing, path: PathLike): Promise<void> {
  await unlinkPath(io, validPath(path), false);
}

/**
 * rmdir(2). The options are checked as Node's validateRmdirOptions checks
 * them (on Node 26, which has no `recursive`, only that they are an
 * object); the deprecated `{ recursive: true }` goes to node:fs/promises.
 */
export async function rmdir(io: AsyncRing, path: PathLike, options?: { recursive?: boolean; maxRetries?: number; retryDelay?: number }): Promise<void> {
  const p = validPath(path);
  if (options !== undefined) {
    validateObject(options, 'options');
    if (NODE_MAJOR < 26) {
      const o = { recursive: false, retryDelay: 100, maxRetries: 0, ...options };
      validateBoolean(o.recursive, 'options.recursive');
      validateInteger(o.retryDelay, 'options.retryDelay', 0, 2 ** 31 - 1);
      validateUint32(o.maxRetries, 'options.maxRetries');
      if (o.recursive) return await nodeRmdir(path, options);
    }
  }
  await unlinkPath(io, p, true);
}

/** mkdir's options (or the mode alone). */
export interface MakeDirectoryOptions {
  /** Make the missing parents too, and resolve with the first directory made. */
  recursive?: boolean;
  /** Default 0o777 (less the umask). */
  mode?: number | string;
}

/** mkdir(2); with `recursive`, mkdir -p, resolving with the first directory it made (undefined if none). */
export async function mkdir(io: AsyncRing, path: PathLike, options?: MakeDirectoryOptions | number | string | null): Promise<string | undefined> {
  const o = typeof options === 'number' || typeof options === 'string' ? { mode: options } : options ?? {};
  // Defaults only for what is absent, as Node's destructuring: a null recursive is refused.
  const recursive = o.recursive === undefined ? false : o.recursive;
  const mode = o.mode === undefined ? 0o777 : o.mode;
  const p = validPath(path);
  validateBoolean(recursive, 'options.recursive');
  const m = parseFileMode(mode, 'mode', 0o777);
  if (!recursive) {
    const errno = await mkdirErrno(io, p, m);
    if (errno !== 0) throw fsError(errno, 'mkdir', shownOf(p));
    return undefined;
  }
  return await mkdirp(io, shownOf(p), m);
}

// Node's MKDirpAsync: a stack of paths, the one asked for at the bottom.
// ENOENT pushes the path back with its parent above it; EEXIST on a parent
// is fine if it is a directory; the error, if any, names the path asked for.
async function mkdirp(io: AsyncRing, path: string, mode: number): Promise<string | undefined> {
  const stack = [path];
  let first: string | undefined;
  while (stack.length > 0) {
    const next = stack.pop()!;
    let err = await mkdirErrno(io, next, mode);
    if (err === 0) {
      first ??= next;
      continue;
    }
    if (err === -EACCES || err === -ENOSPC || err === -ENOTDIR || err === -EPERM) throw fsError(err, 'mkdir', path);
    if (err === -ENOENT) {
      const slash = next.lastIndexOf('/');
      const dirname = slash === -1 ? next : next.slice(0, slash);
      if (dirname !== next) {
        stack.push(next, dirname);
        continue;
      }
      if (stack.length > 0) continue;
      err = -EEXIST;
    }
    // What is there: a directory ends it well (or, for a parent, lets the
    // walk go on); anything else is EEXIST for the path itself, ENOTDIR for
    // a parent.
    let statErr = 0;
    let isDir = false;
    try {
      const buf = await statxRaw(io, AT_FDCWD, next, 0, 'stat');
      isDir = ((buf[28]! | (buf[29]! << 8)) & S_IFMT) === S_IFDIR; // stx_mode
    } catch (e) {
      statErr = (e as { errno?: number }).errno ?? -ENOENT;
    }
    if (err === -EEXIST && stack.length > 0) {
      if (statErr === 0 && isDir) continue;
      statErr = -ENOTDIR;
    }
    if (statErr === 0 && !isDir) statErr = -EEXIST;
    if (statErr !== 0) throw fsError(statErr, 'mkdir', path);
    return first;
  }
  return first;
}

/** rename(2). */
export async function rename(io: AsyncRing, oldPath: PathLike, newPath: PathLike): Promise<void> {
  await renamePaths(io, validPath(oldPath, 'oldPath'), validPath(newPath, 'newPath'));
}

/** link(2): a new name for an existing file. */
export async function link(io: AsyncRing, existingPath: PathLike, newPath: PathLike): Promise<void> {
  await linkPaths(io, validPath(existingPath, 'existingPath'), validPath(newPath, 'newPath'));
}

/** symlink(2): a link at `path` to `target`; `type` matters only on Windows. */
export async function symlink(io: AsyncRing, target: PathLike, path: PathLike, type?: string | null): Promise<void> {
  // Node 24 checks the type first, against every value; Node 20 and 22 only
  // a string, and after the paths.
  if (NODE_MAJOR >= 24 && !SYMLINK_TYPES.includes(type)) {
    throw invalidArgValue('type', type, "must be one of: 'dir', 'file', 'junction', null, undefined");
  }
  const t = validPath(target, 'target');
  const p = validPath(path);
  if (typeof type === 'string' && !SYMLINK_TYPES.includes(type)) {
    throw argError('plain', 'ERR_FS_INVALID_SYMLINK_TYPE', `Symlink type must be one of "dir", "file", or "junction". Received ${JSON.stringify(type)}`);
  }
  await symlinkPaths(io, t, p);
}
const SYMLINK_TYPES: unknown[] = ['dir', 'file', 'junction', null, undefined];

/** truncate: open 'r+', ftruncate to `len` (default 0; negative is 0), close. */
export async function truncate(io: AsyncRing, path: PathLike, len = 0): Promise<void> {
  const p = validPath(path);
  const fd = await openFd(io, p, stringToFlags('r+'), 0o666);
  try {
    validateInteger(len, 'len');
    await ftruncateFd(io, fd, Math.max(0, len));
  } catch (err) {
    await closeFd(io, fd).catch(() => {});
    throw err;
  }
  await closeFd(io, fd);
}
