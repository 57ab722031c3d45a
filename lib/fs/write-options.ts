// What writeFile and appendFile take, read as node:fs/promises reads it
// (writeFile in lib/internal/fs/promises.js): a string becomes its bytes in
// the options' encoding before anything is opened; a view or an iterable
// goes as it is.

import { Buffer } from 'node:buffer';
import { isCustomIterable, type WriteData } from './file-data.ts';
import { parseFileMode } from './flags.ts';
import { NODE_MAJOR, validateAbortSignal, validateBoolean, validateStringAfterArrayBufferView } from './validate.ts';

/** writeFile's and appendFile's options. */
export interface WriteFileOptions {
  /** The encoding of string data (default 'utf8'). */
  encoding?: BufferEncoding | null;
  /** The mode of a file created (default 0o666). */
  mode?: number | string;
  /** The open flags (default 'w'; appendFile's 'a'). */
  flag?: string | number;
  /** fsync the file before closing it (default false). */
  flush?: boolean;
  /** Aborts between writes, with Node's AbortError. */
  signal?: AbortSignal;
}

/**
 * writeFile's flag (its default 'w' for nothing given), with flush and the
 * mode checked around it as node:fs/promises' writeFile reads them on this
 * Node line: the flag, then flush, up to Node 24; flush, the mode, then the
 * flag from Node 26. For the module's writeFile and FileHandle's alike.
 */
export function writeFlag(options: WriteFileOptions): string | number {
  if (NODE_MAJOR >= 26) {
    validateBoolean(options.flush ?? false, 'options.flush');
    parseFileMode(options.mode, 'mode', 0o666);
    return options.flag || 'w';
  }
  const flag = options.flag || 'w';
  validateBoolean(options.flush ?? false, 'options.flush');
  return flag;
}

/** `data` as what is written: bytes, or an iterable left to writeFileFd; checks the signal as Node does, after the data (and after writeFlag). */
export function writeData(data: WriteData, options: WriteFileOptions): ArrayBufferView | Iterable<unknown> | AsyncIterable<unknown> {
  let out: ArrayBufferView | Iterable<unknown> | AsyncIterable<unknown>;
  if (!ArrayBuffer.isView(data) && !isCustomIterable(data)) {
    validateStringAfterArrayBufferView(data, 'data');
    out = Buffer.from(data, options.encoding || 'utf8');
  } else {
    out = data as ArrayBufferView | Iterable<unknown> | AsyncIterable<unknown>;
  }
  validateAbortSignal(options.signal, 'options.signal');
  return out;
}
