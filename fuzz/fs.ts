// The fuzzer's tsuring/fs phase: every function of tsuring/fs and every
// method of its FileHandle, called with hostile and valid arguments, each
// call made twice, on node:fs/promises in one twin directory and on
// tsuring/fs in the other (the arguments drawn twice from the same seed, so
// each side gets its own equal copy). The contract: tsuring/fs never
// throws where node:fs/promises rejects, never hangs where it settles,
// writes no byte outside a buffer, and where node:fs/promises refuses an
// argument (TypeError, RangeError, an ERR_* code, ABORT_ERR) tsuring/fs
// refuses it the same way: same class, same code, same message (the twin's
// directory name aside).
//
// Nothing outside the iteration's directory can be touched: every path
// drawn is absolute under the side's twin (or no path at all: a number, an
// object, a URL of another scheme), no name holds '..', a URL-like object
// names a path under the twin, and a symlink's target is a name under it.

import { Buffer } from 'node:buffer';
import { constants, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { AsyncRing } from '../lib/async/async-ring.ts';
import * as ringFs from '../lib/fs/index.ts';
import { anything, FuzzSentinel, hostileArray, hostileNumber, lyingView, type Memory, Rng } from './values.ts';

/** What the child gives the phase. */
export interface FsEnv {
  rng: Rng;
  mem: Memory;
  dir: string;
  progress(what: string): void;
  /** A failure after which the phase goes on (reported once per target). */
  soft(kind: string, target: string, desc: string, msg: string): void;
  /** A failure that ends the iteration. */
  hard(kind: string, target: string, desc: string, msg: string): never;
  show(v: unknown): string;
  gc(): void;
}

type Api = Record<string, unknown>;
type Args = (r: Rng, b: string, e: FsEnv) => unknown[];

const nodeMajor = Number(process.versions.node.split('.')[0]);
const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_DIRECTORY, O_NOFOLLOW, COPYFILE_EXCL, COPYFILE_FICLONE, F_OK, R_OK, W_OK, X_OK } = constants;

// ---------------------------------------------------------------- values

// Names under a twin: files, directories, symlinks, and what isn't there.
// None holds '..'.
const NAMES = ['f', 'd', 'd/a', 'e', 'l', 'dl', 'big', 'missing', 'n', 'd/n', 'f/x', '', 'e/n', 'm'];

function populate(b: string): void {
  mkdirSync(b);
  writeFileSync(`${b}/f`, 'hello, world\n');
  mkdirSync(`${b}/d`);
  writeFileSync(`${b}/d/a`, 'in d');
  mkdirSync(`${b}/e`);
  symlinkSync('f', `${b}/l`);
  symlinkSync('nope', `${b}/dl`);
  writeFileSync(`${b}/big`, Buffer.alloc(600 * 1024, 'abcdefghijklmnopqrstuvwxyz\n'));
}

function guarded(e: FsEnv, r: Rng, bytes: Uint8Array, what: string): Uint8Array {
  const v = e.mem.alloc(bytes.byteLength, what, r.chance(0.2) ? 'shared' : 'plain');
  v.set(bytes);
  return v;
}

function path(r: Rng, b: string, e: FsEnv): unknown {
  if (r.chance(0.85)) {
    const name = r.pick(NAMES);
    const s = name === '' ? b : `${b}/${name}`;
    switch (r.int(5)) {
      case 0: return guarded(e, r, Buffer.from(s), 'path');
      case 1: return pathToFileURL(s);
      default: return s;
    }
  }
  switch (r.int(12)) {
    case 0: return `${b}/a\0b`;
    case 1: return guarded(e, r, Buffer.from(`${b}/f\0`), 'path');
    case 2: return new Proxy(guarded(e, r, Buffer.from(`${b}/f`), 'path'), {});
    case 3: return lyingView(r, guarded(e, r, Buffer.from(`${b}/f`), 'path'), e.mem);
    case 4: return new URL('http://example.invalid/f');
    case 5: return new URL(`file://host${b}/f`);
    case 6: return new URL(`file://${b}/a%2Fb`);
    // A URL-like object, as Node's isURL takes one: its pathname is what is opened.
    case 7: return { href: `file://${b}/f`, protocol: 'file:', hostname: '', pathname: `${b}/f` };
    case 8: return e.mem.alloc(8, 'path', 'resizable', 0x61);
    case 9: return hostileNumber(r);
    default: return anything(r);
  }
}

