/**
 * RELIABILITY.md, cases 1-6, 12, 19-21, 23 and 26: bad input, a signal during
 * a wait, buffers and rings left to the garbage collector, close() with work
 * in flight, and what a child process inherits. (Case 10 is in ring.test.ts.)
 * One `describe` per case, titled with its number.
 */
import { describe, it, expect, afterAll, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ffi from '../ffi/index.ts';
import {
  IoUring, IoUringError, layout, prepNop, prepRead, prepRw, prepTimeout,
  IORING_OP_READ, IORING_SETUP_DEFER_TASKRUN, IORING_TIMEOUT_ABS, IOSQE_ASYNC,
  type Cqe, type IoUringOptions, type Sqe, ERRNO } from '../lib/index.ts';
import { catchWarnings, compiled, forceGc, openFds, ringUnavailable, runOne } from './helpers.ts';

const { EBADF, EFAULT, EINVAL, ETIME } = ERRNO;

// A file of known content, for the reads.
const dir = mkdtempSync(join(tmpdir(), 'tsuring-reliability-'));
const FILE = join(dir, 'data');
const CONTENT = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + (i >>> 8)) & 0xff);
writeFileSync(FILE, CONTENT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Rings and fds a test opens, closed after it.
const rings: IoUring[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const r of rings.splice(0)) r.close();
  for (const fd of fds.splice(0)) closeSync(fd);
});

function open(entries = 8, options: IoUringOptions = {}): IoUring {
  const ring = new IoUring(entries, options);
  rings.push(ring);
  return ring;
}

function openFile(): number {
  const fd = openSync(FILE, 'r');
  fds.push(fd);
  return fd;
}

/** A blocking pipe: [read end, write end]. */
function newPipe(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  fds.push(...p);
  return p;
}

// Why a ring of each memory kind can't be made here ('' when it can).
const why = {
  auto: ringUnavailable(),
  shared: ringUnavailable(8, { memory: 'shared' }),
  mmap: ringUnavailable(8, { memory: 'mmap' }),
};

/** `it` (or `it.fails`), skipped with the kernel's reason when it refuses the ring kind. */
function ringIt(title: string, need: keyof typeof why, fn: () => unknown, fails = false): void {
  if (why[need]) it.skip(`${title} (skipped: the kernel refuses a ${need} ring: ${why[need]})`, fn);
  else (fails ? it.fails : it)(title, fn);
}

/** What `fn` threw (undefined if nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Waits for the CQE at the head and consumes it. */
function waitOne(ring: IoUring): { res: number; userData: number } {
  const cqe = ring.waitCqe();
  const out = { res: cqe.res, userData: cqe.userData };
  ring.cqeSeen(cqe);
  return out;
}

/** The SQ tail as the kernel sees it, read from a shared ring's memory. */
function kernelSqTail(ring: IoUring): number {
  const s = ring.share();
  const pv = new DataView(s.params.buffer, s.params.byteOffset, s.params.byteLength);
  const { io_uring_params: P, io_sqring_offsets: SO, io_cqring_offsets: CO } = layout;
  // NO_MMAP: the SQEs first, then the rings (at cq_off.user_addr).
  const ringsAt = s.base + Number(pv.getBigUint64(P.cq_off + CO.user_addr, true) - pv.getBigUint64(P.sq_off + SO.user_addr, true));
  return new Uint32Array(s.memory, ringsAt + pv.getUint32(P.sq_off + SO.tail, true), 1)[0]!;
}

/**
 * Takes an SQE, runs `prep` on it and expects it to throw `type` (with
 * `message`) before writing anything: the entry's 64 bytes and the kernel's
 * SQ tail unchanged. Returns the SQE, still a NOP.
 */
