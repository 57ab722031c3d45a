// FileHandle: what open() resolves with, node:fs/promises' FileHandle
// method for method (lib/internal/fs/promises.js), its reads, writes,
// stat, truncate and syncs on the ring. `fd` is -1 once closed, and every
// method then rejects with Node's `file closed` error (code EBADF, the
// method's syscall name); close() waits for the methods under way, as
// Node's does. Reads and writes without a position go to the file position
// (the ring's offset -1), which moves as Node's does. A handle collected
// unclosed has its fd closed, as Node's FileHandle destructor does
// (src/node_file.cc): see `collected` below.

import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { closeSync, fchmod, fchown, futimes, createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';
import type { AsyncRing } from '../async/async-ring.ts';
import { closedError, invalidArgValue } from './errors.ts';
import { validateInteger } from './flags.ts';
import { closeFd, fstatOf, ftruncateFd, readFd, readvFd, syncFd, writeFd, writevFd } from './ops.ts';
import { readFileFd, writeFileFd, type WriteData } from './file-data.ts';
import type { BigIntStats, Stats } from './stats.ts';
import {
  getOptions, validateBuffer, validateBufferArray, validateObject, validateOffsetLengthRead,
  validateOffsetLengthWrite, validatePosition, validateStringAfterArrayBufferView, ringPosition,
} from './validate.ts';
import { writeData, type WriteFileOptions } from './write-options.ts';

const fchmodP = promisify(fchmod);
const fchownP = promisify(fchown);
const futimesP = promisify(futimes);

/** Node 20 names it Symbol.for('nodejs.asyncDispose') where the engine has no Symbol.asyncDispose. */
const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);

// A FileHandle that is collected unclosed has its fd closed here, as Node
// closes one in FileHandle's destructor (src/node_file.cc), at once and
// synchronously. Then, as Node 20 to 24 do, a warning names the fd, and the
// first of the thread a DEP0137 DeprecationWarning; Node 26 throws
// ERR_INVALID_STATE from an immediate instead, uncaught, naming the fd and
// the path; a close(2) that fails is thrown so too (Node: a fatal error).
// What the registry holds must not reach the handle, or it would never be
// collected: the fd and the path alone. A method under way keeps its handle
// reachable (its async frame holds `this` until its finally has run, and the
// ring holds that frame's continuation), so no fd is closed under an
// operation on it; the streams made from a handle hold it too.
interface Collected {
  fd: number;
  path: string;
}

const gcThrows = Number(process.versions.node.split('.')[0]) >= 26;
let deprecationShown = false;

function closeCollected({ fd, path }: Collected): void {
  try {
    closeSync(fd);
  } catch (err) {
    // Node's words for it: `EBADF: Closing file descriptor 5 on garbage collection failed, close`.
    const e = err as Error & { code: string };
    e.message = `${e.code}: Closing file descriptor ${fd} on garbage collection failed, close`;
    setImmediate(() => {
      throw e;
    });
    return;
  }
  if (gcThrows) {
    const err = new Error(
      'A FileHandle object was closed during garbage collection. This used to be allowed with a deprecation warning but is now '
      + `considered an error. Please close FileHandle objects explicitly. File descriptor: ${fd} (${path})`,
    ) as Error & { code: string };
    err.code = 'ERR_INVALID_STATE';
    setImmediate(() => {
      throw err;
    });
    return;
  }
  setImmediate(() => {
    process.emitWarning(`Closing file descriptor ${fd} on garbage collection`);
    if (!deprecationShown) {
      deprecationShown = true;
      process.emitWarning(
        'Closing a FileHandle object on garbage collection is deprecated. Please close FileHandle objects explicitly using '
        + 'FileHandle.prototype.close(). In the future, an error will be thrown if a file descriptor is closed during garbage collection.',
        'DeprecationWarning', 'DEP0137',
      );
    }
  }).unref();
}

const collected = new FinalizationRegistry<Collected>(closeCollected);

/** What FileHandle.read resolves with. */
export interface FileReadResult<T extends ArrayBufferView> {
  /** How many bytes were read: fewer than asked near the end of the file, 0 at it. */
  bytesRead: number;
  /** The buffer read into (the one given, or the one read() made), filled from `offset`. */
  buffer: T;
}

/** What FileHandle.write resolves with. */
export interface FileWriteResult<T> {
  /** How many bytes the one write(2) wrote, which may be fewer than asked. */
  bytesWritten: number;
  /** The buffer or string given to write(). */
  buffer: T;
}