// A symlink's target: a name under the link's own twin (relative or absolute).
function target(r: Rng, b: string, e: FsEnv): unknown {
  if (r.chance(0.85)) {
    const name = r.pick(NAMES.filter((n) => n !== ''));
    return r.chance(0.7) ? name : `${b}/${name}`;
  }
  return r.chance(0.5) ? hostileNumber(r) : anything(r);
}

function hostile(r: Rng): unknown {
  return r.chance(0.7) ? hostileNumber(r) : anything(r);
}

function flags(r: Rng): unknown {
  if (r.chance(0.6)) return r.pick(['r', 'r+', 'w', 'wx', 'w+', 'a', 'ax', 'a+', 'as', 'as+', 'rs+', 'xw', 'sa+']);
  if (r.chance(0.6)) return r.pick([O_RDONLY, O_RDWR | O_CREAT, O_WRONLY | O_TRUNC | O_CREAT, O_RDWR | O_APPEND, O_RDONLY | O_DIRECTORY, O_RDONLY | O_NOFOLLOW, O_WRONLY | O_CREAT | O_EXCL]);
  return r.chance(0.5) ? r.pick(['bogus', '', 'R', 'rw', ' r']) : hostile(r);
}

function mode(r: Rng): unknown {
  return r.chance(0.7) ? r.pick([0o644, 0o600, 0o777, 0o755, '755', '0o644', 0]) : r.pick<unknown>(['8', 'x', -1, 2 ** 32, 1.5, 0o7777 + 1, hostile(r)]);
}

function len(r: Rng): unknown {
  return r.chance(0.7) ? r.pick([0, 1, 5, 13, 100, 4096, -1]) : hostile(r);
}

function position(r: Rng): unknown {
  return r.chance(0.7) ? r.pick<unknown>([null, undefined, -1, 0, 3, 100, 2n, -1n, 1 << 20]) : hostile(r);
}

function encoding(r: Rng): unknown {
  return r.chance(0.8) ? r.pick<unknown>(['utf8', 'latin1', 'hex', 'base64', 'ucs2', 'ascii', 'buffer', null, undefined]) : r.pick<unknown>(['bogus', 'UTF-9', 5, {}, hostile(r)]);
}

// A signal whose state is fixed when the call is made (no timers: both
// sides must see the same).
function signal(r: Rng): unknown {
  switch (r.int(6)) {
    case 0: return AbortSignal.abort();
    case 1: return AbortSignal.abort(new FuzzSentinel('reason'));
    case 2: return new AbortController().signal;
    case 3: return r.pick<unknown>([{}, { aborted: true }, 'x', 1, null]);
    default: return undefined;
  }
}

function readBuf(r: Rng, e: FsEnv): unknown {
  const n = r.pick([1, 4, 16, 64, 4096, 65536]);
  switch (r.int(10)) {
    case 0: return lyingView(r, e.mem.alloc(n, 'buffer'), e.mem);
    case 1: return e.mem.alloc(n, 'buffer', 'resizable');
    case 2: return e.mem.alloc(n, 'buffer', 'growable');
    case 3: { const v = e.mem.alloc(n, 'buffer'); return new DataView(v.buffer, v.byteOffset, v.byteLength); }
    case 4: return e.mem.alloc(0, 'buffer');
    case 5: return hostile(r);
    default: return e.mem.alloc(n, 'buffer', r.chance(0.2) ? 'shared' : 'plain');
  }
}