function expectRefused(ring: IoUring, prep: (sqe: Sqe) => void, type: new (...a: never[]) => Error, message?: RegExp): Sqe {
  const sqe = ring.getSqe()!;
  const bytes = () => sqe.u8.slice(sqe.w * 4, sqe.w * 4 + 64);
  const before = bytes();
  const tail = kernelSqTail(ring);
  const err = thrown(() => prep(sqe));
  expect(err).toBeInstanceOf(type);
  if (message) expect((err as Error).message).toMatch(message);
  expect(bytes()).toEqual(before);
  expect(kernelSqTail(ring)).toBe(tail);
  return sqe;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Collects until every target is gone, for at most `rounds` rounds; returns
 * how many are still alive. Each round first lets the current job end: a
 * WeakRef's target is held until the end of the job that made or deref'd it.
 */
async function survivors(refs: WeakRef<object>[], rounds = 10): Promise<number> {
  for (let i = 0; i < rounds; i++) {
    await turn();
    forceGc();
    if (refs.every((r) => r.deref() === undefined)) return 0;
  }
  await turn();
  return refs.filter((r) => r.deref() !== undefined).length;
}

// Bystanders: buffers of the sizes freed read buffers come in (a 64-byte
// typed array moves off the heap into a malloc'd 64 bytes once its address is
// taken), filled with a pattern nothing should change.
function bystanders(fill: number): Uint8Array[] {
  return [64, 72, 128, 4096].flatMap((size) => Array.from({ length: 64 }, () => new Uint8Array(size).fill(fill)));
}
function spoiled(list: Uint8Array[], fill: number): number {
  return list.filter((b) => b.some((x) => x !== fill)).length;
}

describe('1. bad ring sizes and flags', () => {
  it.each([0, 1.5, NaN, 40000])('entries %s: RangeError, no fd leaked', (entries) => {
    const before = openFds();
    expect(() => new IoUring(entries)).toThrow(RangeError);
    expect(openFds()).toBe(before);
  });

  it('an unknown flag bit (1<<30): RangeError, no fd leaked', () => {
    const before = openFds();
    expect(() => new IoUring(8, { flags: 1 << 30 })).toThrow(RangeError);
    expect(openFds()).toBe(before);
  });

  ringIt('DEFER_TASKRUN without SINGLE_ISSUER: IoUringError EINVAL from io_uring_setup naming the cause, no fd leaked', 'auto', () => {
    const before = openFds();
    const err = thrown(() => new IoUring(8, { flags: IORING_SETUP_DEFER_TASKRUN }));
    expect(err).toBeInstanceOf(IoUringError);
    expect(err).toMatchObject({ code: 'EINVAL', errno: -EINVAL, syscall: 'io_uring_setup' });
    expect((err as Error).message).toMatch(/DEFER_TASKRUN needs SINGLE_ISSUER/);
    expect(openFds()).toBe(before);
  });
});

describe('2. a length past the end of the buffer', () => {
  const kinds: [string, () => Buffer][] = [
    ['a plain Buffer', () => Buffer.alloc(16)],
    ["a pooled slice, Buffer.from('hello')", () => Buffer.from('hello')],
    ['a pooled slice, Buffer.allocUnsafe(16)', () => Buffer.allocUnsafe(16).fill(0)],
  ];
  for (const [kind, make] of kinds) {
    ringIt(`${kind}: RangeError before any SQE byte; the entry is not sent; a valid read leaves the slab around it alone`, 'shared', () => {
      const ring = open(8, { memory: 'shared' });
      const fd = openFile();
      const buf = make();
      const sqe = expectRefused(ring, (s) => prepRead(s, fd, buf, buf.length + 1), RangeError);
      sqe.userData = 99;
      expect(ring.submit()).toBe(0);
      expect(ring.cqReady()).toBe(0);

      const slab = new Uint8Array(buf.buffer);
      const before = slab.slice();
      const res = runOne(ring, (s) => prepRead(s, fd, buf)).res;
      const after = slab.slice();
      expect(res).toBe(buf.length);
      expect(after.subarray(buf.byteOffset, buf.byteOffset + buf.length)).toEqual(CONTENT.subarray(0, buf.length));
      // Only the slice may have changed.
      before.set(after.subarray(buf.byteOffset, buf.byteOffset + buf.length), buf.byteOffset);
      expect(before.filter((x, i) => x !== after[i]).length).toBe(0);
    });
  }

  // A refused entry in a reused slot must not send what the slot held before
  // (a TIMEOUT with IORING_TIMEOUT_ABS and len 1, here).
  ringIt('a refused entry in a slot last used by a TIMEOUT with flags is not sent', 'shared', () => {
    const ring = open(1, { memory: 'shared' });
    const fd = openFile();
    expect(runOne(ring, (s) => prepTimeout(s, { sec: 0, nsec: 0 }, 0, IORING_TIMEOUT_ABS)).res).toBe(-ETIME);
    const sqe = expectRefused(ring, (s) => prepRead(s, fd, Buffer.alloc(4), 5), RangeError);
    sqe.userData = 99;
    expect(ring.submit()).toBe(0);
    expect(ring.cqReady()).toBe(0);
    expect(runOne(ring, prepNop, 5)).toEqual({ res: 0, flags: 0, userData: 5 });
  });
});

describe('3. a detached or transferred buffer', () => {
  ringIt('a view made before its ArrayBuffer was transferred: TypeError "detached", nothing written', 'shared', () => {
    const ring = open(8, { memory: 'shared' });
    const fd = openFile();
    const ab = new ArrayBuffer(16);
    const view = new Uint8Array(ab);
    structuredClone(ab, { transfer: [ab] });
    expect(ab.byteLength).toBe(0);
    for (const nbytes of [undefined, 0, 16]) {
      expectRefused(ring, (s) => prepRead(s, fd, view, nbytes), TypeError, /detached/);
    }
  });

  ringIt('a buffer the ring has read into stays attached when transferred, and still reads', 'auto', () => {
    const ring = open();
    const fd = openFile();
    const ab = new ArrayBuffer(16);
    const view = new Uint8Array(ab);
    expect(runOne(ring, (s) => prepRead(s, fd, view)).res).toBe(16);
    // Node 20 copies an untransferable buffer; Node 21 and later throw
    // DataCloneError. Either way the buffer stays where it was.
    try {
      structuredClone(ab, { transfer: [ab] });
    } catch (e) {
      expect((e as Error).name).toBe('DataCloneError');
    }
    expect(ab.byteLength).toBe(16);
    view.fill(0);
    expect(runOne(ring, (s) => prepRead(s, fd, view, 16, 16)).res).toBe(16);
    expect(view).toEqual(CONTENT.subarray(16, 32));
  });
});

describe('4. bad and closed fds', () => {
  // An fd is an s32: what doesn't fit is refused; -1 fits, and the kernel
  // answers it (below).
  for (const [fd, type] of [[1.5, RangeError], [2 ** 31, RangeError], ['3', TypeError]] as const) {
    ringIt(`fd ${JSON.stringify(fd)}: ${type.name}, nothing written`, 'shared', () => {
      const ring = open(8, { memory: 'shared' });
      expectRefused(ring, (s) => prepRead(s, fd as number, new Uint8Array(8)), type);
    });
  }

  ringIt('fd -1: the CQE says -EBADF', 'auto', () => {
    const ring = open();
    expect(runOne(ring, (s) => prepRead(s, -1, new Uint8Array(8))).res).toBe(-EBADF);
  });

  ringIt('a closed fd: the CQE says -EBADF and the ring goes on working', 'auto', () => {
    const ring = open();
    // Open and close right before use: a number nothing in the process holds.
    const fd = openSync(FILE, 'r');
    closeSync(fd);
    expect(() => readlinkSync(`/proc/self/fd/${fd}`)).toThrow();
    expect(runOne(ring, (s) => prepRead(s, fd, new Uint8Array(8))).res).toBe(-EBADF);
    expect(runOne(ring, prepNop).res).toBe(0);
  });
});

describe('5. user_data', () => {
  ringIt('2^53 as a number: TypeError, nothing written', 'shared', () => {
    const ring = open(8, { memory: 'shared' });
    expectRefused(ring, (s) => { s.userData = 2 ** 53; }, TypeError);
    expect(ring.submit()).toBe(0); // never written: not sent
  });

  // A NOP with user_data set by `set`; returns the CQE's user_data read by `get`.
  function roundTrip<T>(set: (sqe: Sqe) => void, get: (cqe: Cqe) => T): T {
    const ring = open();
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    set(sqe);
    ring.submit();
    const cqe = ring.waitCqe();
    const got = get(cqe);
    ring.cqeSeen(cqe);
    return got;
  }

  ringIt('2^53-1 round-trips exactly through the kernel as a number', 'auto', () => {
    expect(roundTrip((s) => { s.userData = 2 ** 53 - 1; }, (c) => c.userData)).toBe(2 ** 53 - 1);
  });

  for (const v of [2n ** 64n - 1n, 2n ** 53n + 1n]) {
    ringIt(`${v} round-trips exactly through the kernel (userDataBig)`, 'auto', () => {
      expect(roundTrip((s) => { s.userDataBig = v; }, (c) => c.userDataBig)).toBe(v);
    });
  }
});

describe('6. raw API: an unknown opcode, an unmapped address', () => {
  ringIt('opcode 200: the CQE says -EINVAL; the ring goes on working', 'auto', () => {
    const ring = open();
    expect(runOne(ring, (s) => { s.opcode = 200; }).res).toBe(-EINVAL);
    expect(runOne(ring, prepNop).res).toBe(0);
  });

  ringIt('a READ into address 8: the CQE says -EFAULT; the ring goes on working', 'auto', () => {
    const ring = open();
    const fd = openFile();
    expect(runOne(ring, (s) => prepRw(IORING_OP_READ, s, fd, 8, 16, 0)).res).toBe(-EFAULT);
    expect(runOne(ring, prepNop).res).toBe(0);
  });
});

describe('12. EINTR during a blocking wait', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));

  interface ChildResult { result: unknown; threw: string | null; signals: number }

  // Runs the child; once it says "waiting", sends it SIGUSR2 five times, 20 ms apart.
  function runChild(mode: string): Promise<ChildResult> {
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [compiled('tests/fixtures/eintr-child.ts'), mode], { cwd: root });
      let out = '';
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      let sent = 0;
      c.stdout.on('data', (d) => {
        out += d;
        if (timer === undefined && out.includes('waiting\n')) {
          timer = setInterval(() => { if (sent++ < 5) c.kill('SIGUSR2'); }, 20);
        }
      });
      c.stderr.on('data', (d) => { err += d; });
      c.on('error', reject);
      c.on('close', (code) => {
        clearInterval(timer);
        const last = out.trim().split('\n').at(-1) ?? '';
        if (code !== 0 || !last.startsWith('{')) reject(new Error(`child exited ${code}: ${out}${err}`));
        else resolve(JSON.parse(last) as ChildResult);
      });
    });
  }

  ringIt('waitCqeTimeout(1500) on an empty ring, signalled: null (timed out), not an EINTR error', 'auto', async () => {
    const r = await runChild('timeout');
    expect(r.threw).toBeNull();
    expect(r.result).toBeNull();
    expect(r.signals).toBeGreaterThan(0);
  });

  ringIt('waitCqe() with a 300 ms TIMEOUT in flight, signalled: the timeout\'s CQE (-ETIME)', 'auto', async () => {
    const r = await runChild('op');
    expect(r.threw).toBeNull();
    expect(r.result).toEqual({ userData: 7, res: -ETIME, flags: 0 });
    expect(r.signals).toBeGreaterThan(0);
  });
});

