// The tsuring/fs functions bound to a ring: createFs(io) for a ring the
// caller owns, and (index.ts) the same bound to this thread's own ring.
// What io_uring has no operation for is node:fs/promises' own function,
// the same object in both.

import type { Buffer } from 'node:buffer';
import * as nodeFs from 'node:fs/promises';
import { AsyncRing } from '../async/async-ring.ts';
import type { FileHandle } from './file-handle.ts';
import type { WriteData } from './file-data.ts';
import * as paths from './paths.ts';
import type { BigIntStats, Stats } from './stats.ts';
import type { PathLike } from './validate.ts';
import * as whole from './whole-file.ts';
import type { WriteFileOptions } from './write-options.ts';

/** readFile's options that make it resolve with a string. */
export type ReadFileStringOptions = {
  /** The encoding the contents are decoded with. */
  encoding: BufferEncoding;
  /** How the file is opened, as open()'s flags (default 'r'). */
  flag?: string | number;
  /** Aborts the read; the promise rejects with an AbortError. */
  signal?: AbortSignal;
} | BufferEncoding;
/** readFile's options that make it resolve with a Buffer. */
export type ReadFileBufferOptions = {
  /** null or absent: the contents come back as a Buffer. */
  encoding?: null;
  /** How the file is opened, as open()'s flags (default 'r'). */
  flag?: string | number;
  /** Aborts the read; the promise rejects with an AbortError. */
  signal?: AbortSignal;
} | null;