function data(r: Rng, e: FsEnv): unknown {
  switch (r.int(12)) {
    case 0: return 'written\n';
    case 1: return 'x'.repeat(r.pick([0, 1, 100, 70_000]));
    case 2: return guarded(e, r, Buffer.from('bytes\n'), 'data');
    case 3: return new Uint16Array([0x6968, 0x0a21]);
    case 4: return ['a', 'b\n', Buffer.from('c')];
    case 5: return (function* () { yield 'gen'; yield '\n'; })();
    case 6: return (async function* () { yield 'async'; yield Buffer.from('\n'); })();
    case 7: return lyingView(r, guarded(e, r, Buffer.from('lying data'), 'data'), e.mem);
    case 8: return e.mem.alloc(16, 'data', 'resizable', 0x62);
    case 9: return hostileArray(r, ['a', 'b'], () => 'c');
    default: return hostile(r);
  }
}

function maybe(r: Rng, o: Record<string, () => unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (r.chance(0.35)) out[k] = v();
  return out;
}

function options(r: Rng, o: Record<string, () => unknown>, alone?: () => unknown): unknown {
  switch (r.int(10)) {
    case 0: return undefined;
    case 1: return alone ? alone() : null;
    case 2: return hostile(r);
    case 3: return Object.defineProperty({}, r.pick(Object.keys(o)), { enumerable: true, get() { throw new FuzzSentinel('options getter'); } });
    default: return maybe(r, o);
  }
}

const bool = (r: Rng) => (): unknown => (r.chance(0.8) ? r.chance(0.5) : hostile(r));
const readFileOptions = (r: Rng) => options(r, { encoding: () => encoding(r), flag: () => flags(r), signal: () => signal(r) }, () => encoding(r));
const writeFileOptions = (r: Rng) => options(r, { encoding: () => encoding(r), flag: () => flags(r), mode: () => mode(r), signal: () => signal(r), flush: bool(r) }, () => encoding(r));
const time = (r: Rng): unknown => (r.chance(0.8) ? r.pick<unknown>([0, 1e9, 1.5e9, new Date(0), '1000', -1]) : hostile(r));
const id = (r: Rng): unknown => (r.chance(0.8) ? r.pick([-1, 0, 1000]) : hostile(r));

// ---------------------------------------------------------------- targets