describe('19. buffers referenced only by the ring, with gc() before completion', () => {
  const LEN = 32;
  const payload = (i: number) => Uint8Array.from({ length: LEN }, (_, j) => (i * 31 + j * 3 + 1) & 0xff);

  // One read per pipe into a buffer nothing but the ring refers to once this returns.
  function submitPipeReads(ring: IoUring, pipes: [number, number][]): WeakRef<Uint8Array>[] {
    const refs = pipes.map(([r], i) => {
      const buf = new Uint8Array(64);
      const sqe = ring.getSqe()!;
      prepRead(sqe, r, buf);
      sqe.userData = i;
      return new WeakRef(buf);
    });
    ring.submit();
    return refs;
  }

  // Reaps the reads and says for each whether its buffer was still there with
  // the right data. A function of its own, returning strings: a suspended
  // async test function keeps its stale locals (a loop's last `buf`) alive,
  // and a value handed to expect() may be held by the runner.
  function reapPipeReads(ring: IoUring, refs: WeakRef<Uint8Array>[]): string[] {
    const got: string[] = [];
    for (let k = 0; k < refs.length; k++) {
      const cqe = ring.waitCqe();
      const i = cqe.userData;
      const buf = refs[i]!.deref();
      const want = [...payload(i), ...new Uint8Array(64 - LEN)].join();
      got.push(`${i}: res ${cqe.res}, ${buf === undefined ? 'collected before its CQE' : buf.join() === want ? 'data right' : `wrong data ${buf.join()}`}`);
      ring.cqeSeen(cqe);
    }
    return got.sort();
  }

  ringIt('each buffer lives until its CQE is consumed and holds the pipe data; no bystander changes', 'auto', async () => {
    const ring = open();
    const pipes = Array.from({ length: 4 }, newPipe);
    const early = bystanders(0xa5);
    const refs = submitPipeReads(ring, pipes);
    for (let i = 0; i < 5; i++) {
      await turn();
      forceGc();
    }
    const late = bystanders(0x5a);
    expect(ring.cqReady()).toBe(0); // the pipes are still empty
    pipes.forEach(([, w], i) => writeSync(w, payload(i)));
    const got = reapPipeReads(ring, refs);
    expect(got).toEqual([0, 1, 2, 3].map((i) => `${i}: res ${LEN}, data right`));
    expect(spoiled(early, 0xa5) + spoiled(late, 0x5a)).toBe(0);
    expect(await survivors(refs)).toBe(0);
  });
});