/** FileHandle.read's options object. */
export interface FileReadOptions<T extends ArrayBufferView = Buffer> {
  /** The buffer to read into; a new zero-filled 16 KiB Buffer by default. */
  buffer?: T;
  /** Where in `buffer` the bytes go; 0 by default. */
  offset?: number | null;
  /** How many bytes to read at most; the rest of `buffer` from `offset` by default. */
  length?: number | null;
  /**
   * Where in the file to read: null or -1 (the default) reads at the file
   * position and moves it; a number or bigint reads there and leaves it.
   * Differs from node:fs/promises: a bigint position is read at on Node 20
   * too (as Node 22 and later read), and one past 2^53-1 is refused with
   * ERR_OUT_OF_RANGE where Node takes up to 2^63-1.
   */
  position?: number | bigint | null;
}

/**
 * An open file, as node:fs/promises' FileHandle. One dropped unclosed has
 * its fd closed when it is collected, with Node's warnings (Node 20 to 24)
 * or its uncaught ERR_INVALID_STATE (Node 26): close it, or `await using`
 * it.
 * Differs from node:fs/promises: createReadStream and createWriteStream
 * read and write through node:fs on the fd.
 */
export class FileHandle extends EventEmitter {
  readonly #io: AsyncRing;
  #fd: number;
  #refs = 1;
  #closing: Promise<void> | null = null;
  #closeResolve: (() => void) | null = null;
  #closeReject: ((err: unknown) => void) | null = null;

  /** @internal a FileHandle of `fd`, opened on `io` from `path` (what Node 26 names when it is collected unclosed). */
  constructor(io: AsyncRing, fd: number, path: string) {
    super();
    this.#io = io;
    this.#fd = fd;
    collected.register(this, { fd, path }, this);
  }