// The arguments of each function of tsuring/fs. One tsuring/fs lacks here
// is still fuzzed, with anything (see fsTargets).
const FUNCTIONS: Record<string, Args> = {
  open: (r, b, e) => [path(r, b, e), flags(r), mode(r)],
  stat: (r, b, e) => [path(r, b, e), options(r, { bigint: bool(r), throwIfNoEntry: bool(r) })],
  lstat: (r, b, e) => [path(r, b, e), options(r, { bigint: bool(r) })],
  unlink: (r, b, e) => [path(r, b, e)],
  rmdir: (r, b, e) => [path(r, b, e), options(r, { maxRetries: () => len(r), retryDelay: () => len(r) })],
  mkdir: (r, b, e) => [path(r, b, e), options(r, { recursive: bool(r), mode: () => mode(r) }, () => mode(r))],
  rename: (r, b, e) => [path(r, b, e), path(r, b, e)],
  link: (r, b, e) => [path(r, b, e), path(r, b, e)],
  symlink: (r, b, e) => [target(r, b, e), path(r, b, e), r.chance(0.8) ? r.pick([undefined, null, 'file', 'dir', 'junction']) : hostile(r)],
  truncate: (r, b, e) => [path(r, b, e), len(r)],
  readFile: (r, b, e) => [path(r, b, e), readFileOptions(r)],
  writeFile: (r, b, e) => [path(r, b, e), data(r, e), writeFileOptions(r)],
  appendFile: (r, b, e) => [path(r, b, e), data(r, e), writeFileOptions(r)],
  copyFile: (r, b, e) => [path(r, b, e), path(r, b, e), r.chance(0.8) ? r.pick([undefined, 0, COPYFILE_EXCL, COPYFILE_FICLONE, 7]) : hostile(r)],
  access: (r, b, e) => [path(r, b, e), r.chance(0.8) ? r.pick([undefined, F_OK, R_OK, W_OK | X_OK, 8]) : hostile(r)],
  cp: (r, b, e) => [path(r, b, e), path(r, b, e), options(r, { recursive: bool(r), force: bool(r), errorOnExist: bool(r), dereference: bool(r) })],
  opendir: (r, b, e) => [path(r, b, e), options(r, { encoding: () => encoding(r), bufferSize: () => len(r) })],
  rm: (r, b, e) => [path(r, b, e), options(r, { recursive: bool(r), force: bool(r), maxRetries: () => len(r) })],
  readdir: (r, b, e) => [path(r, b, e), options(r, { encoding: () => encoding(r), withFileTypes: bool(r), recursive: bool(r) }, () => encoding(r))],
  readlink: (r, b, e) => [path(r, b, e), options(r, { encoding: () => encoding(r) }, () => encoding(r))],
  statfs: (r, b, e) => [path(r, b, e), options(r, { bigint: bool(r) })],
  chmod: (r, b, e) => [path(r, b, e), mode(r)],
  lchmod: (r, b, e) => [path(r, b, e), mode(r)],
  chown: (r, b, e) => [path(r, b, e), id(r), id(r)],
  lchown: (r, b, e) => [path(r, b, e), id(r), id(r)],
  utimes: (r, b, e) => [path(r, b, e), time(r), time(r)],
  lutimes: (r, b, e) => [path(r, b, e), time(r), time(r)],
  realpath: (r, b, e) => [path(r, b, e), options(r, { encoding: () => encoding(r) }, () => encoding(r))],
  mkdtemp: (r, b, e) => [r.chance(0.8) ? `${b}/${r.pick(['t-', 'd/t', 'missing/t', ''])}` : path(r, b, e), options(r, { encoding: () => encoding(r) }, () => encoding(r))],
  mkdtempDisposable: (r, b, e) => [r.chance(0.8) ? `${b}/${r.pick(['t-', 'd/t', 'missing/t'])}` : path(r, b, e), options(r, { encoding: () => encoding(r) }, () => encoding(r))],
  // watch and glob are async generators: the arguments are checked at the
  // first next(); watch is given an aborted signal, so that next() ends.
  watch: (r, b, e) => [path(r, b, e), r.chance(0.8) ? { signal: AbortSignal.abort(), ...maybe(r, { persistent: bool(r), recursive: bool(r), encoding: () => encoding(r) }) } : hostile(r)],
  glob: (r, b) => [r.chance(0.8) ? r.pick(['*', '**', 'd/*', '{f,e}', '*.x', ['f', 'd/*']]) : hostile(r), r.chance(0.8) ? { cwd: b, ...maybe(r, { withFileTypes: bool(r), exclude: () => (r.chance(0.5) ? ['d'] : hostile(r)) }) } : hostile(r)],
};

function readArgs(r: Rng, e: FsEnv): unknown[] {
  const buf = readBuf(r, e);
  switch (r.int(5)) {
    case 0: return [];
    case 1: return [buf, options(r, { offset: () => len(r), length: () => len(r), position: () => position(r) })];
    case 2: return [options(r, { buffer: () => readBuf(r, e), offset: () => len(r), length: () => len(r), position: () => position(r) })];
    default: return [buf, len(r), len(r), position(r)];
  }
}

function writeArgs(r: Rng, e: FsEnv): unknown[] {
  if (r.chance(0.3)) return [r.chance(0.8) ? r.pick(['text', 'ab', '', 'é']) : hostile(r), position(r), encoding(r)];
  const buf = r.chance(0.8) ? guarded(e, r, Buffer.from('0123456789'), 'write buffer') : readBuf(r, e);
  if (r.chance(0.3)) return [buf, options(r, { offset: () => len(r), length: () => len(r), position: () => position(r) })];
  return [buf, len(r), len(r), position(r)];
}