describe('20. a ring dropped with a TIMEOUT in flight', () => {
  function dropRingWithTimeout(options: IoUringOptions): void {
    const ring = new IoUring(8, options);
    const sqe = ring.getSqe()!;
    prepTimeout(sqe, 5000);
    sqe.userData = 1;
    ring.submit();
  }

  for (const memory of ['shared', 'mmap'] as const) {
    ringIt(`${memory}: the finalizer closes the fd and warns; memory allocated after is never written`, memory, async () => {
      const { warnings, stop } = catchWarnings();
      try {
        const before = openFds();
        dropRingWithTimeout({ memory });
        expect(openFds()).toBe(before + 1);
        for (let i = 0; i < 200 && openFds() > before; i++) {
          forceGc();
          await sleep(10);
        }
        expect(openFds()).toBe(before);
        // Closing the fd makes the kernel cancel the timeout and post its CQE.
        const sabs = Array.from({ length: 64 }, () => new Uint8Array(new SharedArrayBuffer(6 * 4096)).fill(0x3c));
        const bufs = Array.from({ length: 64 }, () => Buffer.alloc(6 * 4096, 0x3c));
        await sleep(100);
        expect(spoiled(sabs, 0x3c) + spoiled(bufs, 0x3c)).toBe(0);
        expect(warnings.length).toBeGreaterThan(0);
        expect(warnings[0]!.message).toMatch(/without close\(\)/);
      } finally {
        stop();
      }
    });
  }
});