  /** The file descriptor, -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  // Node's fsCall: a closed handle refuses; an open one counts the call, so
  // that close() waits for it.
  #ref(syscall: string): number {
    if (this.#fd === -1) throw closedError(syscall);
    this.#refs++;
    return this.#fd;
  }

  #unref(): void {
    if (--this.#refs === 0) {
      const fd = this.#fd;
      this.#fd = -1;
      collected.unregister(this);
      closeFd(this.#io, fd).then(this.#closeResolve, this.#closeReject);
    }
  }

  /**
   * Reads into a buffer: `read(buffer, offset?, length?, position?)`,
   * `read(buffer, { offset, length, position }?)` or
   * `read({ buffer, offset, length, position }?)` (a new 16 KiB Buffer by
   * default). `position` null or -1 (the default) reads at the file
   * position and moves it; a number or bigint reads there and doesn't.
   * Differs from Node 20 (as Node 22 and later): `read(buffer)` fills the
   * buffer, and a bigint position is read at.
   */
  async read<T extends ArrayBufferView = Buffer>(
    bufferOrOptions?: T | FileReadOptions<T> | null, offsetOrOptions?: number | FileReadOptions<T> | null, length?: number | null,
    position?: number | bigint | null,
  ): Promise<FileReadResult<T>> {
    const fd = this.#ref('read');
    try {
      let buffer = bufferOrOptions as ArrayBufferView;
      let offset = offsetOrOptions as unknown;
      if (!ArrayBuffer.isView(buffer)) {
        if (bufferOrOptions !== undefined) validateObject(bufferOrOptions, 'options', true);
        const o = (bufferOrOptions ?? {}) as FileReadOptions<ArrayBufferView>;
        buffer = o.buffer ?? Buffer.alloc(16384);
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
        validateBuffer(buffer);
      }
      if (offset !== null && typeof offset === 'object') {
        const o = offset as FileReadOptions;
        offset = o.offset ?? 0;
        length = o.length ?? buffer.byteLength - (offset as number);
        position = o.position ?? null;
      }
      if (offset == null) offset = 0;
      else validateInteger(offset, 'offset', 0);
      const off = offset as number;
      length ??= buffer.byteLength - off;
      if (position == null) position = -1;
      else validatePosition(position, 'position', length);
      if (length === 0) return { __proto__: null, bytesRead: 0, buffer } as never;
      if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
      validateOffsetLengthRead(off, length, buffer.byteLength);
      const view = new Uint8Array(buffer.buffer, buffer.byteOffset + off, length);
      const bytesRead = await readFd(this.#io, fd, view, ringPosition(position));
      return { __proto__: null, bytesRead, buffer } as never;
    } finally {
      this.#unref();
    }
  }

  /** Reads into `buffers` in turn (readv(2)); a `position` that is not a number means the file position. */
  async readv<T extends readonly ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{
    /** How many bytes were read, across all of `buffers`; 0 at the end of the file. */
    bytesRead: number;
    /** The buffers given, filled in turn. */
    buffers: T;
  }> {
    const fd = this.#ref('readv');
    try {
      validateBufferArray(buffers);
      const bytesRead = await readvFd(this.#io, fd, buffers, typeof position === 'number' ? ringPosition(position) : -1);
      return { __proto__: null, bytesRead, buffers } as never;
    } finally {
      this.#unref();
    }
  }

  /**
   * Writes `buffer` (from `offset`, `length` bytes, at `position`, or with
   * `{ offset, length, position }`), or a string (`write(string, position?,
   * encoding?)`). A `position` that is not a number (null, a bigint, as
   * Node) writes at the file position. One write(2): `bytesWritten` may be
   * short.
   */
  async write<T extends ArrayBufferView | string>(
    buffer: T, offsetOrOptions?: number | { offset?: number; length?: number; position?: number | null } | null,
    length?: number | BufferEncoding | null, position?: number | null,
  ): Promise<FileWriteResult<T>> {
    const fd = this.#ref('write');
    try {
      if ((buffer as ArrayBufferView | undefined)?.byteLength === 0) return { __proto__: null, bytesWritten: 0, buffer } as never;
      let offset = offsetOrOptions as unknown;
      if (ArrayBuffer.isView(buffer)) {
        if (typeof offset === 'object') {
          const o = (offset ?? {}) as { offset?: number; length?: number; position?: number | null };
          offset = o.offset ?? 0;
          length = o.length ?? buffer.byteLength - (offset as number);
          position = o.position ?? null;
        }
        if (offset == null) offset = 0;
        else validateInteger(offset, 'offset', 0);
        const off = offset as number;
        const len = typeof length === 'number' ? length : buffer.byteLength - off;
        validateOffsetLengthWrite(off, len, buffer.byteLength);
        const view = new Uint8Array(buffer.buffer, buffer.byteOffset + off, len);
        const bytesWritten = await writeFd(this.#io, fd, view, typeof position === 'number' ? ringPosition(position) : -1);
        return { __proto__: null, bytesWritten, buffer } as never;
      }
      validateStringAfterArrayBufferView(buffer, 'buffer');
      const encoding = (length ?? 'utf8') as BufferEncoding;
      validateEncoding(buffer, encoding);
      const bytes = Buffer.from(buffer, encoding);
      const bytesWritten = await writeFd(this.#io, fd, bytes, typeof offset === 'number' ? ringPosition(offset) : -1);
      return { __proto__: null, bytesWritten, buffer } as never;
    } finally {
      this.#unref();
    }
  }

  /** Writes `buffers` in turn (writev(2)); a `position` that is not a number means the file position. */
  async writev<T extends readonly ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{
    /** How many bytes the one writev(2) wrote, across all of `buffers`; may be fewer than they hold. */
    bytesWritten: number;
    /** The buffers given. */
    buffers: T;
  }> {
    const fd = this.#ref('writev');
    try {
      validateBufferArray(buffers);
      if (buffers.length === 0) return { __proto__: null, bytesWritten: 0, buffers } as never;
      const bytesWritten = await writevFd(this.#io, fd, buffers, typeof position === 'number' ? ringPosition(position) : -1);
      return { __proto__: null, bytesWritten, buffers } as never;
    } finally {
      this.#unref();
    }
  }

  /** fstat: the file's Stats (BigIntStats with `{ bigint: true }`). */
  stat(options?: { bigint?: false }): Promise<Stats>;
  stat(options: { bigint: true }): Promise<BigIntStats>;
  stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  async stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    const fd = this.#ref('fstat');
    try {
      return await fstatOf(this.#io, fd, options?.bigint === true);
    } finally {
      this.#unref();
    }
  }

  /** ftruncate(2) to `len` bytes (default 0; a negative one is 0). */
  async truncate(len = 0): Promise<void> {
    const fd = this.#ref('ftruncate');
    try {
      validateInteger(len, 'len');
      await ftruncateFd(this.#io, fd, Math.max(0, len));
    } finally {
      this.#unref();
    }
  }

  /** fsync(2). */
  async sync(): Promise<void> {
    const fd = this.#ref('fsync');
    try {
      await syncFd(this.#io, fd, false);
    } finally {
      this.#unref();
    }
  }

  /** fdatasync(2). */
  async datasync(): Promise<void> {
    const fd = this.#ref('fdatasync');
    try {
      await syncFd(this.#io, fd, true);
    } finally {
      this.#unref();
    }
  }

  /** The rest of the file from the file position, a Buffer, or a string given an encoding. */
  readFile(options?: { encoding?: null; flag?: string | number; signal?: AbortSignal } | null): Promise<Buffer>;
  readFile(options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding): Promise<string>;
  readFile(options?: { encoding?: BufferEncoding | null; flag?: string | number; signal?: AbortSignal } | BufferEncoding | null): Promise<string | Buffer>;
  async readFile(options?: unknown): Promise<string | Buffer> {
    const fd = this.#ref('readFile');
    try {
      return await readFileFd(this.#io, fd, getOptions(options, { flag: 'r' }));
    } finally {
      this.#unref();
    }
  }

  /** Writes all of `data` at the file position (which is the end on an O_APPEND file). */
  async writeFile(data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
    const fd = this.#ref('writeFile');
    try {
      const o = getOptions(options, WRITE_DEFAULTS);
      const bytes = writeData(data, o);
      await writeFileFd(this.#io, fd, bytes, o.signal, o.encoding as BufferEncoding);
    } finally {
      this.#unref();
    }
  }

  /** As writeFile: the handle's own flags decide whether it appends. */
  appendFile(data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
    return this.writeFile(data, options);
  }

  /** fchmod(2), through node:fs. */
  async chmod(mode: number | string): Promise<void> {
    const fd = this.#ref('fchmod');
    try {
      await fchmodP(fd, mode);
    } finally {
      this.#unref();
    }
  }

  /** fchown(2), through node:fs. */
  async chown(uid: number, gid: number): Promise<void> {
    const fd = this.#ref('fchown');
    try {
      await fchownP(fd, uid, gid);
    } finally {
      this.#unref();
    }
  }

  /** futimes, through node:fs. */
  async utimes(atime: number | string | Date, mtime: number | string | Date): Promise<void> {
    const fd = this.#ref('futimes');
    try {
      await futimesP(fd, atime, mtime);
    } finally {
      this.#unref();
    }
  }

  /** A node:fs ReadStream of the fd; with `autoClose` (the default) its end closes this handle. */
  createReadStream(options?: Parameters<typeof createReadStream>[1] & object): ReadStream {
    const autoClose = options?.autoClose ?? true;
    const s = createReadStream('', { ...options, fd: this.fd, autoClose: false });
    if (autoClose) s.once('close', () => void this.close());
    else holdHandle(s, this);
    return s;
  }

  /** A node:fs WriteStream of the fd; with `autoClose` (the default) its end closes this handle. */
  createWriteStream(options?: Parameters<typeof createWriteStream>[1] & object): WriteStream {
    const autoClose = options?.autoClose ?? true;
    const s = createWriteStream('', { ...options, fd: this.fd, autoClose: false });
    if (autoClose) s.once('close', () => void this.close());
    else holdHandle(s, this);
    return s;
  }

  /** The file's lines, through node:readline over createReadStream. */
  readLines(options?: Parameters<typeof createReadStream>[1] & object): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  /**
   * Closes the fd, once the methods under way have finished; `fd` is -1 at
   * once. A second call returns the same promise; on a closed handle it
   * resolves. Emits 'close'.
   */
  close = (): Promise<void> => {
    if (this.#fd === -1) return Promise.resolve();
    if (this.#closing !== null) return this.#closing;
    let p: Promise<void>;
    if (--this.#refs === 0) {
      const fd = this.#fd;
      this.#fd = -1;
      collected.unregister(this);
      p = closeFd(this.#io, fd);
    } else {
      p = new Promise<void>((resolve, reject) => {
        this.#closeResolve = resolve;
        this.#closeReject = reject;
      });
    }
    this.#closing = p.finally(() => {
      this.#closing = null;
      this.#closeResolve = null;
      this.#closeReject = null;
    });
    this.emit('close');
    return this.#closing;
  };

  /** close(), for `await using`. */
  async [asyncDispose](): Promise<void> {
    await this.close();
  }
}

// A stream of a handle's fd holds the handle, as Node's streams of a
// FileHandle do, so that the collector doesn't close the fd under it.
const kHandle = Symbol('FileHandle');
function holdHandle(stream: object, handle: FileHandle): void {
  Object.defineProperty(stream, kHandle, { value: handle });
}

const WRITE_DEFAULTS = { encoding: 'utf8' as BufferEncoding, mode: 0o666, flag: 'w', flush: false };

// Node's validateEncoding: hex data must have an even length.
function validateEncoding(data: string, encoding: string): void {
  if (Buffer.isEncoding(encoding) && encoding.toLowerCase() === 'hex' && data.length % 2 !== 0) {
    throw invalidArgValue('encoding', encoding, `is invalid for data of length ${data.length}`);
  }
}