// No array that changes under the reader: node:fs/promises' readv and
// writev abort the process on one (the AsyncRing phase fuzzes the ring's).
function buffers(r: Rng, e: FsEnv): unknown {
  const items = Array.from({ length: r.range(0, 3) }, () => (r.chance(0.8) ? e.mem.alloc(r.pick([1, 8, 64]), 'iov') : readBuf(r, e)));
  return r.chance(0.85) ? items : hostile(r);
}

// readableWebStream on Node 20 without `type: 'bytes'` is a stream Node
// aborts the process for if its handle closes first (src/node_file.cc):
// there the fuzzer asks for bytes, or passes a type that is refused.
function webStreamOptions(r: Rng): unknown {
  if (nodeMajor < 22) return { type: r.chance(0.8) ? 'bytes' : r.pick<unknown>([5, {}, Symbol('t')]) };
  return options(r, { type: () => (r.chance(0.8) ? 'bytes' : r.pick<unknown>(['x', 5])), autoClose: bool(r) });
}

const streamOptions = (r: Rng): unknown => options(r, {
  start: () => len(r), end: () => len(r), encoding: () => encoding(r), highWaterMark: () => len(r), autoClose: bool(r), emitClose: bool(r), flush: bool(r), signal: () => signal(r),
});

// FileHandle's methods, on the twin handles of the iteration.
const METHODS: Record<string, (r: Rng, b: string, e: FsEnv) => unknown[]> = {
  read: (r, _b, e) => readArgs(r, e),
  readv: (r, _b, e) => [buffers(r, e), position(r)],
  write: (r, _b, e) => writeArgs(r, e),
  writev: (r, _b, e) => [buffers(r, e), position(r)],
  stat: (r) => [options(r, { bigint: bool(r) })],
  truncate: (r) => [len(r)],
  sync: () => [],
  datasync: () => [],
  readFile: (r) => [readFileOptions(r)],
  writeFile: (r, _b, e) => [data(r, e), writeFileOptions(r)],
  appendFile: (r, _b, e) => [data(r, e), writeFileOptions(r)],
  chmod: (r) => [mode(r)],
  chown: (r) => [id(r), id(r)],
  utimes: (r) => [time(r), time(r)],
  close: () => [],
  readableWebStream: (r) => [webStreamOptions(r)],
  createReadStream: (r) => [streamOptions(r)],
  createWriteStream: (r) => [streamOptions(r)],
  readLines: (r) => [streamOptions(r)],
  getAsyncId: () => [],
};

// What is not node:fs/promises' and has no twin to compare with: tsuring/fs's
// own names, and what is not a function.
const NOT_NODE = new Set(['createFs', 'defaultRing', 'FileHandle', 'Stats', 'BigIntStats', 'AbortError', 'constants', 'default']);

/** The targets: `fs.<name>` for tsuring/fs's functions, `fh.<name>` for FileHandle's methods. */
export function fsTargets(selected: (name: string) => boolean): string[] {
  const fns = Object.keys(ringFs).filter((k) => !NOT_NODE.has(k) && typeof (nodeFs as Api)[k] === 'function').map((k) => `fs.${k}`);
  const methods = Object.getOwnPropertyNames(ringFs.FileHandle.prototype).filter((k) => k !== 'constructor' && k !== 'fd').map((k) => `fh.${k}`);
  return [...fns, ...methods, 'fh.close', 'fh.asyncDispose', 'fs.createFs'].filter(selected);
}

// ---------------------------------------------------------------- outcomes

type Outcome =
  | { how: 'value'; sync: boolean; value: unknown }
  | { how: 'error'; sync: boolean; error: unknown }
  | { how: 'hang' };

const HANG_MS = 5000;