describe('21. small typed arrays under heavy gc', () => {
  const TOTAL = 2000;
  const BATCH = 64;

  // IOSQE_ASYNC: each read runs on an io-wq worker, alongside the gc() below.
  function submitBatch(ring: IoUring, fd: number, first: number, n: number): WeakRef<Uint8Array>[] {
    const refs: WeakRef<Uint8Array>[] = [];
    for (let i = first; i < first + n; i++) {
      const buf = new Uint8Array(16);
      const sqe = ring.getSqe()!;
      prepRead(sqe, fd, buf, 16, i * 16);
      sqe.flags = IOSQE_ASYNC;
      sqe.userData = i;
      refs.push(new WeakRef(buf));
    }
    ring.submit();
    return refs;
  }

  // Reaps a batch; returns what went wrong, one line per read.
  function reapBatch(ring: IoUring, refs: (WeakRef<Uint8Array> | undefined)[], first: number): string[] {
    const bad: string[] = [];
    for (let k = 0; k < refs.length; k++) {
      const cqe = ring.waitCqe();
      const i = cqe.userData;
      const ref = refs[i - first];
      refs[i - first] = undefined; // reaped once
      const buf = ref?.deref();
      const want = CONTENT.subarray(i * 16, i * 16 + 16);
      if (cqe.res !== 16 || buf === undefined || buf.some((x, j) => x !== want[j])) {
        bad.push(`read ${i}: res ${cqe.res}, ${ref === undefined ? 'reaped twice' : buf === undefined ? 'collected before its CQE' : `[${buf}]`}`);
      }
      ring.cqeSeen(cqe);
    }
    return bad;
  }

  ringIt('2000 reads into new Uint8Array(16), gc() between submit and reap: every result right', 'auto', async () => {
    const ring = open(BATCH);
    const fd = openFile();
    const bad: string[] = [];
    for (let first = 0; first < TOTAL; first += BATCH) {
      const refs = submitBatch(ring, fd, first, Math.min(BATCH, TOTAL - first));
      await turn();
      forceGc();
      bad.push(...reapBatch(ring, refs, first));
    }
    expect(bad).toEqual([]);
    expect(ring.cqReady()).toBe(0);
  });
});

