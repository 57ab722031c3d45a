/**
 * tsuring/fs: node:fs/promises on io_uring. Change the import, keep the
 * code: the same functions, with Node's signatures, argument checks and
 * errors. The functions io_uring has an operation for run on this thread's
 * AsyncRing (made at first use, idle without keeping the process alive);
 * the rest are node:fs/promises' own. {@link createFs} gives the same
 * functions on a ring the caller owns.
 *
 * On the ring: open (a {@link FileHandle}: read, readv, write, writev, stat,
 * truncate, sync, datasync, readFile, writeFile, appendFile, close, and
 * its streams, which read and write through it), stat,
 * lstat, unlink, rmdir, mkdir (recursive too), rename, link, symlink,
 * truncate, readFile, writeFile, appendFile, copyFile. node:fs/promises'
 * own: access, cp, opendir, rm, readdir, readlink, statfs, chmod, lchmod,
 * chown, lchown, utimes, lutimes, realpath, mkdtemp, watch, constants,
 * glob (Node 22+), mkdtempDisposable (Node 24+) (and FileHandle's chmod,
 * chown and utimes). The default export holds them all, as
 * node:fs/promises' does.
 *
 * @module tsuring/fs
 */

import { createFs, delegated, type Fs, type Glob, type MkdtempDisposable, type ReadFileBufferOptions, type ReadFileStringOptions } from './api.ts';
import { defaultRing } from './ring.ts';
// TSURING_TRACE and ring.trace() for programs that import only tsuring/fs,
// as lib/index.ts gives them to the rest.
import '../debug/trace.ts';

const fs = createFs(defaultRing);

/** node:fs/promises' open: a FileHandle of `path`, opened with `flags` ('r' by default) and `mode` (0o666). */
export const open: Fs['open'] = fs.open;
/** node:fs/promises' stat (statx on the ring). */
export const stat: Fs['stat'] = fs.stat;
/** node:fs/promises' lstat (statx with AT_SYMLINK_NOFOLLOW on the ring). */
export const lstat: Fs['lstat'] = fs.lstat;
/** node:fs/promises' unlink. */
export const unlink: Fs['unlink'] = fs.unlink;
/** node:fs/promises' rmdir ({ recursive } goes to node:fs/promises). */
export const rmdir: Fs['rmdir'] = fs.rmdir;
/** node:fs/promises' mkdir, recursive too. */
export const mkdir: Fs['mkdir'] = fs.mkdir;
/** node:fs/promises' rename. */
export const rename: Fs['rename'] = fs.rename;
/** node:fs/promises' link. */
export const link: Fs['link'] = fs.link;
/** node:fs/promises' symlink. */
export const symlink: Fs['symlink'] = fs.symlink;
/** node:fs/promises' truncate. */
export const truncate: Fs['truncate'] = fs.truncate;
/** node:fs/promises' readFile. */
export const readFile: Fs['readFile'] = fs.readFile;
/** node:fs/promises' writeFile. */
export const writeFile: Fs['writeFile'] = fs.writeFile;
/** node:fs/promises' appendFile. */
export const appendFile: Fs['appendFile'] = fs.appendFile;
/**
 * node:fs/promises' copyFile (FICLONE modes go to node:fs/promises).
 * Differs from node:fs/promises: the bytes go by reads and writes on the
 * ring, not copy_file_range(2).
 */
export const copyFile: Fs['copyFile'] = fs.copyFile;

/** node:fs/promises' access, as it is. */
export const access: Fs['access'] = delegated.access;
/** node:fs/promises' cp, as it is. */
export const cp: Fs['cp'] = delegated.cp;
/** node:fs/promises' opendir, as it is. */
export const opendir: Fs['opendir'] = delegated.opendir;
/** node:fs/promises' rm, as it is. */
export const rm: Fs['rm'] = delegated.rm;
/** node:fs/promises' readdir, as it is. */
export const readdir: Fs['readdir'] = delegated.readdir;
/** node:fs/promises' readlink, as it is. */
export const readlink: Fs['readlink'] = delegated.readlink;
/** node:fs/promises' statfs, as it is. */
export const statfs: Fs['statfs'] = delegated.statfs;
/** node:fs/promises' chmod, as it is. */
export const chmod: Fs['chmod'] = delegated.chmod;
/** node:fs/promises' lchmod, as it is. */
export const lchmod: Fs['lchmod'] = delegated.lchmod;
/** node:fs/promises' chown, as it is. */
export const chown: Fs['chown'] = delegated.chown;
/** node:fs/promises' lchown, as it is. */
export const lchown: Fs['lchown'] = delegated.lchown;
/** node:fs/promises' utimes, as it is. */
export const utimes: Fs['utimes'] = delegated.utimes;
/** node:fs/promises' lutimes, as it is. */
export const lutimes: Fs['lutimes'] = delegated.lutimes;
/** node:fs/promises' realpath, as it is. */
export const realpath: Fs['realpath'] = delegated.realpath;
/** node:fs/promises' mkdtemp, as it is. */
export const mkdtemp: Fs['mkdtemp'] = delegated.mkdtemp;
/** node:fs/promises' watch, as it is. */
export const watch: Fs['watch'] = delegated.watch;
/** node:fs's constants (O_*, S_*, COPYFILE_*, ...). */
export const constants: Fs['constants'] = delegated.constants;
/** node:fs/promises' glob, as it is: Node 22 and later; undefined on Node 20, as node:fs/promises has none there. */
export const glob: Fs['glob'] = delegated.glob;
/** node:fs/promises' mkdtempDisposable, as it is: Node 24 and later; undefined before, as node:fs/promises has none there. */
export const mkdtempDisposable: Fs['mkdtempDisposable'] = delegated.mkdtempDisposable;

/** All of the above as one object, as node:fs/promises' default export (`import fs from 'tsuring/fs'`). */
const promises: Fs = {
  open, stat, lstat, unlink, rmdir, mkdir, rename, link, symlink, truncate, readFile, writeFile, appendFile, copyFile,
  access, cp, opendir, rm, readdir, readlink, statfs, chmod, lchmod, chown, lchown, utimes, lutimes, realpath, mkdtemp,
  watch, constants, glob, mkdtempDisposable,
};
export default promises;

export { createFs, type Fs, type Glob, type MkdtempDisposable, type ReadFileBufferOptions, type ReadFileStringOptions };
export { defaultRing };
export { FileHandle, type FileReadOptions, type FileReadResult, type FileWriteResult } from './file-handle.ts';
export { Stats, BigIntStats } from './stats.ts';
export { AbortError, type FsError } from './errors.ts';
export type { StatOptions, MakeDirectoryOptions } from './paths.ts';
export type { ReadFileOptions } from './whole-file.ts';
export type { WriteFileOptions } from './write-options.ts';
export type { WriteData } from './file-data.ts';
export type { PathLike } from './validate.ts';
