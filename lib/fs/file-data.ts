// Whole-file reads and writes on an open fd, step for step as
// node:fs/promises does them (readFileHandle and writeFileHandle in
// lib/internal/fs/promises.js): fstat for the size of a regular file, then
// reads at the file position until that many bytes (a file that grows
// meanwhile is read up to the size fstat gave, as Node reads it), or, when
// the size is unknown (0, as /proc files say, or not a regular file), in
// 64 KiB chunks until a read returns 0; writes of at most 512 KiB each,
// again at the file position, until all is written. The signal is looked
// at between steps, as Node looks.

import { Buffer } from 'node:buffer';
import type { AsyncRing } from '../async/async-ring.ts';
import { argError, checkAborted } from './errors.ts';
import { fstatModeSize, isRegular, readFd, writeFd } from './ops.ts';
import { bytesOf } from '../ring/memory.ts';
import { NODE_MAJOR } from './validate.ts';

/** Node's kReadFileBufferLength: the largest read of a file whose size is known. */
export const READ_CHUNK = 512 * 1024;
/** Node's kReadFileUnknownBufferLength: the read size of a file whose size is not. */
export const UNKNOWN_CHUNK = 64 * 1024;
/** Node's kWriteFileMaxChunkSize. */
export const WRITE_CHUNK = 512 * 1024;
/** Node's kIoMaxLength: 2^31-1, the largest file readFile reads. */
const IO_MAX = 2 ** 31 - 1;

/** What readFile's options hold once read (Node's getOptions). */
export interface ReadFileOptions {
  encoding?: BufferEncoding | 'buffer' | null;
  flag?: string | number;
  signal?: AbortSignal;
}

// Node 26's readFile(path) opens, fstats and makes its first read in one
// job of the thread pool (readFileInOneRoundTrip in
// lib/internal/fs/promises.js), whose errors name the path; earlier Nodes'
// don't.
const FIRST_READ_NAMES_PATH = NODE_MAJOR >= 26;

/**
 * The rest of the file at `fd` from its position, as readFile resolves it.
 * `path`: the path readFile(path) opened, which Node 26's errors of the
 * fstat and the first read name.
 */
export async function readFileFd(io: AsyncRing, fd: number, options: ReadFileOptions, path?: string): Promise<Buffer | string> {
  const data = await readData(io, fd, options, path);
  // getOptions lets 'buffer' through (readdir takes it); readFile's decoding
  // doesn't, so Node rejects it once the file is read: toString throws
  // Node's own ERR_UNKNOWN_ENCODING.
  if (options.encoding === 'buffer') data.toString('buffer' as BufferEncoding);
  return data;
}

async function readData(io: AsyncRing, fd: number, options: ReadFileOptions, path?: string): Promise<Buffer | string> {
  const shown = FIRST_READ_NAMES_PATH ? path : undefined;
  const signal = options.signal;
  const encoding = options.encoding === 'buffer' ? undefined : options.encoding ?? undefined;
  checkAborted(signal);
  const st = await fstatModeSize(io, fd, 'fstat', shown);
  checkAborted(signal);
  let size = 0;
  let length = 0;
  if (isRegular(st.mode)) {
    size = st.size;
    length = encoding ? Math.min(size, READ_CHUNK) : size;
  }
  if (length === 0) length = UNKNOWN_CHUNK;
  if (size > IO_MAX) throw argError('range', 'ERR_FS_FILE_TOO_LARGE', `File size (${size}) is greater than 2 GiB`);

  const noSize = size === 0;
  const chunked = length > READ_CHUNK;
  let buffer = Buffer.allocUnsafeSlow(length);
  let totalRead = 0;
  let offset = 0;
  // Chunks read before the last: with an encoding, or with no size known
  // (Node decodes as it goes; decoding them joined at the end is the same text).
  let chunks: Buffer[] | null = null;
  while (true) {
    checkAborted(signal);
    if (chunked) length = Math.min(size - totalRead, READ_CHUNK);
    const bytesRead = await readFd(io, fd, buffer.subarray(offset, offset + length), -1, 'read', totalRead === 0 ? shown : undefined);
    totalRead += bytesRead;
    if (bytesRead === 0 || totalRead === size || (bytesRead !== buffer.length && !chunked && !noSize)) {
      const last = buffer.subarray(0, chunked ? totalRead : bytesRead);
      if (chunks === null) return encoding ? last.toString(encoding) : last;
      chunks.push(last);
      const all = Buffer.concat(chunks, chunks.reduce((n, c) => n + c.length, 0));
      return encoding ? all.toString(encoding) : all;
    }
    if (noSize && !encoding) {
      (chunks ??= []).push(buffer.subarray(0, bytesRead));
      buffer = Buffer.allocUnsafeSlow(UNKNOWN_CHUNK);
    } else if (encoding) {
      (chunks ??= []).push(Buffer.from(buffer.subarray(0, bytesRead))); // the buffer is read into again
    } else {
      offset = totalRead;
    }
  }
}

/** Data as writeFile takes it. */
export type WriteData = string | ArrayBufferView | Iterable<string | ArrayBufferView> | AsyncIterable<string | ArrayBufferView>;

/** Node's isCustomIterable: an iterable that is neither a view nor a string. */
export function isCustomIterable(obj: unknown): obj is Iterable<unknown> | AsyncIterable<unknown> {
  return obj != null && typeof obj === 'object' && !ArrayBuffer.isView(obj)
    && (typeof (obj as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (obj as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function');
}

/** Writes `data` (a view, or an iterable of strings and views) to `fd` at its position, all of it. */
export async function writeFileFd(io: AsyncRing, fd: number, data: ArrayBufferView | Iterable<unknown> | AsyncIterable<unknown>, signal: AbortSignal | undefined, encoding: BufferEncoding | null | undefined): Promise<void> {
  checkAborted(signal);
  if (isCustomIterable(data)) {
    for await (const chunk of data as AsyncIterable<unknown>) {
      checkAborted(signal);
      const bytes = ArrayBuffer.isView(chunk) ? chunk : Buffer.from(chunk as string, encoding || 'utf8');
      await writeAll(io, fd, bytesOf(bytes, 'data'), signal);
    }
    return;
  }
  await writeAll(io, fd, writeFileBytes(data as ArrayBufferView), signal);
}

/**
 * The bytes writeFile writes of a view: node:fs/promises' writeFileHandle
 * takes them as `new Uint8Array(data.buffer, data.byteOffset,
 * data.byteLength)`, through the view's properties, so a view whose
 * properties lie throws its RangeError there, or has the range they name
 * written. Whatever they say, the engine checks the range against the
 * ArrayBuffer it names: the result is a true view.
 */
export function writeFileBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function writeAll(io: AsyncRing, fd: number, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    checkAborted(signal);
    done += await writeFd(io, fd, bytes.subarray(done, done + Math.min(WRITE_CHUNK, bytes.length - done)), -1);
  }
}
