// Shared test helpers: open a ring (or say why the kernel can't), queue
// entries, reap their CQEs into plain objects, count open fds. One copy of
// each, imported by every test file that needs it.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { closeSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ffi from '../ffi/index.ts';
import {
  IORING_REGISTER_FILES, IORING_REGISTER_FILES2, IORING_RSRC_REGISTER_SPARSE, IoUring, IoUringError, cqeGetData, getProbeRing, layout, prepNop, requireOpcode, sqeSetData, sqeSetFlags, type Cqe, type IoUringOptions,
  type Sqe,
} from '../lib/index.ts';
import { prepSocket } from '../lib/prep/socket.ts';

/** A ring, or the reason one can't be made here (for `it.skipIf`). */
export function tryRing(entries = 8, options: IoUringOptions = {}): IoUring | string {
  try {
    return new IoUring(entries, options);
  } catch (err) {
    if (err instanceof IoUringError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

/** Why a ring with these options can't be made here, or '' when it can. */
export function ringUnavailable(entries = 8, options: IoUringOptions = {}): string {
  const r = tryRing(entries, options);
  if (typeof r === 'string') return r;
  r.close();
  return '';
}

/** A CQE's fields, copied out before the slot goes back to the kernel. */
export interface Done<U extends number | bigint = number | bigint> {
  res: number;
  flags: number;
  userData: U;
}

/**
 * Takes an entry (the SQ must have room), prepares it with `prep`, sets
 * user_data (a number, or a bigint up to 2^64-1) and, when `flags` is not 0,
 * the IOSQE_* flags (replacing any `prep` set); not submitted.
 */
export function queue(ring: IoUring, prep: (sqe: Sqe) => void, userData: number | bigint, flags = 0): Sqe {
  const sqe = ring.getSqe();
  if (sqe === null) throw new Error('SQ full');
  prep(sqe);
  sqeSetData(sqe, userData);
  if (flags !== 0) sqeSetFlags(sqe, flags);
  return sqe;
}

/** Copies `cqe` out (user_data as cqeGetData reads it: a bigint above 2^53) and consumes it. */
export function take(ring: IoUring, cqe: Cqe): Done {
  const out = { res: cqe.res, flags: cqe.flags, userData: cqeGetData(cqe) };
  ring.cqeSeen(cqe);
  return out;
}

/** Waits (at most 5 s, so a lost completion fails instead of hanging) for one CQE and consumes it. */
export function reapOne(ring: IoUring): Done {
  const cqe = ring.waitCqeTimeout(5000);
  if (cqe === null) throw new Error('no completion within 5 s');
  return take(ring, cqe);
}

/** Waits (at most 5 s each) for `n` CQEs and consumes them, in the order they came. */
export function reapN(ring: IoUring, n: number): Done[] {
  const out: Done[] = [];
  while (out.length < n) {
    const cqe = ring.waitCqeTimeout(5000);
    if (cqe === null) throw new Error(`only ${out.length} of ${n} completions within 5 s: ${JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    out.push(take(ring, cqe));
  }
  return out;
}

/**
 * Every CQE that turns up before a quiet spell of `ms`: to show that
 * something did NOT complete (a bound on how long we look, not a timing
 * assertion).
 */
export function reapQuiet(ring: IoUring, ms = 30): Done[] {
  const out: Done[] = [];
  for (let cqe = ring.waitCqeTimeout(ms); cqe !== null; cqe = ring.waitCqeTimeout(ms)) out.push(take(ring, cqe));
  return out;
}

/** Queues, submits and reaps one entry (a lost completion fails after 5 s). */
export function run(ring: IoUring, prep: (sqe: Sqe) => void, userData: number | bigint = 1, flags = 0): Done {
  queue(ring, prep, userData, flags);
  ring.submit();
  return reapOne(ring);
}

/** Sort order by user_data. */
export const byUserData = (a: Done, b: Done) => Number(a.userData) - Number(b.userData);

/** Submits what is queued and reaps `n` CQEs (at most 5 s each), in user_data order. */
export function submitReap(ring: IoUring, n: number): Done[] {
  ring.submit();
  return reapN(ring, n).sort(byUserData);
}

/** The title suffix of a test that skips: the reason, or nothing when it runs. */
export const note = (why: string) => (why ? ` (skipped: ${why})` : '');

/**
 * Prepares one entry with `prep`, submits it, waits for its CQE and consumes
 * it. Returns the CQE's fields.
 */
export function runOne(ring: IoUring, prep: (sqe: Sqe) => void, userData = 1): Done<number> {
  const sqe = ring.getSqe();
  if (sqe === null) throw new Error('SQ full');
  prep(sqe);
  sqe.userData = userData;
  ring.submit();
  const cqe = ring.waitCqe();
  const out = { res: cqe.res, flags: cqe.flags, userData: cqe.userData };
  ring.cqeSeen(cqe);
  return out;
}

/** Reaps every ready CQE into plain objects, consuming them. */
export function reapAll(ring: IoUring): Done<number>[] {
  const out: Done<number>[] = [];
  for (let cqe = ring.peekCqe(); cqe !== null; cqe = ring.peekCqe()) {
    out.push({ res: cqe.res, flags: cqe.flags, userData: cqe.userData });
    ring.cqeSeen(cqe);
  }
  return out;
}

/** Queues a NOP for each user_data in `uds`. */
export function queueNops(ring: IoUring, uds: readonly number[]): void {
  for (const ud of uds) queue(ring, prepNop, ud);
}

/** Registers an empty file table of `n` slots (IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE). */
export function registerSparseFiles(ring: IoUring, n: number): void {
  const L = layout.io_uring_rsrc_register;
  const reg = new DataView(new ArrayBuffer(L.sizeof));
  reg.setUint32(L.nr, n, true);
  reg.setUint32(L.flags, IORING_RSRC_REGISTER_SPARSE, true);
  ring.registerRaw(IORING_REGISTER_FILES2, reg, L.sizeof);
}

/**
 * The compiled JavaScript of a file of the checkout ('examples/01-nop.ts',
 * 'tests/fixtures/waker-child.ts'), from the build tests/compile.ts makes for
 * each run: what child processes and workers run, under plain node.
 */
export function compiled(file: string): string {
  const build = process.env.TSURING_TEST_BUILD;
  if (!build) throw new Error('TSURING_TEST_BUILD is not set: run the tests through vitest, whose global setup (tests/compile.ts) compiles them');
  return path.join(build, file.replace(/\.ts$/, '.js'));
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Open file descriptors once the count holds still across two turns of the
 * event loop: a ring an earlier test closed may let go of a watcher's fd in
 * libuv's closing phase, after that test ended.
 */
export async function settledFds(): Promise<number> {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  let n = openFds();
  for (;;) {
    await turn();
    await turn();
    const m = openFds();
    if (m === n) return m;
    n = m;
  }
}

/**
 * Collects the TsuringWarnings a test provokes on purpose, and keeps Node from
 * printing them while it does: Node prints warnings from a 'warning' listener
 * of its own, set aside here until stop(). Any other warning still goes to
 * the listeners that were there.
 */
export function catchWarnings(): { warnings: Error[]; stop(): void } {
  const saved = process.listeners('warning');
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'TsuringWarning') warnings.push(w);
    else for (const l of saved) l(w);
  };
  process.removeAllListeners('warning');
  process.on('warning', onWarning);
  return {
    warnings,
    stop() {
      process.off('warning', onWarning);
      for (const l of saved) process.on('warning', l);
    },
  };
}

/** Forces a full collection (the suite runs with --expose-gc). */
export function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
}

/**
 * Why the running kernel can't run opcode `op` ('' when it can): for
 * `it.skipIf(...)` with the reason, which names the Linux release that added it.
 */
export function opcodeMissing(op: number): string {
  let why = missingCache.get(op);
  if (why === undefined) missingCache.set(op, (why = probeMissing(op)));
  return why;
}
const missingCache = new Map<number, string>();

/** The first reason one of `ops` can't run here, or '' when all can. */
export function opcodesMissing(...ops: number[]): string {
  for (const op of ops) {
    const why = opcodeMissing(op);
    if (why) return why;
  }
  return '';
}

function probeMissing(op: number): string {
  const r = tryRing(2);
  if (typeof r === 'string') return r;
  try {
    requireOpcode(op, getProbeRing(r));
    return '';
  } catch (err) {
    return (err as Error).message;
  } finally {
    r.close();
  }
}

/**
 * Rings and fds a test opens, closed after each test (the rings first). An
 * fd the test closed itself is skipped quietly.
 */
export function ringFixtures(): {
  rings: IoUring[];
  fds: number[];
  open: (entries?: number, options?: IoUringOptions) => IoUring;
  pipe: () => [number, number];
  track: (fd: number) => number;
} {
  const rings: IoUring[] = [];
  const fds: number[] = [];
  afterEach(() => {
    for (const r of rings.splice(0)) r.close();
    for (const fd of fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // closed by the test
      }
    }
  });
  return {
    rings,
    fds,
    open(entries = 8, options = {}) {
      const ring = new IoUring(entries, options);
      rings.push(ring);
      return ring;
    },
    /** A blocking pipe, closed after the test: [read end, write end]. */
    pipe() {
      const p = ffi.pipe();
      if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
      fds.push(...p);
      return p;
    },
    track(fd) {
      fds.push(fd);
      return fd;
    },
  };
}

/** The bytes of one SQE slot. */
export function sqeView(sqe: Sqe): DataView {
  return new DataView(sqe.u8.buffer, sqe.u8.byteOffset + sqe.w * 4, sqe.size);
}

/** A slot taken from `ring`, every byte 0xAB, with user_data 0x12345678 that encoders must leave alone. */
export function staleSqe(ring: IoUring): Sqe {
  const sqe = ring.getSqe()!;
  const dv = sqeView(sqe);
  for (let i = 0; i < sqe.size; i++) dv.setUint8(i, 0xab);
  sqe.userData = 0x12345678;
  return sqe;
}

const SQE = layout.io_uring_sqe;
const O_CLOEXEC = 0o2000000;

/**
 * Every field of the first 64 bytes of an SQE, read straight from its
 * bytes (the unions under each of their names), for the encoders' byte-level
 * tests to compare with what the slot should hold.
 */
export function sqeFields(sqe: Sqe) {
  const dv = sqeView(sqe);
  return {
    opcode: dv.getUint8(SQE.opcode), flags: dv.getUint8(SQE.flags), ioprio: dv.getUint16(SQE.ioprio, true),
    fd: dv.getInt32(SQE.fd, true), off: dv.getBigUint64(SQE.off, true), addr: dv.getBigUint64(SQE.addr, true),
    len: dv.getUint32(SQE.len, true), rwFlags: dv.getUint32(SQE.rw_flags, true), userData: dv.getBigUint64(SQE.user_data, true),
    bufIndex: dv.getUint16(SQE.buf_index, true), personality: dv.getUint16(SQE.personality, true),
    spliceFdIn: dv.getInt32(SQE.splice_fd_in, true), fileIndex: dv.getUint32(SQE.file_index, true),
    addr3: dv.getBigUint64(SQE.addr3, true), pad2: dv.getBigUint64(SQE.__pad2, true),
  };
}

/** Runs `fn` with a fresh pipe; both ends closed after. */
export function withPipe(fn: (r: number, w: number) => void): void {
  const p = ffi.pipe(O_CLOEXEC);
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  try {
    fn(p[0], p[1]);
  } finally {
    ffi.close(p[0]);
    ffi.close(p[1]);
  }
}

/** Registers `fds` as the ring's file table (IORING_REGISTER_FILES). */
export function registerFiles(ring: IoUring, fds: number[]): void {
  ring.registerRaw(IORING_REGISTER_FILES, new Int32Array(fds), fds.length);
}

// The shared reader's fields, but for splice_fd_in: the same bytes as file_index.
export type Fields = Omit<ReturnType<typeof sqeFields>, 'spliceFdIn'>;
/** An expected field: its value, or a check of a pointer field's target. */
export type Want = number | bigint | ((actual: bigint) => void);

/** The pointer field holds the address of `v`. */
export const at = (v: ArrayBufferView) => (a: bigint) => expect(Number(a)).toBe(ffi.addressOf(v));
/** The pointer field names a __kernel_timespec holding `ts`. */
export const timespec = (ts: { sec: number; nsec: number }) => (a: bigint) => {
  expect(a).not.toBe(0n);
  const dv = new DataView(ffi.view(Number(a), layout.__kernel_timespec.sizeof));
  expect({ sec: Number(dv.getBigInt64(layout.__kernel_timespec.tv_sec, true)), nsec: Number(dv.getBigInt64(layout.__kernel_timespec.tv_nsec, true)) }).toEqual(ts);
};
/** The pointer field names `len` bytes that `check` accepts. */
export const struct = (len: number, check: (dv: DataView) => void) => (a: bigint) => {
  expect(a).not.toBe(0n);
  check(new DataView(ffi.view(Number(a), len)));
};

/**
 * The SQE holds `want`, and every field `want` leaves out holds 0 (user_data
 * 0x12345678, as staleSqe left it).
 */
export function expectFields(sqe: Sqe, want: Partial<Record<keyof Fields, Want>>): void {
  const { spliceFdIn, ...got } = sqeFields(sqe);
  void spliceFdIn;
  const expected: Record<string, number | bigint> = {
    opcode: 0, flags: 0, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, rwFlags: 0, userData: 0x12345678n,
    bufIndex: 0, personality: 0, fileIndex: 0, addr3: 0n, pad2: 0n,
  };
  for (const [k, w] of Object.entries(want)) {
    const actual = got[k as keyof Fields];
    if (typeof w === 'function') {
      w(actual as bigint);
      expected[k] = actual;
    } else {
      expected[k] = w;
    }
  }
  expect(got).toEqual(expected);
}

/** The bytes of one SQE slot, as a Uint8Array. */
export function sqeBytes(sqe: Sqe): Uint8Array {
  return new Uint8Array(sqe.u8.buffer, sqe.u8.byteOffset + sqe.w * 4, sqe.size);
}

/** `it`, or `it.skip` with the probe's reason in the title when the kernel lacks `op`. */
export function itOp(op: number, title: string, fn: () => void | Promise<void>): void {
  const why = opcodeMissing(op);
  if (why) it.skip(`${title} (skipped: ${why})`, fn);
  else it(title, fn);
}

/**
 * Runs `suite` once for each place ring memory can live, in a describe named
 * after it: a SharedArrayBuffer handed over with IORING_SETUP_NO_MMAP
 * ('shared') and the kernel's own pages mapped ('mmap'). `opts` adds the mode
 * to a ring's options; a mode the kernel can't make skips with its reason.
 */
export function eachMemory(suite: (opts: (o?: IoUringOptions) => IoUringOptions, memory: 'shared' | 'mmap') => void): void {
  describe.each(['shared', 'mmap'] as const)("memory '%s'", (memory) => {
    const why = ringUnavailable(8, { memory });
    if (why) {
      it.skip(`rings in memory '${memory}' (skipped: ${why})`, () => {});
      return;
    }
    suite((o: IoUringOptions = {}): IoUringOptions => ({ ...o, memory }), memory);
  });
}

/** `it` on a ring made with `options`, or `it.skip` with the kernel's reason in the title. */
export function itWith(title: string, entries: number, options: IoUringOptions, fn: (ring: IoUring) => void, fails = false): void {
  const why = ringUnavailable(entries, options);
  const test = why ? it.skip : fails ? it.fails : it;
  test(why ? `${title} (skipped: ${why})` : title, () => {
    using ring = new IoUring(entries, options);
    fn(ring);
  });
}

/** The IoUringError `fn` throws (failing the test when it throws none, or something else). */
export function ioErr(fn: () => unknown): IoUringError {
  try {
    fn();
  } catch (err) {
    if (err instanceof IoUringError) return err;
    throw err;
  }
  throw new Error('expected an IoUringError');
}

/** `fn` throws an IoUringError with this code (and errno, negated as in CQEs, when given). */
export function expectIoUringError(fn: () => unknown, code: string, errno?: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IoUringError);
  expect((caught as IoUringError).code).toBe(code);
  if (errno !== undefined) expect((caught as IoUringError).errno).toBe(-errno);
}

/**
 * A fresh directory under the project's own .scratch (files live on its disk:
 * O_DIRECT needs a real filesystem, not tmpfs, and tmpfs may lack user.*
 * xattrs), removed after the file's tests. `withFile` runs `fn` with a fresh
 * file in it (opened 'w+' unless `flags` says otherwise) and closes it.
 */
export function scratchFiles(prefix: string): {
  dir: string;
  withFile: (fn: (fd: number, file: string) => void, content?: Buffer, flags?: string | number) => void;
} {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.scratch');
  fs.mkdirSync(root, { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let seq = 0;
  return {
    dir,
    withFile(fn, content, flags = 'w+') {
      const file = path.join(dir, `f${seq++}`);
      if (content) fs.writeFileSync(file, content);
      const fd = fs.openSync(file, flags);
      try {
        fn(fd, file);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** One row of an encoder's byte-level table: what `prep` should leave in a stale slot. */
export interface FieldRow {
  name: string;
  prep: (s: Sqe) => void;
  want: Partial<Record<keyof Fields, Want>>;
  /** How many objects the entry keeps until its CQE. */
  kept?: number;
}

/**
 * One test per row (titled by its name; call inside a describe): `prep` on a
 * stale slot writes `want`, zeroes every other field, and keeps `kept` objects.
 */
export function itWritesFields(rows: readonly FieldRow[]): void {
  it.each(rows)('$name', (row) => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    row.prep(sqe);
    expectFields(sqe, row.want);
    expect(sqe.kept).toBe(row.kept ?? 0);
  });
}

/** A call an encoder must refuse: its title, the call, and the error class it throws. */
export type Refusal = [string, (s: Sqe) => void, typeof TypeError | typeof RangeError];

/**
 * One test per refusal (titled by its first element; call inside a describe):
 * the call throws `type` before writing a byte of the stale slot, keeping nothing.
 */
export function itRefusesBeforeWriting(bad: readonly Refusal[]): void {
  it.each(bad)('%s', (_, call, type) => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    const before = sqeBytes(sqe).slice();
    expect(() => call(sqe)).toThrow(type);
    expect(sqeBytes(sqe)).toEqual(before);
    expect(sqe.kept).toBe(0);
  });
}

/**
 * Fds a test opens, closed after each test: `track` adds one (failing on a
 * negative result), `socket` makes one with IORING_OP_SOCKET and tracks it.
 */
export function socketFixtures(): {
  opened: Set<number>;
  track: (fd: number) => number;
  socket: (ring: IoUring, domain: number, type: number) => number;
} {
  const opened = new Set<number>();
  afterEach(() => {
    for (const fd of opened) ffi.close(fd);
    opened.clear();
  });
  const track = (fd: number): number => {
    expect(fd).toBeGreaterThanOrEqual(0);
    opened.add(fd);
    return fd;
  };
  return { opened, track, socket: (ring, domain, type) => track(run(ring, (s) => prepSocket(s, domain, type, 0)).res) };
}

/** Settles with `p`, or rejects once `ms` have passed without it. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Follows a load client's progress lines on stdout (pushed onto `lines`):
 * resolves with 'ok' or its 'error ...' line, or `exit N` if it ends first;
 * rejects when no new line has come for 20 s, saying what `state()` says.
 */
export function clientOutcome(child: ChildProcess, lines: string[], state: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let last = '';
    let lastChange = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastChange > 20_000) {
        clearInterval(watchdog);
        reject(new Error(`no progress for 20 s; the clients said: ${lines.slice(-3).join(' | ')}; ${state()}`));
      }
    }, 1000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ln = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(ln);
        if (ln !== last) {
          last = ln;
          lastChange = Date.now();
        }
        if (ln === 'ok' || ln.startsWith('error')) {
          clearInterval(watchdog);
          resolve(ln);
        }
      }
    });
    child.on('exit', (code) => {
      clearInterval(watchdog);
      resolve(`exit ${code}`);
    });
  });
}
