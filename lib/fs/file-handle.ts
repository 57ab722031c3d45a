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
import { AsyncResource } from 'node:async_hooks';
import { ReadableStream, type ReadableByteStreamController, type ReadableStreamDefaultController } from 'node:stream/web';
import { promisify } from 'node:util';
import type { AsyncRing } from '../async/async-ring.ts';
import { closedError, invalidArgType, invalidArgValue, invalidState, methodNotImplemented } from './errors.ts';
import { validateInteger } from './flags.ts';
import { closeFd, fstatOf, ftruncateFd, readFdFailed, readvFd, syncFd, writeFd, writevFd } from './ops.ts';
import { readFileFd, writeFileFd, type WriteData } from './file-data.ts';
import type { BigIntStats, Stats } from './stats.ts';
import {
  NODE_MAJOR, getOptions, validateBoolean, validateBuffer, validateBufferArray, validateObject, validateOffsetLengthRead,
  validateOffsetLengthWrite, validatePosition, validateStringAfterArrayBufferView, ringPosition,
} from './validate.ts';
import { writeData, writeFlag, type WriteFileOptions } from './write-options.ts';
import { byteLengthOf, bytesOf } from '../ring/memory.ts';

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
// operation on it; the streams made from a handle hold it too (their fs
// calls are its methods).
interface Collected {
  fd: number;
  path: string;
}

const gcThrows = NODE_MAJOR >= 26;
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

// What read, readv, write and writev resolve with: an object with no
// prototype, as Node's. Made with Object.create(null): the literal
// `{ __proto__: null, ... }` took 120-180 ns an object on Node 20 against
// 53 ns, 5% of a FileHandle.read in the randread profile.
function result(countName: string, count: number, bufName: string, buf: unknown): object {
  const r = Object.create(null) as Record<string, unknown>;
  r[countName] = count;
  r[bufName] = buf;
  return r;
}

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
 */