async function outcome(call: () => unknown): Promise<Outcome> {
  let v: unknown;
  try {
    v = call();
  } catch (error) {
    return { how: 'error', sync: true, error };
  }
  // A stream's error (an aborted signal, a closed handle) is emitted on a
  // later tick: listened for at once, as a caller would.
  if (v !== null && typeof v === 'object' && typeof (v as { on?: unknown }).on === 'function' && typeof (v as { emit?: unknown }).emit === 'function') {
    (v as { on(ev: string, f: () => void): void }).on('error', () => {});
    const input = (v as { input?: { on?: unknown } }).input;
    if (input && typeof input.on === 'function') (input as { on(ev: string, f: () => void): void }).on('error', () => {});
  }
  if (!(v instanceof Promise)) return { how: 'value', sync: true, value: v };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<Outcome>((res) => { timer = setTimeout(() => res({ how: 'hang' }), HANG_MS); });
  try {
    return await Promise.race([v.then((value) => ({ how: 'value', sync: false, value }) as Outcome, (error) => ({ how: 'error', sync: false, error }) as Outcome), hang]);
  } finally {
    clearTimeout(timer);
  }
}

// An argument refusal as Node makes it: what the ring's side must match.
function refusal(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof TypeError || e instanceof RangeError || (typeof code === 'string' && (code.startsWith('ERR_') || code === 'ABORT_ERR'));
}

function shape(e: unknown, b: string): string {
  if (!(e instanceof Error)) return `non-Error ${typeof e}`;
  const code = (e as { code?: unknown }).code;
  // The twin's name, as text or as the bytes Node shows of a Buffer path.
  const message = e.message.split(b).join('<twin>').split(Buffer.from(b).join(',')).join('<twin>');
  return `${e.constructor.name} ${String(code)}: ${message}`;
}

/** Releases what a call resolved with (a handle, a Dir, a stream, ...) so nothing outlives the iteration. */
async function release(v: unknown, handles: { close(): Promise<void> }[]): Promise<void> {
  if (v === null || typeof v !== 'object') return;
  const o = v as Record<string | symbol, unknown>;
  try {
    if (v instanceof ringFs.FileHandle || (typeof o.fd === 'number' && typeof o.readv === 'function')) handles.push(v as { close(): Promise<void> });
    else if (typeof o.remove === 'function' && typeof o.path === 'string') await (o.remove as () => Promise<void>)();
    else if (typeof o.closeSync === 'function' && typeof o.read === 'function') await (o.close as () => Promise<void>)(); // a Dir
    else if (typeof o.getReader === 'function') await (v as ReadableStream).cancel().catch(() => {});
    else if (typeof o.destroy === 'function') (o.destroy as () => void)(); // a node:fs stream
    else if (typeof o.close === 'function' && typeof o.line === 'string') { (o.close as () => void)(); (o.input as { destroy(): void }).destroy(); } // readline
    else if (typeof o.next === 'function' && typeof o.return === 'function') await (o.return as () => Promise<unknown>)().catch(() => {});
  } catch {
    // what it is released with may refuse too; nothing is left to do
  }
}

// watch and glob return async generators, which check their arguments at
// the first next(): that is what is compared (a glob is drained, bounded by
// the twin's few files).
async function drain(v: unknown): Promise<unknown> {
  const it = v as AsyncGenerator<unknown>;
  const out: unknown[] = [];
  for (let i = 0; i < 64; i++) {
    const step = await it.next();
    if (step.done) break;
    out.push(step.value);
  }
  await it.return?.(undefined);
  return out.length;
}

// Calls node:fs/promises aborts the process for (a CHECK in
// src/node_file.cc on an argument its JavaScript let through): not made on
// either side, as nothing can be compared.
function nodeAborts(name: string, args: unknown[]): boolean {
  try {
    return abortsNode(name, args);
  } catch {
    return false; // a getter that throws: both sides meet it
  }
}

function abortsNode(name: string, args: unknown[]): boolean {
  const big = (v: unknown): boolean => typeof v === 'number' && (v >= 2 ** 31 || v < -(2 ** 31));
  if (name === 'fs.mkdir') {
    const o = args[1];
    return big(o) || (o !== null && typeof o === 'object' && big((o as { mode?: unknown }).mode));
  }
  if (name === 'fh.read' && nodeMajor < 22) return args.length > 2 && (typeof args[2] !== 'number' && args[2] != null || big(args[2]));
  return false;
}