/** node:fs/promises' functions, those io_uring runs on the ring. */
export interface Fs {
  /** open(2) as a FileHandle; `flags` 'r' (default), 'r+', 'w', 'wx', 'a', ... or O_* bits; `mode` 0o666 by default. O_CLOEXEC always. */
  open(path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle>;
  /** statx(2) following a final symlink, as Stats (BigIntStats with `{ bigint: true }`). */
  stat(path: PathLike, options?: paths.StatOptions & { bigint?: false }): Promise<Stats>;
  /** statx(2) following a final symlink, as BigIntStats: times in nanoseconds too, every field a bigint. */
  stat(path: PathLike, options: paths.StatOptions & { bigint: true }): Promise<BigIntStats>;
  /** statx(2) following a final symlink, as Stats or BigIntStats as `options.bigint` says. */
  stat(path: PathLike, options?: paths.StatOptions): Promise<Stats | BigIntStats>;
  /** statx(2) of a symlink itself (AT_SYMLINK_NOFOLLOW), as Stats; of any other file as stat. */
  lstat(path: PathLike, options?: { bigint?: false }): Promise<Stats>;
  /** statx(2) of a symlink itself, as BigIntStats. */
  lstat(path: PathLike, options: { bigint: true }): Promise<BigIntStats>;
  /** statx(2) of a symlink itself, as Stats or BigIntStats as `options.bigint` says. */
  lstat(path: PathLike, options?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  /** unlink(2). */
  unlink(path: PathLike): Promise<void>;
  /** rmdir(2). */
  rmdir(path: PathLike, options?: { recursive?: boolean; maxRetries?: number; retryDelay?: number }): Promise<void>;
  /** mkdir(2); `{ recursive: true }` makes the parents too and resolves with the first directory made. */
  mkdir(path: PathLike, options: paths.MakeDirectoryOptions & { recursive: true }): Promise<string | undefined>;
  /**
   * mkdir(2) with `mode` (0o777 by default, less the umask), alone or in
   * the options; resolves with undefined unless `recursive` made a directory.
   */
  mkdir(path: PathLike, options?: paths.MakeDirectoryOptions | number | string | null): Promise<string | undefined>;
  /** rename(2). */
  rename(oldPath: PathLike, newPath: PathLike): Promise<void>;
  /** link(2). */
  link(existingPath: PathLike, newPath: PathLike): Promise<void>;
  /** symlink(2): a link at `path` to `target`. */
  symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void>;
  /** truncate(2) by open, ftruncate, close; `len` 0 by default. */
  truncate(path: PathLike, len?: number): Promise<void>;
  /** The whole file (of a FileHandle, the rest from its file position), as a Buffer. */
  readFile(path: PathLike | FileHandle, options?: ReadFileBufferOptions): Promise<Buffer>;
  /** The whole file decoded as a string in `options` (or `options.encoding`): 'utf8', 'latin1', ... */
  readFile(path: PathLike | FileHandle, options: ReadFileStringOptions): Promise<string>;
  /** The whole file: a string if the options name an encoding, a Buffer if not. */
  readFile(path: PathLike | FileHandle, options?: whole.ReadFileOptions | BufferEncoding | null): Promise<string | Buffer>;
  /** Writes `data` (a string, a view, or an iterable of them) as the file. */
  writeFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void>;
  /** Appends `data` to the file, creating it if need be. */
  appendFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void>;
  /**
   * Copies `src` to `dest`, which gets `src`'s mode; COPYFILE_EXCL refuses
   * an existing `dest` (EEXIST).
   * Differs from node:fs/promises: the bytes go by reads and writes of
   * 1 MiB on the ring, not copy_file_range(2), so a file system's reflink
   * or server-side copy is not used; COPYFILE_FICLONE and
   * COPYFILE_FICLONE_FORCE go to node:fs/promises' copyFile.
   */
  copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void>;

  /** node:fs/promises' access. */
  access: typeof nodeFs.access;
  /** node:fs/promises' cp. */
  cp: typeof nodeFs.cp;
  /** node:fs/promises' opendir. */
  opendir: typeof nodeFs.opendir;
  /** node:fs/promises' rm. */
  rm: typeof nodeFs.rm;
  /** node:fs/promises' readdir. */
  readdir: typeof nodeFs.readdir;
  /** node:fs/promises' readlink. */
  readlink: typeof nodeFs.readlink;
  /** node:fs/promises' statfs. */
  statfs: typeof nodeFs.statfs;
  /** node:fs/promises' chmod. */
  chmod: typeof nodeFs.chmod;
  /** node:fs/promises' lchmod. */
  lchmod: typeof nodeFs.lchmod;
  /** node:fs/promises' chown. */
  chown: typeof nodeFs.chown;
  /** node:fs/promises' lchown. */
  lchown: typeof nodeFs.lchown;
  /** node:fs/promises' utimes. */
  utimes: typeof nodeFs.utimes;
  /** node:fs/promises' lutimes. */
  lutimes: typeof nodeFs.lutimes;
  /** node:fs/promises' realpath. */
  realpath: typeof nodeFs.realpath;
  /** node:fs/promises' mkdtemp. */
  mkdtemp: typeof nodeFs.mkdtemp;
  /** node:fs/promises' watch. */
  watch: typeof nodeFs.watch;
  /** node:fs/promises' constants (node:fs's). */
  constants: typeof nodeFs.constants;
  /** node:fs/promises' glob (Node 22 and later; undefined on Node 20, which has none). */
  glob: Glob | undefined;
  /** node:fs/promises' mkdtempDisposable (Node 24 and later; undefined before, which have none). */
  mkdtempDisposable: MkdtempDisposable | undefined;
}

/** node:fs/promises' glob (Node 22 and later): the paths matching `pattern`, as they are found. */
export type Glob = (pattern: string | readonly string[], options?: {
  /** The directory the patterns are relative to; process.cwd() by default. */
  cwd?: string | URL;
  /** Paths (or a test of each) not to yield nor walk into. */
  exclude?: readonly string[] | ((path: string) => boolean);
  /** Dirents instead of paths. */
  withFileTypes?: boolean;
}) => AsyncIterableIterator<string>;

/** node:fs/promises' mkdtempDisposable (Node 24 and later): a new temporary directory, removed with everything in it by `remove()` or `await using`. */
export type MkdtempDisposable = (prefix: string, options?: BufferEncoding | { encoding?: BufferEncoding | null } | null) => Promise<{
  /** The directory made. */
  path: string;
  /** Removes the directory and all it holds. */
  remove(): Promise<void>;
  /** remove(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}>;

// node:fs/promises' functions that only later Node lines have: what the
// running line has, or undefined, as Node 20 has no glob.
const laterFs = nodeFs as { glob?: Glob; mkdtempDisposable?: MkdtempDisposable };

/** node:fs/promises' own functions, those tsuring/fs hands on as they are. */
export const delegated = {
  access: nodeFs.access,
  cp: nodeFs.cp,
  opendir: nodeFs.opendir,
  rm: nodeFs.rm,
  readdir: nodeFs.readdir,
  readlink: nodeFs.readlink,
  statfs: nodeFs.statfs,
  chmod: nodeFs.chmod,
  lchmod: nodeFs.lchmod,
  chown: nodeFs.chown,
  lchown: nodeFs.lchown,
  utimes: nodeFs.utimes,
  lutimes: nodeFs.lutimes,
  realpath: nodeFs.realpath,
  mkdtemp: nodeFs.mkdtemp,
  watch: nodeFs.watch,
  constants: nodeFs.constants,
  glob: laterFs.glob,
  mkdtempDisposable: laterFs.mkdtempDisposable,
};

/**
 * node:fs/promises' functions on `io`, a ring the caller owns (and closes:
 * their promises reject once it is), or on the ring a function returns
 * each time (tsuring/fs's own functions pass the thread's ring).
 */
export function createFs(io: AsyncRing | (() => AsyncRing)): Fs {
  if (!(io instanceof AsyncRing) && typeof io !== 'function') throw new TypeError('createFs needs an AsyncRing (or a function returning one)');
  const ring = io instanceof AsyncRing ? () => io : io;
  const fs: Omit<Fs, keyof typeof delegated> = {
    open: (path, flags, mode) => paths.open(ring(), path, flags, mode),
    stat: ((path: PathLike, options?: paths.StatOptions) => paths.stat(ring(), 'stat', path, options)) as Fs['stat'],
    lstat: ((path: PathLike, options?: { bigint?: boolean }) => paths.stat(ring(), 'lstat', path, options)) as Fs['lstat'],
    unlink: (path) => paths.unlink(ring(), path),
    rmdir: (path, options) => paths.rmdir(ring(), path, options),
    mkdir: (path: PathLike, options?: paths.MakeDirectoryOptions | number | string | null) => paths.mkdir(ring(), path, options),
    rename: (oldPath, newPath) => paths.rename(ring(), oldPath, newPath),
    link: (existingPath, newPath) => paths.link(ring(), existingPath, newPath),
    symlink: (target, path, type) => paths.symlink(ring(), target, path, type),
    truncate: (path, len) => paths.truncate(ring(), path, len),
    readFile: ((path: PathLike | FileHandle, options?: whole.ReadFileOptions | BufferEncoding | null) => whole.readFile(ring(), path, options)) as Fs['readFile'],
    writeFile: (path, data, options) => whole.writeFile(ring(), path, data, options),
    appendFile: (path, data, options) => whole.appendFile(ring(), path, data, options),
    copyFile: (src, dest, mode) => whole.copyFile(ring(), src, dest, mode),
  };
  return { ...fs, ...delegated };
}