describe('23. close() with operations in flight', () => {
  for (const memory of ['shared', 'mmap'] as const) {
    ringIt(`${memory}: close() cancels and drains, frees the fd once; later use throws EBADF`, memory, () => {
      const ring = new IoUring(8, { memory }); // closed by the test itself
      const [r, w] = newPipe();
      const buf = new Uint8Array(8);
      let sqe = ring.getSqe()!;
      prepTimeout(sqe, 10_000);
      sqe.userData = 1;
      sqe = ring.getSqe()!;
      prepRead(sqe, r, buf);
      sqe.userData = 2;
      ring.submit();
      expect(ring.cqReady()).toBe(0);

      const before = openFds();
      ring.close();
      expect(openFds()).toBe(before - 1);
      ring.close();
      expect(openFds()).toBe(before - 1);
      expect(ring.isClosed).toBe(true);
      for (const use of [() => ring.getSqe(), () => ring.submit(), () => ring.waitCqe()]) {
        const err = thrown(use);
        expect(err).toBeInstanceOf(IoUringError);
        expect(err).toMatchObject({ code: 'EBADF' });
      }

      // The read was cancelled, not left to run: data written now stays in the pipe.
      writeSync(w, 'xyz');
      const peek = openSync(`/proc/self/fd/${r}`, constants.O_RDONLY | constants.O_NONBLOCK);
      fds.push(peek);
      const got = Buffer.alloc(8);
      expect(readSync(peek, got)).toBe(3);
      expect(got.toString('latin1', 0, 3)).toBe('xyz');
      expect(buf.every((x) => x === 0)).toBe(true);
    });
  }
});

describe('26. what a child process inherits', () => {
  for (const memory of ['shared', 'mmap'] as const) {
    ringIt(`a child from spawnSync does not inherit a ${memory} ring's fd (O_CLOEXEC)`, memory, () => {
      const ring = open(8, { memory });
      expect(readlinkSync(`/proc/self/fd/${ring.fd}`)).toContain('io_uring');
      const ls = spawnSync('ls', ['-l', '/proc/self/fd'], { encoding: 'utf8' });
      expect(ls.status).toBe(0);
      expect(ls.stdout).not.toContain('io_uring');
    });
  }

  // MADV_DONTFORK sets VM_DONTCOPY, which smaps shows as "dc" ("dd" is
  // VM_DONTDUMP): Documentation/filesystems/proc.rst.
  ringIt('an mmap ring\'s mapped regions are MADV_DONTFORK (VmFlags dc in /proc/self/smaps)', 'mmap', () => {
    // libuv maps io_uring rings of its own (Node 22 and later batch epoll
    // with one): only the regions that appear with this ring are its.
    const before = new Set(ioUringRegions().map((r) => r.header));
    open(8, { memory: 'mmap' });
    const regions = ioUringRegions().filter((r) => !before.has(r.header));
    expect(regions.length).toBeGreaterThanOrEqual(2); // the rings and the SQEs
    for (const r of regions) expect(r.flags, r.header).toContain('dc');
  });
});

// The io_uring mappings of this process, from /proc/self/smaps: each
// region's header line and its VmFlags.
function ioUringRegions(): { header: string; flags: string[] }[] {
  const regions: { header: string; flags: string[] }[] = [];
  let current: { header: string; flags: string[] } | null = null;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      current = line.includes('io_uring') ? { header: line, flags: [] } : null;
      if (current) regions.push(current);
    } else if (current && line.startsWith('VmFlags:')) {
      current.flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
    }
  }
  return regions;
}