export class FileHandle extends EventEmitter {
  readonly #io: AsyncRing;
  #fd: number;
  #refs = 1;
  #closing: Promise<void> | null = null;
  #closeResolve: (() => void) | null = null;
  #closeReject: ((err: unknown) => void) | null = null;
  #locked = false;
  #asyncResource: AsyncResource | null = null;

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
      // Closed already: a stream made as close() took the fd ends after it,
      // and there is nothing left to close (Node's native handle, closed,
      // doesn't close again).
      if (fd === -1) return;
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
      if (length === 0) return result('bytesRead', 0, 'buffer', buffer) as never;
      if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
      validateOffsetLengthRead(off, length, buffer.byteLength);
      // The view's own memory (its slots, not what its properties say), as
      // Node's binding reads into: the caller's view itself when the read
      // fills all of it (the ring has its address from the last read), or
      // the part of it that is read into.
      const view = off === 0 && length === byteLengthOf(buffer) ? buffer : bytesOf(buffer, 'buffer').subarray(off, off + length);
      const pos = ringPosition(position);
      let bytesRead: number;
      try {
        bytesRead = await this.#io.read(fd, view, pos);
      } catch (err) {
        bytesRead = await readFdFailed(err, this.#io, fd, view, pos);
      }
      return result('bytesRead', bytesRead, 'buffer', buffer) as never;
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
      return result('bytesRead', bytesRead, 'buffers', buffers) as never;
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
      if ((buffer as ArrayBufferView | undefined)?.byteLength === 0) return result('bytesWritten', 0, 'buffer', buffer) as never;
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
        // As read: the caller's view itself when all of it is written.
        const view = off === 0 && len === byteLengthOf(buffer) ? buffer : bytesOf(buffer, 'buffer').subarray(off, off + len);
        const bytesWritten = await writeFd(this.#io, fd, view, typeof position === 'number' ? ringPosition(position) : -1);
        return result('bytesWritten', bytesWritten, 'buffer', buffer) as never;
      }
      validateStringAfterArrayBufferView(buffer, 'buffer');
      const encoding = (length ?? 'utf8') as BufferEncoding;
      validateEncoding(buffer, encoding);
      // Node's binding writes a string in UTF-8 when it doesn't know the encoding (ParseEncoding).
      const bytes = Buffer.from(buffer, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
      const bytesWritten = await writeFd(this.#io, fd, bytes, typeof offset === 'number' ? ringPosition(offset) : -1);
      return result('bytesWritten', bytesWritten, 'buffer', buffer) as never;
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
      if (buffers.length === 0) return result('bytesWritten', 0, 'buffers', buffers) as never;
      const bytesWritten = await writevFd(this.#io, fd, buffers, typeof position === 'number' ? ringPosition(position) : -1);
      return result('bytesWritten', bytesWritten, 'buffers', buffers) as never;
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
      // as stat(): Node 26 checks for an object, Node 20 to 24 read `options.bigint` (of null: a TypeError)
      if (NODE_MAJOR >= 26 && options !== undefined) validateObject(options, 'options');
      return await fstatOf(this.#io, fd, (options === undefined ? undefined : options.bigint) === true);
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
      writeFlag(o); // read and checked as Node's writeFile does (the flag has no use here)
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

  /**
   * A node:fs ReadStream reading through this handle (on the ring), as
   * Node's: the stream holds the handle, ends when it closes, and, with
   * `autoClose` (the default), closes it at its end; destroying the stream
   * closes the handle whatever `autoClose` says.
   */
  createReadStream(options?: Parameters<typeof createReadStream>[1] & object): ReadStream {
    return this.#stream(createReadStream('', this.#streamOptions(options)));
  }

  /** A node:fs WriteStream writing through this handle (on the ring), as createReadStream. */
  createWriteStream(options?: Parameters<typeof createWriteStream>[1] & object): WriteStream {
    return this.#stream(createWriteStream('', this.#streamOptions(options)));
  }

  // Node's streams of a FileHandle (importFd and FileHandleOperations in
  // lib/internal/fs/streams.js): their fs calls are the handle's methods,
  // the stream counts as a call under way until it closes the handle, and
  // the handle's close ends the stream.
  #streamOptions<T extends object>(options: T | undefined): T & { fd: number; fs: object } {
    if ((options as { fs?: unknown } | undefined)?.fs) throw methodNotImplemented('FileHandle with fs');
    const fs = {
      open: (): never => {
        throw methodNotImplemented('open()');
      },
      close: (_fd: number, cb: (err?: unknown) => void): void => {
        this.#unref();
        this.close().then(() => cb(), cb);
      },
      fsync: (_fd: number, cb: (err?: unknown) => void): void => {
        this.sync().then(() => cb(), cb);
      },
      read: (_fd: number, buf: Uint8Array, offset: number, length: number, pos: number | null, cb: (err: unknown, n: number, buf: Uint8Array) => void): void => {
        this.read<Uint8Array>(buf, offset, length, pos).then((r) => cb(null, r.bytesRead, r.buffer), (err) => cb(err, 0, buf));
      },
      write: (_fd: number, buf: Uint8Array, offset: number, length: number, pos: number | null, cb: (err: unknown, n: number, buf: Uint8Array) => void): void => {
        this.write(buf, offset, length, pos).then((r) => cb(null, r.bytesWritten, r.buffer), (err) => cb(err, 0, buf));
      },
      writev: (_fd: number, buffers: ArrayBufferView[], pos: number | null, cb: (err: unknown, n: number, bufs: readonly ArrayBufferView[]) => void): void => {
        this.writev(buffers, pos).then((r) => cb(null, r.bytesWritten, r.buffers), (err) => cb(err, 0, buffers));
      },
    };
    return { ...options as T, fd: this.fd, fs };
  }

  #stream<S extends ReadStream | WriteStream>(stream: S): S {
    this.#refs++;
    this.on('close', () => stream.close());
    return stream;
  }

  /**
   * The file from its file position as a web ReadableStream, as Node's
   * readableWebStream: a byte stream (BYOB readers too) of reads on the
   * ring, 16 KiB at a time. A handle gives one stream in its life; close()
   * waits for the stream's end and ends it. Node 22 and later: `autoClose`
   * closes the handle at the end; a `type` other than 'bytes' warns and
   * makes a byte stream all the same. Node 20: without `type: 'bytes'`, a
   * stream of ArrayBuffers of up to 64 KiB (no BYOB reader), as Node 20's.
   * Differs from Node 20 and 22: a BYOB reader's view is read into from its
   * own start, as Node 24 reads (they read at its byteOffset within it).
   */
  readableWebStream(options: { type?: 'bytes'; autoClose?: boolean } = {}): ReadableStream {
    if (this.#fd === -1) throw invalidState('The FileHandle is closed');
    if (this.#closing !== null) throw invalidState('The FileHandle is closing');
    if (this.#locked) throw invalidState('The FileHandle is locked');
    this.#locked = true;
    let bytes = true;
    let autoClose = false;
    if (NODE_MAJOR < 22) {
      if (options.type !== undefined && typeof options.type !== 'string') throw invalidArgType('options.type', 'of type string', options.type);
      bytes = options.type === 'bytes';
    } else {
      validateObject(options, 'options');
      const { type = 'bytes', autoClose: close = false } = options;
      validateBoolean(close, 'options.autoClose');
      if (type !== 'bytes') process.emitWarning('A non-"bytes" options.type has no effect. A byte-oriented steam is always created.', 'ExperimentalWarning');
      autoClose = close;
    }
    let done = false;
    const ondone = async (): Promise<void> => {
      if (done) return;
      done = true;
      this.#unref();
      if (autoClose) await this.close();
    };
    let controller!: ReadableByteStreamController | ReadableStreamDefaultController<ArrayBuffer>;
    // The reads go into memory of the stream's own and are copied out: a
    // buffer the ring has read into can't be transferred (its address is
    // kept: lib/ring/memory.ts), and the stream transfers the views it fills.
    let scratch = new Uint8Array(bytes ? 16384 : 65536);
    const readable = bytes
      ? new ReadableStream({
        type: 'bytes',
        autoAllocateChunkSize: 16384,
        start: (c: ReadableByteStreamController) => {
          controller = c;
        },
        pull: async (c: ReadableByteStreamController) => {
          const view = c.byobRequest!.view!;
          if (scratch.byteLength < view.byteLength) scratch = new Uint8Array(view.byteLength);
          const { bytesRead } = await this.read(scratch, 0, view.byteLength);
          if (done) return; // ended by close() while this read ran
          if (bytesRead === 0) {
            c.close();
            await ondone();
          } else new Uint8Array(view.buffer, view.byteOffset, bytesRead).set(scratch.subarray(0, bytesRead));
          c.byobRequest!.respond(bytesRead);
        },
        cancel: ondone,
      })
      : new ReadableStream<ArrayBuffer>({
        start: (c) => {
          controller = c;
        },
        pull: async (c) => {
          const { bytesRead } = await this.read(scratch, 0, 65536);
          if (done) return;
          if (bytesRead === 0) {
            c.close();
            await ondone();
          } else c.enqueue(scratch.buffer.slice(0, bytesRead) as ArrayBuffer);
        },
        cancel: ondone,
      });
    this.#refs++;
    // Node cancels the stream when the handle closes; a stream a reader
    // holds can't be cancelled from outside, so it is closed instead (reads
    // waiting resolve as done).
    this.once('close', () => {
      if (done) return;
      try {
        controller.close();
        (controller as ReadableByteStreamController).byobRequest?.respond(0);
      } catch {
        // already closed or errored: nothing is waiting on it
      }
      void ondone();
    });
    return readable;
  }

  /**
   * An async id of this handle, as Node's getAsyncId (type 'FILEHANDLE').
   * Differs from node:fs/promises: made at the first call, not at open.
   */
  getAsyncId(): number {
    return (this.#asyncResource ??= new AsyncResource('FILEHANDLE')).asyncId();
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

const WRITE_DEFAULTS = { encoding: 'utf8' as BufferEncoding, mode: 0o666, flag: 'w', flush: false };

// Node's validateEncoding: hex data must have an even length.
function validateEncoding(data: string, encoding: string): void {
  // Node's normalizeEncoding reads the length of anything but null,
  // undefined, 'utf8' and 'utf-8' (a revoked Proxy throws there).
  if (encoding != null && encoding !== 'utf8' && encoding !== 'utf-8') void (encoding as { length?: unknown }).length;
  if (Buffer.isEncoding(encoding) && encoding.toLowerCase() === 'hex' && data.length % 2 !== 0) {
    throw invalidArgValue('encoding', encoding, `is invalid for data of length ${data.length}`);
  }
}