// Every handle either side opened, held for the life of the process: one
// whose close() never settled (node:fs/promises' own, when a stream it
// refused kept its count) has its fd closed by the iteration's sweep, and
// must not close that number again when collected.
const retained: unknown[] = [];

// ---------------------------------------------------------------- the phase

/** One iteration's tsuring/fs calls, on `targets` (from fsTargets). */
export async function fsPhase(e: FsEnv, targets: string[]): Promise<void> {
  const r = e.rng;
  const twins = { node: `${e.dir}/fs-node`, ring: `${e.dir}/fs-ring` };
  populate(twins.node);
  populate(twins.ring);
  // The ring side: the thread's own ring (readFile's and writeFile's chains
  // run on it alone), or now and then one of the iteration's own.
  // (4 entries at least: on a ring of 2 or fewer an AsyncRing's operations
  // never settle, a fault of AsyncRing's own, out of this phase's reach.)
  const own = r.chance(0.3) ? new AsyncRing({ entries: r.pick([4, 8, 64]) }) : null;
  const apis: { node: Api; ring: Api } = { node: nodeFs as unknown as Api, ring: (own ? ringFs.createFs(own) : ringFs) as unknown as Api };
  const handles: { close(): Promise<void> }[] = [];
  // The twin handles the FileHandle methods run on: one read-write, one
  // read-only, one already closed.
  const fh = { node: [] as Api[], ring: [] as Api[] };
  for (const side of ['node', 'ring'] as const) {
    const open = apis[side].open as (p: string, f: string) => Promise<Api>;
    fh[side].push(await open(`${twins[side]}/f`, 'r+'), await open(`${twins[side]}/big`, 'r'), await open(`${twins[side]}/d/a`, 'r'));
    await (fh[side][2]!.close as () => Promise<void>)();
    handles.push(...fh[side] as unknown as { close(): Promise<void> }[]);
  }
  const calls = r.range(10, 40);
  try {
    for (let i = 0; i < calls && targets.length > 0; i++) {
      const name = r.pick(targets);
      const seed = r.u32();
      const h = r.int(3);
      if (r.chance(0.1)) {
        // a handle re-opened, as the methods close them (on node:fs/promises
        // both: the twins' files may be gone)
        const k = r.int(2);
        const file = `${k === 0 ? 'f' : 'big'}`;
        const again = await Promise.all((['node', 'ring'] as const).map((side) => (nodeFs.open(`${twins[side]}/${file}`, k === 0 ? 'r+' : 'r') as Promise<unknown>).then(() => 0, () => 1)));
        if (again[0] === 0 && again[1] === 0) {
          for (const side of ['node', 'ring'] as const) {
            const open = apis[side].open as (p: string, f: string) => Promise<Api>;
            fh[side][k] = await open(`${twins[side]}/${file}`, k === 0 ? 'r+' : 'r');
            handles.push(fh[side][k] as unknown as { close(): Promise<void> });
          }
        }
      }
      const results: Record<'node' | 'ring', Outcome> = {} as never;
      let desc = '';
      for (const side of ['node', 'ring'] as const) {
        const b = twins[side];
        const cr = new Rng(seed, 1);
        let call: () => unknown;
        if (name === 'fs.createFs') {
          const arg = cr.chance(0.5) ? hostile(cr) : cr.pick<unknown>([own ?? undefined, () => own]);
          desc = `createFs(${e.show(arg)})`;
          if (side === 'node') { results.node = { how: 'value', sync: true, value: undefined }; continue; }
          call = () => ringFs.createFs(arg as AsyncRing);
        } else if (name.startsWith('fs.')) {
          const fn = name.slice(3);
          const args = (FUNCTIONS[fn] ?? ((rr: Rng) => [anything(rr), anything(rr)]))(cr, b, e);
          // readFile, writeFile and appendFile take a FileHandle too.
          if (/^(readFile|writeFile|appendFile)$/.test(fn) && cr.chance(0.2)) args[0] = fh[side][h];
          desc = `${fn}(${args.map((a) => (a === fh[side][h] ? `fileHandle${h}` : e.show(a).split(b).join('<twin>'))).join(', ')})`;
          const f = apis[side][fn] as ((...a: unknown[]) => unknown) | undefined;
          if (nodeAborts(name, args)) { results[side] = { how: 'hang' }; continue; }
          call = () => f!(...args);
        } else {
          const m = name.slice(3);
          const handle = fh[side][h]!;
          const args = (METHODS[m] ?? (() => []))(cr, b, e);
          desc = `fileHandle${h}.${m}(${args.map((a) => e.show(a)).join(', ')})`;
          if (nodeAborts(name, args)) { results[side] = { how: 'hang' }; continue; }
          call = m === 'asyncDispose'
            ? () => (handle as unknown as Record<symbol, () => unknown>)[Symbol.asyncDispose]!.call(handle)
            : () => (handle[m] as (...a: unknown[]) => unknown).apply(handle, args);
        }
        e.progress(`${side} ${desc}`);
        let o = await outcome(call);
        if (o.how === 'value' && name === 'fs.glob') o = await outcome(() => drain((o as { value: unknown }).value));
        results[side] = o;
        if (o.how === 'value') {
          const value = o.value;
          if ((await outcome(() => release(value, handles))).how === 'hang') e.hard('hang', name, desc, `${side}: releasing what the call returned did not settle in ${HANG_MS / 1000} s`);
        }
        const bad = e.mem.check();
        if (bad.length > 0) e.hard('canary', `${side === 'ring' ? '' : 'node:'}${name}`, desc, bad.slice(0, 3).join('; '));
      }
      compare(e, name, desc, results.node, results.ring, twins);
      if (r.chance(0.05)) e.gc();
    }
  } finally {
    retained.push(...handles);
    e.progress('tsuring/fs: closing the handles');
    for (const x of handles) {
      const o = await outcome(() => x.close());
      // node:fs/promises' own may never close: a stream whose options it
      // refused keeps its count on the handle (importFd runs first).
      if (o.how === 'hang' && x instanceof ringFs.FileHandle) e.hard('hang', 'fh.close', 'close() at the end of the iteration', `a FileHandle's close() did not settle in ${HANG_MS / 1000} s`);
    }
    if (own) await own.close();
  }
}

