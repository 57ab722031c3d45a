/**
 * AsyncRing (lib/async/async-ring.ts): a promise per operation, one submit
 * for what a tick started, AbortSignal cancellation, linked timeouts,
 * chains, `run` for any encoder, and close(). Everything runs for each waker
 * ('poll', 'doorbell') and for a SINGLE_ISSUER | DEFER_TASKRUN ring (poll
 * waker only: the doorbell refuses it). RELIABILITY.md cases 11, 15, 16, 19,
 * 23, 24 and 25 at this layer carry their number in the title.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { closeSync, mkdtempSync, openSync, promises as fsp, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ffi from '../ffi/index.ts';
import {
  AT_FDCWD, IORING_OP_READ, IoUringError, STATX_BASIC_STATS,
  decodeStatx, prepFsync, prepNop, prepRead, prepRw, prepStatx, prepWrite, ERRNO, type Sqe } from '../lib/index.ts';
import { AsyncRing, type AsyncRingOptions, type OpOptions } from '../lib/async/async-ring.ts';
import { GEN_SPAN, MSG_BASE, generationOf, slotOf } from '../lib/async/user-data.ts';
import { addressFor } from '../lib/ring/memory.ts';
import { compiled, forceGc, openFds, settledFds } from './helpers.ts';
import { DEFER, collected, hex, noDefer, outcome, rejection, spyCqes, text, tick, ticks, variants } from './async-helpers.ts';

const { EBADF, ECANCELED } = ERRNO;

// A file of known content for the reads, and a folder for files the tests write.
const dir = mkdtempSync(join(tmpdir(), 'tsuring-async-'));
const FILE = join(dir, 'data');
const CONTENT = pattern(64 * 1024, 7);
writeFileSync(FILE, CONTENT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Rings and fds a test opens: the rings are closed (settling what is still
// pending) before the fds, after each test.
const rings: AsyncRing[] = [];
const fds: number[] = [];
afterEach(async () => {
  for (const io of rings.splice(0)) await io.close();
  for (const fd of fds.splice(0)) closeSync(fd);
});

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >>> 8) + seed * 31) & 0xff);
}





function fileFd(): number {
  const fd = openSync(FILE, 'r');
  fds.push(fd);
  return fd;
}

let scratchN = 0;
function scratch(): { fd: number; path: string } {
  const path = join(dir, `scratch-${scratchN++}`);
  const fd = openSync(path, 'w+');
  fds.push(fd);
  return { fd, path };
}

/**
 * An fd number no file has: EBADF, like a closed fd. (A number just closed
 * would do too, but the operation reaches the kernel a microtask later, and
 * by then anything may have reused the number; a read of a reused number
 * once stole bytes from the test runner's own channel.)
 */
function closedFd(): number {
  return 2 ** 30;
}

/** A blocking pipe, [read end, write end]: a read of it never completes until written. */
function newPipe(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  fds.push(...p);
  return p;
}

/** A read into a buffer nothing but the ring references; the WeakRef tells whether it is still alive. */
function readUnheld(io: AsyncRing, fd: number, len: number, opts?: OpOptions): { promise: Promise<number>; ref: WeakRef<Uint8Array> } {
  const buf = new Uint8Array(len);
  return { promise: io.read(fd, buf, -1, opts), ref: new WeakRef(buf) };
}


/** Samples cqHasOverflow() every turn of the loop until the returned function is called; it says whether it was ever set. */
function watchOverflow(io: AsyncRing): () => boolean {
  let seen = false;
  let on = true;
  const sample = () => {
    if (!on) return;
    if (io.ring.cqHasOverflow()) seen = true;
    setImmediate(sample);
  };
  sample();
  return () => {
    on = false;
    return seen || io.ring.cqHasOverflow();
  };
}

const runChild = (...args: string[]) => execFileSync(process.execPath, [compiled('tests/fixtures/async-child.ts'), ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });


describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { kind, options, skip }) => {
  const test = it.skipIf(skip !== '');
  const open = (extra: AsyncRingOptions = {}): AsyncRing => {
    const io = new AsyncRing({ entries: 8, ...options, ...extra });
    rings.push(io);
    return io;
  };

  describe('operations', () => {
    test('nop resolves with 0', async () => {
      const io = open();
      await expect(io.nop()).resolves.toBe(0);
      expect(io.pending).toBe(0);
    });

    test('write, writev, fsync, read and readv move the right bytes', async () => {
      const io = open();
      const { fd, path } = scratch();
      const a = pattern(100, 1);
      const b = pattern(50, 2);
      const c = pattern(30, 3);
      const all = Buffer.concat([a, b, c]);
      expect(await io.write(fd, a, 0)).toBe(100);
      expect(await io.writev(fd, [b, c], 100)).toBe(80);
      expect(await io.fsync(fd)).toBeUndefined();
      expect(await io.fsync(fd, { datasync: true })).toBeUndefined();
      expect(readFileSync(path).toString('hex')).toBe(hex(all));
      const whole = new Uint8Array(200);
      expect(await io.read(fd, whole, 0)).toBe(180); // short: the file ends
      expect(hex(whole.subarray(0, 180))).toBe(hex(all));
      const x = new Uint8Array(120);
      const y = new Uint8Array(60);
      expect(await io.readv(fd, [x, y], 0)).toBe(180);
      expect(hex(x) + hex(y)).toBe(hex(all));
      const part = new Uint8Array(50).fill(0xee);
      expect(await io.read(fd, part, 10, { length: 20 })).toBe(20); // `length` bytes only
      expect(hex(part)).toBe(hex(all.subarray(10, 30)) + 'ee'.repeat(30));
    });

    test('offset -1 reads at the file position and moves it on', async () => {
      const io = open();
      const fd = fileFd();
      readSync(fd, Buffer.alloc(10), 0, 10, null); // position 10
      const buf = new Uint8Array(20);
      expect(await io.read(fd, buf)).toBe(20); // offset defaults to -1
      expect(hex(buf)).toBe(hex(CONTENT.subarray(10, 30)));
      const next = Buffer.alloc(5);
      readSync(fd, next, 0, 5, null);
      expect(hex(next)).toBe(hex(CONTENT.subarray(30, 35)));
    });

    test('a read into a too-short buffer rejects with RangeError, and no read reaches the kernel', async () => {
      const io = open();
      const [r, w] = newPipe();
      writeSync(w, 'data');
      const err = await rejection(io.read(r, new Uint8Array(2), -1, { length: 4 }));
      expect(err).toBeInstanceOf(RangeError);
      await ticks(2);
      expect(io.pending).toBe(0);
      const left = Buffer.alloc(8);
      expect(readSync(r, left, 0, 8, null)).toBe(4); // the pipe still holds every byte
      expect(await io.nop()).toBe(0);
    });

    test('a slot used 300 times (user_data past 2^32, its generation in the high word): reads, a chain and an abort still find their own', async () => {
      const io = open();
      const seen = spyCqes(io);
      const fd = fileFd();
      for (let i = 0; i < 300; i++) {
        const buf = new Uint8Array(1 + (i % 7));
        expect(await io.read(fd, buf, i * 11)).toBe(buf.byteLength);
        expect(hex(buf)).toBe(hex(CONTENT.subarray(i * 11, i * 11 + buf.byteLength)));
      }
      // One slot served them all (each settled before the next began), so
      // the generation (from a random start, its high bits in the high
      // word) moved on by one each time, modulo GEN_SPAN. (The doorbell's
      // own entries, above MSG_BASE, are left out.)
      const ops = seen.filter((c) => c.ud < MSG_BASE);
      const gens = ops.map((c) => generationOf(c.ud % 2 ** 32, Math.floor(c.ud / 2 ** 32)));
      expect(gens.length).toBe(300);
      for (let i = 1; i < gens.length; i++) expect((gens[i]! - gens[i - 1]! + GEN_SPAN) % GEN_SPAN).toBe(1);
      expect(gens.some((g) => g >= 64)).toBe(true); // 300 in a row: at most 64 fit the low word alone
      expect(new Set(ops.map((c) => slotOf(c.ud % 2 ** 32))).size).toBe(1);
      const [r, w] = newPipe();
      const ac = new AbortController();
      const parked = io.read(r, new Uint8Array(1), -1, { signal: ac.signal });
      const chained = io.chain([(sqe) => prepNop(sqe), (sqe) => prepNop(sqe)]);
      ac.abort();
      expect(await outcome(parked)).toBe('AbortError');
      expect(await chained).toEqual([0, 0]);
      writeSync(w, 'z');
      const got = new Uint8Array(1);
      expect(await io.read(r, got)).toBe(1);
      expect(text(got)).toBe('z');
      expect(io.pending).toBe(0);
    });

    test('a closed fd rejects with EBADF (errno -9, syscall read), and the ring goes on working', async () => {
      const io = open();
      const err = await rejection(io.read(closedFd(), new Uint8Array(8), 0));
      expect(err).toBeInstanceOf(IoUringError);
      expect(err).toMatchObject({ code: 'EBADF', errno: -EBADF, syscall: 'read' });
      const buf = new Uint8Array(8);
      expect(await io.read(fileFd(), buf, 100)).toBe(8);
      expect(hex(buf)).toBe(hex(CONTENT.subarray(100, 108)));
      expect(io.pending).toBe(0);
    });

    test('timeout(ms) and timeout({ sec, nsec }) resolve with 0', async () => {
      const io = open();
      expect(await io.timeout(5)).toBe(0);
      expect(await io.timeout({ sec: 0, nsec: 2_000_000 })).toBe(0);
      expect(io.pending).toBe(0);
    });

    test('run(prep, { keep, name }) resolves with res (a statx, checked with decodeStatx); a failure rejects with syscall = name', async () => {
      const io = open();
      const sx = new Uint8Array(256);
      const res = await io.run((sqe) => { prepStatx(sqe, AT_FDCWD, FILE, 0, STATX_BASIC_STATS, sx); }, { keep: [sx], name: 'statx' });
      expect(res).toBe(0);
      const st = decodeStatx(sx);
      expect(st.size).toBe(CONTENT.length);
      expect(st.ino).toBe(statSync(FILE).ino);
      expect(st.mode & 0o170000).toBe(0o100000); // S_IFREG
      const err = await rejection(io.run((sqe) => { prepStatx(sqe, AT_FDCWD, join(dir, 'missing')); }, { name: 'statx' }));
      expect(err).toBeInstanceOf(IoUringError);
      expect(err).toMatchObject({ code: 'ENOENT', syscall: 'statx' });
      const unnamed = await rejection(io.run((sqe) => prepRead(sqe, closedFd(), new Uint8Array(4), 4, 0)));
      expect(unnamed).toMatchObject({ code: 'EBADF', syscall: 'io_uring op' });
    });

    test('run keeps what `keep` names until the CQE: a raw read into a buffer held by nothing else survives gc()', async () => {
      const io = open();
      const [r, w] = newPipe();
      const start = () => {
        const buf = new Uint8Array(4096);
        const p = io.run((sqe) => prepRw(IORING_OP_READ, sqe, r, addressFor(buf, buf.byteLength, 'buf'), buf.byteLength, -1), { keep: [buf] });
        return { p, ref: new WeakRef(buf) };
      };
      const { p, ref } = start();
      await tick();
      forceGc();
      expect(ref.deref()).toBeDefined();
      writeSync(w, 'kept');
      const n = await p;
      expect(n).toBe(4);
      expect(Buffer.from(ref.deref()!.subarray(0, 4)).toString()).toBe('kept');
    });

    test('await using closes the ring at the end of the block (Symbol.asyncDispose)', async () => {
      let ring: AsyncRing['ring'];
      {
        await using io = new AsyncRing({ entries: 8, ...options });
        ring = io.ring;
        expect(await io.nop()).toBe(0);
        expect(ring.isClosed).toBe(false);
      }
      expect(ring.isClosed).toBe(true);
    });
  });

  describe('11. more operations than the SQ holds', () => {
    test('50 × the SQ size in one tick: all complete, each with its own result, and the CQ never overflows', async () => {
      const io = open();
      const n = 50 * io.ring.sqEntries;
      const fd = fileFd();
      // Reads of distinct lengths at distinct offsets, between NOPs.
      const len = (i: number) => 1 + (i % 13);
      const bufs = Array.from({ length: n }, (_, i) => new Uint8Array(len(i)));
      const settled = new Array<number>(n).fill(0);
      const overflowed = watchOverflow(io);
      const ops = bufs.map((buf, i) => (i % 2 ? io.nop() : io.read(fd, buf, 16 * i)).finally(() => settled[i]!++));
      expect(io.pending).toBe(n);
      const results = await Promise.all(ops);
      await ticks(3);
      expect(overflowed()).toBe(false);
      expect(io.ring.cqOverflowCount()).toBe(0);
      expect(settled.every((s) => s === 1)).toBe(true);
      expect(results).toEqual(bufs.map((_, i) => (i % 2 ? 0 : len(i))));
      for (let i = 0; i < n; i += 2) expect(hex(bufs[i]!)).toBe(hex(CONTENT.subarray(16 * i, 16 * i + len(i))));
      expect(io.pending).toBe(0);
    });

    test('pipe reads beyond the CQ size, completing together: each gets its own data, no overflow', async () => {
      for (const [entries, count] of [[8, 40], [32, 100]] as const) {
        const io = open({ entries });
        const pipes = Array.from({ length: count }, newPipe);
        const bufs = pipes.map((_, i) => new Uint8Array(8 + (i % 5)));
        const overflowed = watchOverflow(io);
        const ops = pipes.map(([r], i) => io.read(r, bufs[i]!));
        await ticks(2);
        expect(io.pending).toBe(count);
        pipes.forEach(([, w], i) => writeSync(w, pattern(bufs[i]!.length, i + 1)));
        expect(await Promise.all(ops)).toEqual(bufs.map((b) => b.length));
        bufs.forEach((b, i) => expect(hex(b)).toBe(hex(pattern(b.length, i + 1))));
        expect(overflowed()).toBe(false);
        expect(io.pending).toBe(0);
      }
    });
  });

  describe('15. abort', () => {
    test('a read that never completes rejects with AbortError (cause: the reason) once the kernel lets go; the buffer is held until then, collectable after', async () => {
      const io = open();
      const [r] = newPipe();
      const ac = new AbortController();
      const reason = new Error('enough');
      const { promise, ref } = readUnheld(io, r, 64, { signal: ac.signal });
      let pendingAtRejection = -1;
      const done = rejection(promise).finally(() => { pendingAtRejection = io.pending; });
      await tick(); // submitted; a new turn, so the WeakRef no longer pins the buffer
      expect(io.pending).toBe(1);
      ac.abort(reason);
      // Nothing settled in the abort listener: the read stays in flight, and its
      // buffer referenced, until the kernel's CQE.
      expect(io.pending).toBe(1);
      forceGc();
      expect(ref.deref()).toBeDefined();
      const err = await done;
      expect(err.name).toBe('AbortError');
      expect(err.cause).toBe(reason);
      expect(pendingAtRejection).toBe(0);
      expect(await collected(ref)).toBe(true);
    });

    test('an already-aborted signal rejects at once, submitting nothing', async () => {
      const io = open();
      const reason = new Error('too late');
      const p = io.read(fileFd(), new Uint8Array(8), 0, { signal: AbortSignal.abort(reason) });
      expect(io.pending).toBe(0);
      expect(io.ring.sqReady()).toBe(0);
      const err = await rejection(p);
      expect(err.name).toBe('AbortError');
      expect(err.cause).toBe(reason);
    });

    test('aborting after completion does nothing', async () => {
      const io = open();
      const ac = new AbortController();
      const buf = new Uint8Array(8);
      expect(await io.read(fileFd(), buf, 0, { signal: ac.signal })).toBe(8);
      ac.abort();
      expect(io.ring.sqReady()).toBe(0); // no cancel queued
      await ticks(2);
      expect(io.pending).toBe(0);
      expect(hex(buf)).toBe(hex(CONTENT.subarray(0, 8)));
      expect(await io.nop()).toBe(0);
    });

    test('an operation still waiting for room in the SQ rejects with AbortError and never runs', async () => {
      const io = open();
      const [r, w] = newPipe();
      const ac = new AbortController();
      const first = Array.from({ length: 40 }, () => io.nop());
      const late = io.read(r, new Uint8Array(4), -1, { signal: ac.signal });
      ac.abort();
      expect((await rejection(late)).name).toBe('AbortError');
      await Promise.all(first);
      writeSync(w, 'left');
      const left = Buffer.alloc(4);
      expect(readSync(r, left, 0, 4, null)).toBe(4); // the read never took it
      expect(left.toString()).toBe('left');
      expect(io.pending).toBe(0);
    });
  });

  describe('16. a cancel that loses the race', () => {
    test('an abort in the same tick as an inline completion: one outcome, delivered once', async () => {
      for (const entries of [8, 64]) {
        const io = open({ entries });
        const fd = fileFd();
        const seen: string[][] = [];
        const bufs: Uint8Array[] = [];
        const ps: Promise<unknown>[] = [];
        for (let i = 0; i < 20; i++) {
          const ac = new AbortController();
          const got: string[] = [];
          const buf = new Uint8Array(4);
          const p = i % 2 ? io.nop({ signal: ac.signal }) : io.read(fd, buf, 4 * i, { signal: ac.signal });
          ps.push(p.then((v) => got.push(`ok ${v}`), (e: Error) => got.push(e.name)));
          ac.abort(); // the listener runs now, before the flush that submits the operation
          seen.push(got);
          bufs.push(buf);
        }
        await Promise.all(ps);
        await ticks(3);
        expect(io.pending).toBe(0);
        seen.forEach((got, i) => {
          expect(got).toHaveLength(1);
          expect(i % 2 ? ['ok 0', 'AbortError'] : ['ok 4', 'AbortError']).toContain(got[0]);
          if (got[0] === 'ok 4') expect(hex(bufs[i]!)).toBe(hex(CONTENT.subarray(4 * i, 4 * i + 4)));
        });
        expect(await io.nop()).toBe(0);
      }
    });

    test('a stale abort never reaches the operation that reused the slot', async () => {
      const io = open();
      const acA = new AbortController();
      expect(await io.nop({ signal: acA.signal })).toBe(0);
      const [r, w] = newPipe();
      const buf = new Uint8Array(5);
      const b = outcome(io.read(r, buf)); // takes the slot A left (the only free one)
      await tick();
      acA.abort();
      expect(io.ring.sqReady()).toBe(0);
      await ticks(3);
      expect(io.pending).toBe(1);
      writeSync(w, 'hello');
      expect(await b).toBe('ok 5');
      expect(Buffer.from(buf).toString()).toBe('hello');
    });

    // An encoder that throws settles its operation at once; the listener on
    // its signal must go with it, or aborting that signal later would cancel
    // whatever operation reuses the slot.
    test('a stale abort never reaches the slot of an operation whose encoder threw', async () => {
      const io = open();
      const acA = new AbortController();
      const [r, w] = newPipe();
      expect(await rejection(io.read(r, new Uint8Array(2), -1, { signal: acA.signal, length: 4 }))).toBeInstanceOf(RangeError);
      const buf = new Uint8Array(5);
      const b = outcome(io.read(r, buf)); // no signal; takes the slot A left
      await tick();
      acA.abort();
      await ticks(3);
      writeSync(w, 'hello');
      expect(await b).toBe('ok 5');
    });
  });

  describe('linked timeouts', () => {
    test('a read of an empty pipe with { timeout: 20 } rejects with ETIME', async () => {
      const io = open();
      const [r] = newPipe();
      const err = await rejection(io.read(r, new Uint8Array(8), -1, { timeout: 20 }));
      expect(err).toBeInstanceOf(IoUringError);
      expect(err).toMatchObject({ code: 'ETIME', errno: -62, syscall: 'read' });
      expect(io.pending).toBe(0);
      expect(await io.nop()).toBe(0);
    });

    // Checked before any entry is written: found after the operation's own
    // entry, a bad timeout used to leave that entry in the SQ with
    // IOSQE_IO_LINK set, so the next operation ran linked to it, and its
    // CQE drove the in-flight count to -1.
    test('a bad option (timeout, signal, keep, options) rejects with its error, writes no entry, and leaves the count at 0', async () => {
      const io = open();
      const bad: [OpOptions, ErrorConstructor, RegExp][] = [
        [{ timeout: -5 }, RangeError, /timeout/],
        [{ timeout: NaN }, RangeError, /timeout/],
        [{ timeout: 1e300 }, RangeError, /2\^53 seconds/], // BigInt(1e297) wraps tv_sec to a past time
        [{ timeout: { sec: 1, nsec: 2e9 } }, RangeError, /nsec/],
        [{ timeout: '5' as unknown as number }, TypeError, /timeout/],
        [{ signal: {} as AbortSignal }, TypeError, /AbortSignal/],
        [{ signal: null as unknown as AbortSignal }, TypeError, /AbortSignal/],
        [{ keep: 5 as unknown as unknown[] }, TypeError, /keep/],
        [7 as unknown as OpOptions, TypeError, /options/],
      ];
      for (const [opts, type, message] of bad) {
        let p: Promise<number> | undefined;
        expect(() => { p = io.nop(opts); }).not.toThrow(); // a rejection, not a throw
        expect(io.ring.sqReady()).toBe(0);
        const err = await rejection(p!);
        expect(err).toBeInstanceOf(type);
        expect((err as Error).message).toMatch(message);
        expect(io.pending).toBe(0);
      }
      // The next operations run on their own, and the count stays right.
      const [r] = newPipe();
      expect(await rejection(io.read(r, new Uint8Array(4), -1, { timeout: 5 }))).toMatchObject({ code: 'ETIME' });
      expect(await io.nop()).toBe(0);
      expect(io.pending).toBe(0);
    });

    test('a fast operation with a long timeout resolves normally', async () => {
      const io = open();
      expect(await io.nop({ timeout: 10_000 })).toBe(0);
      const buf = new Uint8Array(16);
      expect(await io.read(fileFd(), buf, 32, { timeout: { sec: 10, nsec: 0 } })).toBe(16);
      expect(hex(buf)).toBe(hex(CONTENT.subarray(32, 48)));
      expect(io.pending).toBe(0);
    });
  });

  describe('chain', () => {
    test('[write, fsync, read] on a file gives the three results in order', async () => {
      const io = open();
      const { fd } = scratch();
      const data = pattern(64, 5);
      const back = new Uint8Array(64);
      const res = await io.chain([
        (sqe) => prepWrite(sqe, fd, data, 64, 0),
        (sqe) => prepFsync(sqe, fd),
        (sqe) => prepRead(sqe, fd, back, 64, 0),
      ]);
      expect(res).toEqual([64, 0, 64]);
      expect(hex(back)).toBe(hex(data));
    });

    test('a chain whose second link fails gives [ok, -EBADF, -ECANCELED]', async () => {
      const io = open();
      const { fd } = scratch();
      const buf = new Uint8Array(8);
      const bad = closedFd();
      const res = await io.chain([(sqe) => prepWrite(sqe, fd, pattern(8, 1), 8, 0), (sqe) => prepRead(sqe, bad, buf, 8, 0), prepNop]);
      expect(res).toEqual([8, -EBADF, -ECANCELED]);
      expect(io.pending).toBe(0);
    });

    test('a chain longer than the limit rejects with RangeError, queueing nothing', async () => {
      const io = open(); // 8 entries: at most 5 links (three held back)
      const p = io.chain(new Array(6).fill(prepNop));
      expect(io.ring.sqReady()).toBe(0);
      await expect(p).rejects.toThrow(RangeError);
      expect(await io.chain(new Array(5).fill(prepNop))).toEqual([0, 0, 0, 0, 0]);
      const big = open({ entries: 256 }); // at most 64 links
      await expect(big.chain(new Array(65).fill(prepNop))).rejects.toThrow(RangeError);
      expect(await big.chain(new Array(64).fill(prepNop))).toEqual(new Array(64).fill(0));
      await expect(io.chain([])).rejects.toThrow(TypeError);
    });

    test('run() and chain() refuse what is not an encoder with a TypeError naming it, writing nothing', async () => {
      const io = open();
      const p = io.run(5 as unknown as (sqe: Sqe) => void);
      const q = io.chain([prepNop, 'x' as unknown as (sqe: Sqe) => void]);
      expect(io.ring.sqReady()).toBe(0);
      await expect(p).rejects.toThrow(/run needs an encoder/);
      await expect(q).rejects.toThrow(/entry 1 is not a function/);
      expect(io.pending).toBe(0);
      expect(await io.chain([prepNop, prepNop])).toEqual([0, 0]);
    });

    // A signal cancels a chain like any operation: AbortError once the kernel
    // has let go of every link.
    test('an aborted chain rejects with AbortError', async () => {
      const io = open();
      const [r] = newPipe();
      const ac = new AbortController();
      const p = outcome(io.chain([(sqe) => prepRead(sqe, r, new Uint8Array(4), 4, -1), prepNop], { signal: ac.signal }));
      await tick();
      ac.abort();
      expect(await p).toBe('AbortError');
    });
  });

  describe('23. close() with operations in flight', () => {
    test('close() in the same tick as a volley that fills the SQ resolves once all settle (its cancels submit the volley)', async () => {
      const io = open(); // 8 entries: six operations leave no room for a cancel
      const ops = Array.from({ length: 6 }, () => io.nop());
      const outcomes = Promise.allSettled(ops);
      const closed = io.close();
      const hung = new Promise<string>((r) => setTimeout(() => r('close() did not resolve'), 3000).unref());
      expect(await Promise.race([closed.then(() => 'closed'), hung])).toBe('closed');
      for (const o of await outcomes) {
        // Each NOP either completed inside the cancels' submit or was cancelled.
        if (o.status === 'fulfilled') expect(o.value).toBe(0);
        else expect(o.reason).toMatchObject({ code: 'ECANCELED', syscall: 'nop' });
      }
      expect(io.pending).toBe(0);
    });

    test('each pending promise rejects (ECANCELED) before close() resolves; the fds are released; a second close resolves; later operations reject', async () => {
      const [r] = newPipe();
      const before = await settledFds();
      const io = open();
      const order: string[] = [];
      const read = io.read(r, new Uint8Array(8));
      const timer = io.timeout(10_000);
      read.catch(() => order.push('read'));
      timer.catch(() => order.push('timeout'));
      await tick();
      expect(io.pending).toBe(2);
      const closing = io.close();
      closing.then(() => order.push('closed'));
      const second = io.close();
      for (const [p, syscall] of [[read, 'read'], [timer, 'timeout']] as const) {
        const err = await rejection(p);
        expect(err).toBeInstanceOf(IoUringError);
        expect(err).toMatchObject({ code: 'ECANCELED', syscall });
      }
      await closing;
      await expect(second).resolves.toBeUndefined();
      expect([...order].sort()).toEqual(['closed', 'read', 'timeout']);
      expect(order.at(-1)).toBe('closed');
      expect(io.ring.isClosed).toBe(true);
      expect(io.pending).toBe(0);
      expect(openFds()).toBe(before);
      await expect(io.close()).resolves.toBeUndefined();
      let started: Promise<number> | undefined;
      expect(() => { started = io.nop(); }).not.toThrow(); // a rejection, not a throw
      const late = await rejection(started!);
      expect(late).toBeInstanceOf(IoUringError);
      expect(late.message).toMatch(/closed/);
    });

    // close() marks the ring closed before it submits its cancels, so even
    // the cancellations that complete inline, in that very submit, reject
    // with the "closed" error.
    test(`every pending promise's error says the ring was closed`, async () => {
      const io = open();
      const [r] = newPipe();
      const read = rejection(io.read(r, new Uint8Array(8)));
      const timer = rejection(io.timeout(10_000));
      await tick();
      await io.close();
      expect((await read).message).toMatch(/closed/);
      expect((await timer).message).toMatch(/closed/);
    });

    // RELIABILITY 23 holds for chains too.
    test('a chain in flight rejects with the "closed" error too', async () => {
      const io = open();
      const [r] = newPipe();
      const p = rejection(io.chain([(sqe) => prepRead(sqe, r, new Uint8Array(4), 4, -1), prepNop]));
      await tick();
      await io.close();
      expect((await p).message).toMatch(/closed/);
    });
  });

  describe('24. the process lives exactly as long as work is pending (child process)', () => {
    // On a DEFER_TASKRUN ring the last getEvents leaves the eventfd readable;
    // the watcher is stopped at exit, or libuv would deliver that event during
    // teardown and koffi would abort the process (napi_throw, exit code 134).
    test('it exits by itself with nothing ever in flight', () => {
      expect(runChild(kind, 'idle')).toBe(`${kind} idle\nexit, pending 0\n`);
    });

    test('it exits by itself once an operation has come and gone', () => {
      expect(runChild(kind, 'after-op')).toBe(`${kind} after-op\nnop 0\nexit, pending 0\n`);
    });

    test('a pending 200 ms timeout keeps it alive until the timeout resolves', () => {
      expect(runChild(kind, 'pending')).toBe(`${kind} pending\ntimeout 0\nexit, pending 0\n`);
    });
  });

  test('25. with four operations pending forever, fs.stat, dns.lookup and crypto.pbkdf2 still complete', async () => {
    const io = open();
    const stuck = Array.from({ length: 4 }, () => rejection(io.read(newPipe()[0], new Uint8Array(8))));
    await tick();
    expect(io.pending).toBe(4);
    const [st, addr, key] = await Promise.all([
      fsp.stat(FILE),
      dns.lookup('localhost'),
      promisify(pbkdf2)('secret', 'salt', 5000, 32, 'sha256'),
    ]);
    expect(st.size).toBe(CONTENT.length);
    expect(addr.address).toMatch(/^(127\.|::1$)/);
    expect(key.toString('hex')).toBe(pbkdf2Sync('secret', 'salt', 5000, 32, 'sha256').toString('hex'));
    expect(io.pending).toBe(4);
    await io.close();
    for (const err of await Promise.all(stuck)) expect(err).toMatchObject({ code: 'ECANCELED', syscall: 'read' });
  });

  test('19. reads into buffers only the pending operation holds survive gc(); bystanders are untouched', async () => {
    const io = open({ entries: 32 });
    const held = Array.from({ length: 8 }, newPipe);
    const unheld = Array.from({ length: 8 }, newPipe);
    // Buffers small enough to live on V8's heap (<= 64 bytes), which moves them.
    const len = (i: number) => 16 + i;
    const readInto = async (fd: number, n: number) => {
      const buf = new Uint8Array(n);
      const got = await io.read(fd, buf);
      return { got, buf };
    };
    const framed = held.map(([r], i) => readInto(r, len(i)));
    const bare = unheld.map(([r], i) => readUnheld(io, r, len(i)));
    await tick();
    for (let round = 0; round < 3; round++) {
      Array.from({ length: 10_000 }, (_, i) => new Uint8Array(16 + (i % 48)));
      forceGc();
    }
    expect(bare.every(({ ref }) => ref.deref() !== undefined)).toBe(true);
    const bystanders = Array.from({ length: 256 }, (_, i) => new Uint8Array(16 + (i % 48)).fill(i & 0xff));
    held.forEach(([, w], i) => writeSync(w, pattern(len(i), i + 1)));
    unheld.forEach(([, w], i) => writeSync(w, pattern(len(i), i + 101)));
    const bareData = await Promise.all(bare.map(({ promise, ref }) => promise.then((got) => ({ got, buf: ref.deref() }))));
    for (const [i, { got, buf }] of (await Promise.all(framed)).entries()) {
      expect(got).toBe(len(i));
      expect(hex(buf)).toBe(hex(pattern(len(i), i + 1)));
    }
    for (const [i, { got, buf }] of bareData.entries()) {
      expect(got).toBe(len(i));
      expect(hex(buf!)).toBe(hex(pattern(len(i), i + 101)));
    }
    bystanders.forEach((b, i) => expect(b.every((x) => x === (i & 0xff))).toBe(true));
  });

  describe('the event loop', () => {
    test('operations started in one tick go to the kernel in one submit, and inline completions settle without a wake', async () => {
      const io = open({ entries: 32 });
      const ring = io.ring;
      let submits = 0;
      const submit = ring.submit.bind(ring);
      ring.submit = () => {
        submits++;
        return submit();
      };
      const fd = fileFd();
      const ops = [
        ...Array.from({ length: 10 }, () => io.nop()),
        ...Array.from({ length: 10 }, () => io.read(fd, new Uint8Array(16), 0)),
      ];
      // Nothing has reached the kernel yet: all twenty wait in the SQ.
      expect(ring.snapshot().sq!.prepared).toBe(20);
      expect(submits).toBe(0);
      const results = await Promise.all(ops);
      expect(results).toEqual([...Array(10).fill(0), ...Array(10).fill(16)]);
      // One submit carried them all; NOPs and page-cache reads complete
      // inside it, and the reap right after it settled them.
      expect(submits).toBe(1);
      expect(io.pending).toBe(0);
    });

    test('runs while an operation waits', async () => {
      const io = open();
      let ticked = 0;
      const timer = setInterval(() => ticked++, 1);
      try {
        expect(await io.timeout(30)).toBe(0);
      } finally {
        clearInterval(timer);
      }
      expect(ticked).toBeGreaterThan(0);
    });

    test('is not starved by loops of awaited inline reads: a setTimeout fires while 32 of them run', async () => {
      const io = open({ entries: 64 });
      const fd = fileFd();
      const LIMIT = 5000;
      let fired = false;
      setTimeout(() => { fired = true; }, 1);
      const loop = async () => {
        const buf = new Uint8Array(64);
        let i = 0;
        for (; !fired && i < LIMIT; i++) await io.read(fd, buf, 0);
        return i;
      };
      const counts = await Promise.all(Array.from({ length: 32 }, loop));
      expect(fired).toBe(true);
      expect(Math.max(...counts)).toBeLessThan(LIMIT); // the timer, not the limit, ended them
    });
  });
});

describe('the doorbell waker on a DEFER_TASKRUN ring', () => {
  it.skipIf(noDefer !== '')(`is refused with the reason, and the ring made for it is closed${noDefer ? ` (skipped: ${noDefer})` : ''}`, () => {
    const before = openFds();
    expect(() => new AsyncRing({ entries: 8, waker: 'doorbell', flags: DEFER })).toThrow(/DEFER_TASKRUN/);
    expect(openFds()).toBe(before);
  });
});
