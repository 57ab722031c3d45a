// Shared test helpers: open a ring (or say why the kernel can't), run one
// entry through the ring and hand back its CQE fields, count open fds.

import { afterEach, it } from 'vitest';
import { closeSync, readdirSync } from 'node:fs';
import * as ffi from '../ffi/index.ts';
import { IoUring, IoUringError, getProbeRing, layout, requireOpcode, type IoUringOptions, type Sqe } from '../lib/index.ts';

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

export interface Done {
  res: number;
  flags: number;
  userData: number;
}

/**
 * Prepares one entry with `prep`, submits it, waits for its CQE and consumes
 * it. Returns the CQE's fields.
 */
export function runOne(ring: IoUring, prep: (sqe: Sqe) => void, userData = 1): Done {
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
export function reapAll(ring: IoUring): Done[] {
  const out: Done[] = [];
  for (let cqe = ring.peekCqe(); cqe !== null; cqe = ring.peekCqe()) {
    out.push({ res: cqe.res, flags: cqe.flags, userData: cqe.userData });
    ring.cqeSeen(cqe);
  }
  return out;
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