function compare(e: FsEnv, name: string, desc: string, node: Outcome, ring: Outcome, twins: { node: string; ring: string }): void {
  if (ring.how === 'hang') {
    if (node.how !== 'hang') e.hard('hang', name, desc, `did not settle in ${HANG_MS / 1000} s; node:fs/promises ${node.how === 'value' ? 'resolved' : `rejected: ${shape(node.error, twins.node)}`}`);
    return;
  }
  if (name === 'fs.createFs') {
    if (ring.how === 'error' && !(ring.error instanceof TypeError)) e.soft('error-class', name, desc, `threw ${shape(ring.error, twins.ring)}, not a TypeError`);
    return;
  }
  if (node.how === 'hang') return;
  if (ring.how === 'error' && ring.sync && !(node.how === 'error' && node.sync)) {
    e.soft('sync-throw', name, desc, `threw instead of rejecting: ${shape(ring.error, twins.ring)}`);
    return;
  }
  if (ring.how === 'error' && !(ring.error instanceof Error)) {
    e.soft('rejection-class', name, desc, `rejected with a non-Error: ${e.show(ring.error)}`);
    return;
  }
  const nodeRefused = node.how === 'error' && refusal(node.error);
  const ringRefused = ring.how === 'error' && refusal(ring.error);
  if (!nodeRefused && !ringRefused) return;
  const n = node.how === 'error' ? shape(node.error, twins.node) : 'resolved';
  const g = ring.how === 'error' ? shape(ring.error, twins.ring) : 'resolved';
  if (n !== g) e.soft('node-differs', name, desc, `node:fs/promises: ${n}\n  tsuring/fs:       ${g}`);
}
