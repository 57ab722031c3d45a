/**
 * AsyncRing's multishot iterators (lib/async/async-ring.ts, multishot.ts)
 * against the real kernel: acceptMultishot, recvMultishot and
 * readMultishot with their provided-buffer pools, pollMultishot and
 * timeoutMultishot; leaving a loop, aborting one, closing the ring under
 * one, and an operation the kernel ends with an error. RELIABILITY.md cases
 * 17 (a multishot that ends: thrown on its final CQE, nothing routed to a
 * recycled slot after) and 22 (a buffer in flight transferred to a worker)
 * carry their number in the title.
 *
 * Everything runs for each waker ('poll', 'doorbell') and for a
 * SINGLE_ISSUER | DEFER_TASKRUN ring, as tests/async-ring.test.ts does. A
 * test whose opcode the running kernel lacks skips with the probe's reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ffi from '../ffi/index.ts';
import {
  AsyncRing, ERRNO, IoUringError, type AsyncRingOptions, type Chunk,
  IORING_CQE_F_MORE, IORING_OP_BIND, IORING_OP_LISTEN,
  IORING_OP_POLL_ADD, IORING_OP_READ_MULTISHOT, IORING_OP_RECV, IORING_OP_SOCKET, IORING_OP_TIMEOUT,
} from '../lib/index.ts';

import { POLLIN } from '../lib/uapi/poll.ts';
import { RECV_CAP } from '../lib/async/streams.ts';
import { forceGc, opcodesMissing } from './helpers.ts';
import { bytes, hex, rejection, spyCqes, testResources, text, tick, ticks, variants, type Failure } from './async-helpers.ts';
import { MSG_WAITALL, SHUT_WR, SOCK_STREAM, AF_UNIX } from '../lib/uapi/net.ts';

const { ENOBUFS } = ERRNO;

const dir = mkdtempSync(join(tmpdir(), 'tsuring-multishot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { rings, cleanups, track, untrack } = testResources();

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >>> 5) + seed * 13) & 0xff);
}

/** `p`, or a rejection after `ms`: an upper bound on a wait, so a lost completion fails instead of hanging. */
function within<T>(p: Promise<T>, ms = 5000, what = 'the iterator'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The next value of `it` (which must not be done), bounded. */
async function nextValue<T>(it: AsyncIterator<T>): Promise<T> {
  const r = await within(it.next());
  if (r.done) throw new Error('the iterator ended');
  return r.value;
}

/** The error the next step of `it` throws (a value or a clean end fails the test). */
async function thrown(it: AsyncIterator<unknown>): Promise<Failure> {
  try {
    const r = await within(it.next());
    throw new Error(`expected the loop to throw, got ${r.done ? 'its end' : `a value (${String(r.value)})`}`);
  } catch (e) {
    return e as Failure;
  }
}

/** Polls `cond` once a turn, for at most `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function expectClosedError(err: Failure, syscall: string): void {
  expect(err).toBeInstanceOf(IoUringError);
  expect({ code: err.code, syscall: err.syscall }).toEqual({ code: 'ECANCELED', syscall });
  expect(err.message).toMatch(/closed/);
}

/** A blocking pipe, [read end, write end]. */
function newPipe(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  return [track(p[0]), track(p[1])];
}

/** Reads what a pipe holds now (known not to be empty). */
function drain(fd: number, max = 4096): string {
  const b = Buffer.alloc(max);
  const n = readSync(fd, b, 0, max, null);
  return b.subarray(0, n).toString('latin1');
}

let names = 0;
const sockPath = () => join(dir, `sock-${names++}`);

/** Connects a node:net client to a unix socket path; resolves once connected. Destroyed after the test. */
/**
 * How many of this process's fds are server ends of connections to the
 * AF_UNIX listener at `path`: sockets /proc/net/unix lists as connected
 * (state 03) under that path. Unlike a count of all open fds, nothing else
 * the process opens or closes meanwhile changes it.
 */
function acceptedFds(path: string): number {
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/); // Num RefCount Protocol Flags Type St Inode Path
    if (f[5] === '03' && f[7] === path) inodes.add(f[6]!);
  }
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m !== null && inodes.has(m[1]!)) n++;
    } catch {
      // closed since the directory was read
    }
  }
  return n;
}

async function client(path: string): Promise<net.Socket> {
  const s = net.connect({ path });
  cleanups.push(() => s.destroy());
  await within(new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  }), 5000, 'a node:net connect');
  return s;
}

const missing = opcodesMissing;
const NET = [IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN];

describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { kind, options, skip }) => {
  const open = (extra: AsyncRingOptions = {}): AsyncRing => {
    const io = new AsyncRing({ entries: 8, ...options, ...extra });
    rings.push(io);
    return io;
  };
  /** A test needing `ops`: skipped, with the reason in its title, when the variant or the kernel can't run it. */
  const test = (ops: number[], title: string, fn: () => Promise<void>) => {
    const why = skip || missing(...ops);
    it.skipIf(why !== '')(why ? `${title} (skipped: ${why})` : title, fn);
  };

  const socket = async (io: AsyncRing) => track(await io.socket(AF_UNIX, SOCK_STREAM));

  /** A listening AF_UNIX stream socket, made through the ring. */
  async function listener(io: AsyncRing): Promise<{ fd: number; path: string }> {
    const fd = await socket(io);
    const path = sockPath();
    await io.bind(fd, { path });
    await io.listen(fd, 64);
    return { fd, path };
  }

  /** A connected AF_UNIX stream pair [client, server], made through the ring. */
  async function pair(io: AsyncRing): Promise<[number, number]> {
    const l = await listener(io);
    const c = await socket(io);
    const accepted = io.accept(l.fd);
    await io.connect(c, { path: l.path });
    return [c, track(await accepted)];
  }

  /** Collects a receive loop's bytes (copied, each chunk released at once) until it ends. */
  async function collect(it: AsyncIterable<Chunk>, seen: { bids: number[] } = { bids: [] }): Promise<string> {
    let out = '';
    for await (const chunk of it) {
      out += text(chunk.data);
      seen.bids.push(chunk.bid);
      chunk.release();
      expect(chunk.released).toBe(true);
    }
    return out;
  }

  // ------------------------------------------------------------ accept

  describe('acceptMultishot', () => {
    test(NET, 'yields a connection fd per node:net client; leaving the loop cancels it, and the listening socket can then be closed', async () => {
      const io = open();
      const l = await listener(io);
      const clients = await Promise.all([0, 1, 2].map(() => client(l.path)));
      const accepted: number[] = [];
      const loop = (async () => {
        for await (const fd of io.acceptMultishot(l.fd)) {
          accepted.push(track(fd));
          if (accepted.length === 3) break;
        }
      })();
      await within(loop, 5000, 'the accept loop');
      expect(io.pending).toBe(0);
      // Each fd is one end of one client's connection.
      clients.forEach((c, i) => c.write(`client ${i}`));
      const heard = await Promise.all(accepted.map(async (fd) => {
        const buf = new Uint8Array(8);
        expect(await io.recv(fd, buf, MSG_WAITALL, { timeout: 5000 })).toBe(8);
        return text(buf);
      }));
      expect(heard.sort()).toEqual(['client 0', 'client 1', 'client 2']);
      // Nothing of the accept is left in the kernel: the listener closes, and
      // a later client is refused.
      await io.closeFd(untrack(l.fd));
      const late = net.connect({ path: l.path });
      cleanups.push(() => late.destroy());
      const err = await within(new Promise<NodeJS.ErrnoException>((resolve) => late.once('error', resolve)));
      expect(err.code).toBe('ECONNREFUSED');
    });

    test(NET, 'connections accepted but never taken when the loop is left are closed, not leaked', async () => {
      const io = open();
      const l = await listener(io);
      const clients = await Promise.all([0, 1, 2, 3, 4].map(() => client(l.path)));
      const ended = clients.map((c) => new Promise<void>((resolve) => c.once('end', resolve)));
      clients.forEach((c) => c.resume());
      const it = io.acceptMultishot(l.fd);
      const first = track(await nextValue(it));
      // All five are accepted into this process, four still queued in the
      // iterator. (Counted by their sockets, not by all open fds: a ring an
      // earlier test closed may let go of its fds during this wait.)
      await until(() => acceptedFds(l.path) === 5, 'five accepted fds');
      await within(it.return!());
      expect(io.pending).toBe(0);
      expect(acceptedFds(l.path)).toBe(1);
      // The four closed: their clients read end of stream; the one taken is open.
      const which = await Promise.all(ended.map((e) => Promise.race([e.then(() => 'ended'), ticks(20).then(() => 'open')])));
      expect(which.filter((w) => w === 'ended')).toHaveLength(4);
      clients[which.indexOf('open')]!.write('alive');
      const buf = new Uint8Array(5);
      expect(await io.recv(first, buf, MSG_WAITALL, { timeout: 5000 })).toBe(5);
      expect(text(buf)).toBe('alive');
    });

    test(NET, 'connections arriving just as the loop is left: whatever the kernel accepted is closed, nothing leaks', async () => {
      const io = open();
      const l = await listener(io);
      const it = io.acceptMultishot(l.fd);
      await client(l.path);
      const first = track(await nextValue(it));
      expect(first).toBeGreaterThanOrEqual(0);
      // Five connects in this very turn (each connect(2) runs now, and the
      // kernel may accept it at once), then leave.
      const late = Array.from({ length: 5 }, () => {
        // Half-open allowed: a client whose accepted end is closed reads end
        // of stream and stays open, erroring nothing.
        const s = net.connect({ path: l.path, allowHalfOpen: true });
        cleanups.push(() => s.destroy());
        s.on('error', () => {});
        return s;
      });
      await within(it.return!());
      expect(io.pending).toBe(0);
      await ticks(3);
      // No accepted fd survived but the one taken.
      expect(acceptedFds(l.path)).toBe(1);
    });

    test(NET, '17. an accept on a socket that is not listening throws on its final CQE (EINVAL, syscall acceptMultishot); the ring goes on', async () => {
      const io = open();
      const it = io.acceptMultishot(await socket(io));
      const err = await thrown(it);
      expect(err).toBeInstanceOf(IoUringError);
      expect({ code: err.code, syscall: err.syscall }).toEqual({ code: 'EINVAL', syscall: 'acceptMultishot' });
      expect(await within(it.next())).toEqual({ value: undefined, done: true });
      expect(io.pending).toBe(0);
      expect(await io.nop()).toBe(0);
    });
  });

  // ----------------------------------------------------------- receive

  describe('recvMultishot and readMultishot', () => {
    test(NET, 'recvMultishot: the chunks carry the bytes in order; end of stream ends the loop', async () => {
      const io = open();
      const [c, s] = await pair(io);
      const seen = { bids: [] as number[] };
      const got = collect(io.recvMultishot(s, 0, { bufferSize: 256, buffers: 4 }), seen);
      const parts = Array.from({ length: 12 }, (_, i) => pattern(50 + 37 * i, i + 1));
      for (const p of parts) {
        expect(await io.send(c, p)).toBe(p.length);
        await tick();
      }
      await io.shutdown(c, SHUT_WR);
      expect(hex(bytes(await within(got)))).toBe(parts.map(hex).join(''));
      // 12 sends of up to 457 bytes through four 256-byte buffers: recycled.
      expect(seen.bids.length).toBeGreaterThan(4);
      expect(seen.bids.every((b) => b >= 0 && b < 4)).toBe(true);
      expect(io.pending).toBe(0);
    });

    test(NET, 'recvMultishot with a tiny pool (2 × 4 bytes) and a consumer holding chunks: ENOBUFS stops it, a release resumes it, every byte arrives in order', async () => {
      const io = open();
      const seen = spyCqes(io);
      const [c, s] = await pair(io);
      const data = pattern(64, 7);
      expect(await io.send(c, data)).toBe(64); // all queued before the first receive
      await io.shutdown(c, SHUT_WR);
      const out: number[] = [];
      const held: Chunk[] = [];
      let maxHeld = 0;
      for await (const chunk of io.recvMultishot(s, 0, { buffers: 2, bufferSize: 4 })) {
        expect(chunk.data.byteLength).toBeLessThanOrEqual(4);
        expect([0, 1]).toContain(chunk.bid);
        out.push(...chunk.data);
        held.push(chunk);
        maxHeld = Math.max(maxHeld, held.length);
        if (held.length === 2) {
          await ticks(3); // both buffers out: the kernel has nowhere to put more
          for (const h of held.splice(0)) h.release();
        }
      }
      expect(hex(Uint8Array.from(out))).toBe(hex(data));
      expect(maxHeld).toBe(2);
      const enobufs = seen.filter((e) => e.res === -ENOBUFS);
      expect(enobufs.length).toBeGreaterThan(0);
      expect(enobufs.every((e) => (e.flags & IORING_CQE_F_MORE) === 0)).toBe(true);
      expect(io.pending).toBe(0);
    });

    test(NET, 'recvMultishot with maxQueued: a loop that stops taking chunks holds a few buffers of a large pool, not all of them; it goes on once the loop takes them, every byte in order', async () => {
      const io = open({ entries: 16 });
      const [c, s] = await pair(io);
      const pool = io.bufferPool({ size: 16, count: 128 });
      const data = pattern(4096, 5); // 256 buffers' worth: twice the pool
      const sent = (async () => {
        for (let off = 0; off < data.length; off += 256) await io.send(c, data.subarray(off, off + 256));
        await io.shutdown(c, SHUT_WR);
      })();
      const it = io.recvMultishot(s, 0, { pool, maxQueued: 2 });
      const first = await it.next();
      expect(first.done).toBe(false);
      await ticks(20); // the loop is stuck on its first chunk meanwhile
      const out: number[] = [...first.value!.data];
      first.value!.release();
      // Paused: the chunks that waited, and what the arming under way took
      // before the pause's cancel landed: at most maxQueued buffers' worth
      // where the kernel caps an arming (RECV_CAP, Linux 6.17), else up to
      // the 32 receives of one run; never the pool.
      const held = pool.count - pool.available;
      expect(held).toBeGreaterThanOrEqual(2);
      expect(held).toBeLessThanOrEqual(RECV_CAP ? 2 + 2 + 1 : 2 + 32 + 1);
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        out.push(...r.value.data);
        r.value.release();
      }
      await sent;
      expect(hex(Uint8Array.from(out))).toBe(hex(data));
      expect(pool.available).toBe(pool.count);
      expect(io.pending).toBe(0);
    });

    test([], 'recvMultishot refuses a maxQueued that is not a positive integer, through its iterator', async () => {
      const io = open();
      for (const bad of [0, -1, 1.5, NaN, '2', null]) {
        const r = await io.recvMultishot(0, 0, { maxQueued: bad as number }).next().then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`);
        expect(r).toMatch(/^RangeError: maxQueued must be a positive integer/);
      }
      expect(io.pending).toBe(0);
    });

    test(NET, 'a shared io.bufferPool() serves two receives at once, each getting its own bytes; it outlives them', async () => {
      const io = open({ entries: 16 });
      const pool = io.bufferPool({ size: 32, count: 8 });
      const [c1, s1] = await pair(io);
      const [c2, s2] = await pair(io);
      const bids: number[] = [];
      const seen = { bids };
      const a = collect(io.recvMultishot(s1, 0, { pool }), seen);
      const b = collect(io.recvMultishot(s2, 0, { pool }), seen);
      const one = pattern(700, 3);
      const two = pattern(900, 11);
      for (let i = 0; i < 10; i++) {
        await Promise.all([io.send(c1, one.subarray(i * 70, i * 70 + 70)), io.send(c2, two.subarray(i * 90, i * 90 + 90))]);
        await tick();
      }
      await Promise.all([io.shutdown(c1, SHUT_WR), io.shutdown(c2, SHUT_WR)]);
      expect(hex(bytes(await within(a)))).toBe(hex(one));
      expect(hex(bytes(await within(b)))).toBe(hex(two));
      expect(bids.every((x) => x >= 0 && x < 8)).toBe(true);
      expect(pool.isFreed).toBe(false);
      expect(pool.available).toBe(8);
      // Still registered and usable.
      const [c3, s3] = await pair(io);
      const third = collect(io.recvMultishot(s3, 0, { pool }));
      await io.send(c3, bytes('third'));
      await io.shutdown(c3, SHUT_WR);
      expect(await within(third)).toBe('third');
      // A pool is one ring's: another ring's receive refuses it.
      const other = open();
      await expect(other.recvMultishot(s3, 0, { pool }).next()).rejects.toThrow(TypeError);
      expect(io.pending).toBe(0);
    });

    test(NET, 'a shared pool run dry by one receive: the other stops with ENOBUFS, and resumes when the first releases its chunks', async () => {
      const io = open({ entries: 16 });
      const seen = spyCqes(io);
      const pool = io.bufferPool({ size: 4, count: 2 });
      const [c1, s1] = await pair(io);
      const [c2, s2] = await pair(io);
      await io.send(c1, bytes('AAAABBBB'));
      const x = io.recvMultishot(s1, 0, { pool });
      const held = [await nextValue(x), await nextValue(x)];
      expect(held.map((h) => text(h.data))).toEqual(['AAAA', 'BBBB']);
      expect(pool.available).toBe(0);
      const y = io.recvMultishot(s2, 0, { pool });
      const yFirst = y.next();
      await io.send(c2, bytes('ywin'));
      await until(() => seen.some((e) => e.res === -ENOBUFS), 'the ENOBUFS CQE');
      for (const h of held) h.release();
      const got = await within(yFirst);
      expect(text((got.value as Chunk).data)).toBe('ywin');
      (got.value as Chunk).release();
      await Promise.all([within(x.return!()), within(y.return!())]);
      expect(io.pending).toBe(0);
    });

    // Each buffer that comes back re-arms one starving receive, the one that
    // ran dry first. Waking all of them re-armed every one for each buffer,
    // and all but one ran dry again at once: an ENOBUFS each, per buffer
    // (at 10,000 connections, most of the server's time).
    test(NET, 'a pool run dry by many receives: each buffer that comes back re-arms one of them, in the order they ran dry, and each is served', async () => {
      const io = open({ entries: 64 });
      const seen = spyCqes(io);
      const enobufs = () => seen.filter((e) => e.res === -ENOBUFS).length;
      const pool = io.bufferPool({ size: 4, count: 2 });
      const N = 10;
      const pairs: [number, number][] = [];
      for (let i = 0; i <= N; i++) pairs.push(await pair(io));
      await io.send(pairs[0]![0], bytes('AAAABBBB'));
      const x = io.recvMultishot(pairs[0]![1], 0, { pool });
      const held = [await nextValue(x), await nextValue(x)];
      expect(pool.available).toBe(0);
      const its: AsyncIterableIterator<Chunk>[] = [];
      const firsts: Promise<IteratorResult<Chunk>>[] = [];
      for (let i = 1; i <= N; i++) {
        await io.send(pairs[i]![0], bytes(`r${String(i).padStart(3, '0')}`));
        const it = io.recvMultishot(pairs[i]![1], 0, { pool });
        its.push(it);
        firsts.push(it.next());
        await until(() => enobufs() === i, `receive ${i} parked on ENOBUFS`);
      }
      // One buffer back: the first to run dry gets it, and no other is re-armed.
      held[0]!.release();
      let got = await within(firsts[0]!);
      expect(text((got.value as Chunk).data)).toBe('r001');
      await ticks(5);
      expect(enobufs()).toBe(N);
      // Each release after that serves the next, in order.
      let last = got.value as Chunk;
      held[1]!.release();
      for (let i = 1; i < N; i++) {
        got = await within(firsts[i]!);
        expect(text((got.value as Chunk).data)).toBe(`r${String(i + 1).padStart(3, '0')}`);
        last.release();
        last = got.value as Chunk;
      }
      last.release();
      await ticks(5);
      expect(enobufs()).toBe(N);
      expect(pool.available).toBe(2);
      await Promise.all([within(x.return!()), ...its.map((it) => within(it.return!()))]);
      expect(io.pending).toBe(0);
    });

    // The kernel picks a multishot receive's buffer before it tries the
    // socket, so a receive armed on a dry pool runs dry with no bytes
    // waiting. Woken, it waits for bytes and leaves the buffer in the ring;
    // the buffer must then go on to the next waiter (the first version of
    // the one-wake-per-buffer change lost it, and 10,000 connections stalled).
    test(NET, 'receives that ran dry with no bytes waiting pass the buffer on: one released buffer reaches the receive behind them that has bytes', async () => {
      const io = open({ entries: 64 });
      const seen = spyCqes(io);
      const enobufs = () => seen.filter((e) => e.res === -ENOBUFS).length;
      const pool = io.bufferPool({ size: 4, count: 2 });
      const pairs: [number, number][] = [];
      for (let i = 0; i < 4; i++) pairs.push(await pair(io));
      await io.send(pairs[0]![0], bytes('AAAABBBB'));
      const x = io.recvMultishot(pairs[0]![1], 0, { pool });
      const held = [await nextValue(x), await nextValue(x)];
      // Two receives with nothing to read run dry at once; the third has bytes.
      const idle = [io.recvMultishot(pairs[1]![1], 0, { pool }), io.recvMultishot(pairs[2]![1], 0, { pool })];
      const idleFirst = idle.map((it) => it.next());
      await until(() => enobufs() === 2, 'the idle receives ran dry');
      await io.send(pairs[3]![0], bytes('data'));
      const y = io.recvMultishot(pairs[3]![1], 0, { pool });
      const yFirst = y.next();
      await until(() => enobufs() === 3, 'the receive with bytes ran dry');
      held[0]!.release();
      const got = await within(yFirst);
      expect(text((got.value as Chunk).data)).toBe('data');
      (got.value as Chunk).release();
      held[1]!.release();
      // The idle ones are armed again, and still get what comes later.
      await io.send(pairs[1]![0], bytes('late'));
      expect(text(((await within(idleFirst[0]!)).value as Chunk).data)).toBe('late');
      await Promise.all([within(x.return!()), within(y.return!()), ...idle.map((it) => within(it.return!()))]);
      await Promise.allSettled(idleFirst);
      expect(io.pending).toBe(0);
    });

    // A receive parked on ENOBUFS waits for the pool's whenAvailable; if its
    // loop is left while parked and another receive reuses the slot and
    // parks too, the first one's callback must not re-arm the old entry
    // (the old socket's bytes under the new loop). Found by this test.
    test(NET, '17. a receive that left while parked on ENOBUFS never re-arms into the receive that reused its slot', async () => {
        const io = open({ entries: 16 });
        const seen = spyCqes(io);
        const pool = io.bufferPool({ size: 4, count: 2 });
        const [c1, s1] = await pair(io);
        const [c2, s2] = await pair(io);
        const enobufs = () => seen.filter((e) => e.res === -ENOBUFS).length;
        await io.send(c1, bytes('AAAABBBBxxxx'));
        const x = io.recvMultishot(s1, 0, { pool });
        const held = [await nextValue(x), await nextValue(x)];
        await until(() => enobufs() === 1, 'X parked on ENOBUFS');
        await within(x.return!()); // X ends while parked, holding both buffers
        await io.send(c2, bytes('from s2!'));
        const y = io.recvMultishot(s2, 0, { pool }); // takes the slot X left
        const yFirst = y.next();
        await until(() => enobufs() === 2, 'Y parked on ENOBUFS');
        held[0]!.release();
        const got = await within(yFirst);
        expect(text((got.value as Chunk).data)).toBe('from'); // s2's bytes, never s1's 'xxxx'
      });

    test(NET, 'bad receive options fail the first step: buffers not a power of two (RangeError), a linked timeout (TypeError); nothing submitted', async () => {
      const io = open();
      const [, s] = await pair(io);
      await expect(io.recvMultishot(s, 0, { buffers: 3 }).next()).rejects.toThrow(RangeError);
      const timed = io.recvMultishot(s, 0, { timeout: 10 } as never);
      await expect(timed.next()).rejects.toThrow(TypeError);
      expect(io.ring.sqReady()).toBe(0);
      expect(io.pending).toBe(0);
      // The group ids those took were given back: a pool can still be made.
      expect(io.bufferPool({ size: 8, count: 2 }).bgid).toBe(0);
    });

    test(NET, 'leaving a receive loop while holding a chunk: the loop ends, the chunk stays readable, the ring is idle', async () => {
      const io = open();
      const [c, s] = await pair(io);
      await io.send(c, bytes('kept bytes'));
      let kept: Chunk | undefined;
      for await (const chunk of io.recvMultishot(s, 0, { bufferSize: 64, buffers: 2 })) {
        kept = chunk;
        break;
      }
      expect(io.pending).toBe(0);
      forceGc();
      expect(text(kept!.data)).toBe('kept bytes');
      kept!.release();
      // The stream is the socket's still: a later receive gets later bytes.
      await io.send(c, bytes('more'));
      const buf = new Uint8Array(4);
      expect(await io.recv(s, buf, MSG_WAITALL, { timeout: 5000 })).toBe(4);
      expect(text(buf)).toBe('more');
    });

    test(NET, '17. recvMultishot on a pipe (not a socket) throws on its final CQE: ENOTSOCK, syscall recvMultishot', async () => {
      const io = open();
      const [r, w] = newPipe();
      const it = io.recvMultishot(r);
      const err = await thrown(it);
      expect(err).toBeInstanceOf(IoUringError);
      expect({ code: err.code, syscall: err.syscall }).toEqual({ code: 'ENOTSOCK', syscall: 'recvMultishot' });
      expect(io.pending).toBe(0);
      writeSync(w, 'untouched');
      expect(drain(r)).toBe('untouched');
    });

    test([IORING_OP_READ_MULTISHOT], 'readMultishot reads a pipe chunk by chunk, in order; closing the write end ends the loop', async () => {
      const io = open();
      const [r, w] = newPipe();
      const it = io.readMultishot(r, { bufferSize: 64, buffers: 4 });
      const got: string[] = [];
      for (const word of ['one', 'two', 'three', 'four', 'five', 'six']) {
        writeSync(w, word);
        const chunk = await nextValue(it);
        got.push(text(chunk.data));
        chunk.release();
      }
      expect(got).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
      writeSync(w, 'last');
      closeSync(untrack(w));
      const rest: string[] = [];
      for (let r = await within(it.next()); !r.done; r = await within(it.next())) {
        rest.push(text(r.value.data));
        r.value.release();
      }
      expect(rest.join('')).toBe('last');
      expect(io.pending).toBe(0);
    });
  });

  // ------------------------------------------------------ poll, timeout

  describe('pollMultishot and timeoutMultishot', () => {
    test([IORING_OP_POLL_ADD], 'pollMultishot yields POLLIN each time the pipe becomes readable; leaving cancels it', async () => {
      const io = open();
      const [r, w] = newPipe();
      const it = io.pollMultishot(r, POLLIN);
      await ticks(3);
      expect(io.pending).toBe(1);
      for (let i = 0; i < 4; i++) {
        writeSync(w, `event ${i}`);
        expect((await nextValue(it)) & POLLIN).toBe(POLLIN);
        expect(drain(r)).toBe(`event ${i}`);
      }
      await within(it.return!());
      expect(io.pending).toBe(0);
      writeSync(w, 'after');
      await ticks(3);
      expect(drain(r)).toBe('after');
    });

    test([IORING_OP_POLL_ADD], 'pollMultishot of a regular file (always ready, one-shot there) yields once and ends, never spinning', async () => {
      const io = open();
      const path = join(dir, 'plain-file');
      writeFileSync(path, 'x');
      const fd = track(openSync(path, 'r'));
      const got: number[] = [];
      // Before the fix this re-armed on every value and the loop never ended.
      for await (const ev of io.pollMultishot(fd, POLLIN)) {
        got.push(ev);
        if (got.length > 100) break;
      }
      expect(got).toHaveLength(1);
      expect(got[0]! & POLLIN).toBe(POLLIN);
      expect(io.pending).toBe(0);
    });

    test([IORING_OP_TIMEOUT], 'timeoutMultishot with count 3 yields 1, 2, 3 and ends', async () => {
      const io = open();
      const got: number[] = [];
      for await (const n of io.timeoutMultishot(2, { count: 3 })) got.push(n);
      expect(got).toEqual([1, 2, 3]);
      expect(io.pending).toBe(0);
    });

    test([IORING_OP_TIMEOUT], 'timeoutMultishot with no count ticks until the loop is left', async () => {
      const io = open();
      const got: number[] = [];
      for await (const n of io.timeoutMultishot({ sec: 0, nsec: 1_000_000 })) {
        got.push(n);
        if (got.length === 5) break;
      }
      expect(got).toEqual([1, 2, 3, 4, 5]);
      expect(io.pending).toBe(0);
      expect(await io.nop()).toBe(0);
    });
  });

  // ------------------------------------------- a CQ too small for them

  describe('more completions than the CQ holds', () => {
    // When a multishot operation's CQEs fill the CQ, the kernel ends it and
    // its final CQE waits in the overflow list (IORING_SQ_CQ_OVERFLOW) while
    // the ring fd stays readable. reap() must flush that list (getEvents)
    // on every ring: before, with the poll waker on a default ring, the loop
    // hung and the watcher fired ~690 000 times a second. Found by this test.
    test(NET, 'acceptMultishot with more connections waiting than the CQ holds: the kernel ends it, the loop re-arms, every connection is accepted', async () => {
        const io = open(); // 8 entries: a CQ of 16
        const l = await listener(io);
        const N = 40;
        await Promise.all(Array.from({ length: N }, () => client(l.path)));
        const accepted: number[] = [];
        const loop = (async () => {
          for await (const fd of io.acceptMultishot(l.fd)) {
            accepted.push(track(fd));
            if (accepted.length === N) break;
          }
        })();
        await within(loop, 3000, 'the accept loop');
        expect(new Set(accepted).size).toBe(N);
        expect(io.pending).toBe(0);
      });

    // A multishot timeout the kernel ends because the CQ was full (the tick
    // posted as a final CQE, -ETIME without F_MORE) is re-armed with the
    // ticks left, so the loop reaches its count. On a default ring each
    // tick's task work interrupts even a busy thread (TWA_SIGNAL), so a loop
    // blocked for a while fills the CQ; on a DEFER_TASKRUN ring the ticks
    // wait for the task and do not pile up. Found by this test.
    test([IORING_OP_TIMEOUT], 'timeoutMultishot goes on to its count after the event loop was blocked long enough for the ticks to fill the CQ', async () => {
        const io = open();
        const it = io.timeoutMultishot(1, { count: 40 });
        expect(await nextValue(it)).toBe(1);
        // Block the thread until the kernel holds a CQE it had no room for
        // (at most 1 s: on a DEFER_TASKRUN ring that never happens).
        const end = Date.now() + 1000;
        while (Date.now() < end && !io.ring.cqHasOverflow()) { /* busy */ }
        const got = [1];
        for (let r = await within(it.next(), 3000); !r.done; r = await within(it.next(), 3000)) got.push(r.value);
        expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(io.pending).toBe(0);
      });
  });

  // ------------------------------------------------------------- abort

  interface Kind {
    name: string;
    ops: number[];
    // Starts the operation with `signal` on a source that stays quiet.
    start: (io: AsyncRing, signal?: AbortSignal) => Promise<AsyncIterableIterator<unknown>>;
  }
  const kinds: Kind[] = [
    { name: 'acceptMultishot', ops: NET, start: async (io, signal) => io.acceptMultishot((await listener(io)).fd, 0, { signal }) },
    { name: 'recvMultishot', ops: NET, start: async (io, signal) => io.recvMultishot((await pair(io))[1], 0, { signal, bufferSize: 64, buffers: 2 }) },
    { name: 'readMultishot', ops: [IORING_OP_READ_MULTISHOT], start: async (io, signal) => io.readMultishot(newPipe()[0], { signal, bufferSize: 64, buffers: 2 }) },
    { name: 'pollMultishot', ops: [IORING_OP_POLL_ADD], start: async (io, signal) => io.pollMultishot(newPipe()[0], POLLIN, { signal }) },
    { name: 'timeoutMultishot', ops: [IORING_OP_TIMEOUT], start: async (io, signal) => io.timeoutMultishot(60_000, { signal }) },
  ];

  describe('abort', () => {
    for (const k of kinds) {
      test(k.ops, `${k.name}: an abort makes the waiting loop throw AbortError (the reason as cause) once the kernel lets go`, async () => {
        const io = open();
        const ac = new AbortController();
        const reason = new Error('stop');
        const it = await k.start(io, ac.signal);
        const step = thrown(it);
        await ticks(3);
        expect(io.pending).toBe(1);
        ac.abort(reason);
        const err = await step;
        expect(err.name).toBe('AbortError');
        expect(err.cause).toBe(reason);
        expect(io.pending).toBe(0);
        expect(await within(it.next())).toEqual({ value: undefined, done: true });
        // An already-aborted signal: the first step throws, nothing is submitted.
        const early = await k.start(io, AbortSignal.abort(reason));
        expect(io.ring.sqReady()).toBe(0);
        expect((await thrown(early)).name).toBe('AbortError');
        expect(await io.nop()).toBe(0);
      });
    }

    test(NET, 'recvMultishot parked on ENOBUFS (every buffer held): an abort ends it with AbortError', async () => {
      const io = open();
      const seen = spyCqes(io);
      const [c, s] = await pair(io);
      await io.send(c, pattern(64, 1));
      const ac = new AbortController();
      const it = io.recvMultishot(s, 0, { signal: ac.signal, buffers: 2, bufferSize: 4 });
      const held = [await nextValue(it), await nextValue(it)];
      await until(() => seen.some((e) => e.res === -ENOBUFS), 'the ENOBUFS CQE');
      const step = thrown(it);
      ac.abort();
      expect((await step).name).toBe('AbortError');
      expect(io.pending).toBe(0);
      expect(held.map((h) => text(h.data))).toEqual([text(pattern(64, 1).subarray(0, 4)), text(pattern(64, 1).subarray(4, 8))]);
      for (const h of held) h.release();
    });
  });

  // ----------------------------------------------------------- close()

  describe('close() while a loop waits', () => {
    for (const k of kinds) {
      test(k.ops, `${k.name}: the loop throws the "closed" IoUringError (ECANCELED); pending reaches 0`, async () => {
        const io = open();
        const it = await k.start(io);
        const step = thrown(it);
        await ticks(3);
        expect(io.pending).toBe(1);
        await within(io.close(), 5000, 'close()');
        expectClosedError(await step, k.name);
        expect(io.pending).toBe(0);
        expect(io.ring.isClosed).toBe(true);
      });
    }

    test(NET, 'a recvMultishot parked on ENOBUFS throws the "closed" error too', async () => {
      const io = open();
      const seen = spyCqes(io);
      const [c, s] = await pair(io);
      await io.send(c, pattern(64, 1));
      const it = io.recvMultishot(s, 0, { buffers: 2, bufferSize: 4 });
      const held = [await nextValue(it), await nextValue(it)];
      await until(() => seen.some((e) => e.res === -ENOBUFS), 'the ENOBUFS CQE');
      const step = thrown(it);
      await within(io.close(), 5000, 'close()');
      expectClosedError(await step, 'recvMultishot');
      expect(io.pending).toBe(0);
      // Chunks still held stay readable after their pool is gone.
      expect(text(held[0]!.data)).toBe(text(pattern(64, 1).subarray(0, 4)));
      for (const h of held) h.release();
    });
  });

  test([], 'close() ends a waiting messages() loop cleanly (it is no operation of the kernel)', async () => {
    const io = open();
    const inbox = io.messages();
    const step = within(inbox.next());
    await ticks(2);
    await within(io.close(), 5000, 'close()');
    expect(await step).toEqual({ value: undefined, done: true });
    expect(io.pending).toBe(0);
  });

  // -------------------------------------------------- 17. slot reuse

  test([...NET, IORING_OP_READ_MULTISHOT], '17. many short multishot loops and promises interleaved, reusing slots: each gets only its own completions', async () => {
    const io = open(); // 8 entries: slots are reused and operations wait for room
    const seen = spyCqes(io);
    const round = async (i: number) => {
      const [r1, w1] = newPipe();
      const [r2, w2] = newPipe();
      const [r3, w3] = newPipe();
      // A poll loop that takes one event and leaves.
      const poll = (async () => {
        const it = io.pollMultishot(r1, POLLIN);
        await tick();
        writeSync(w1, 'p');
        const ev = await nextValue(it);
        await it.return!();
        return ev & POLLIN;
      })();
      // A timeout loop of two ticks.
      const timer = (async () => {
        const got: number[] = [];
        for await (const n of io.timeoutMultishot(1, { count: 2 })) got.push(n);
        return got;
      })();
      // A read loop that takes the bytes of its own pipe and leaves.
      const reader = (async () => {
        const it = io.readMultishot(r2, { bufferSize: 64, buffers: 2 });
        writeSync(w2, `read ${i}`);
        const chunk = await nextValue(it);
        const s = text(chunk.data);
        chunk.release();
        await it.return!();
        return s;
      })();
      // One-shot operations around them: a pipe read, nops, a timeout.
      const buf = new Uint8Array(16);
      const once = io.read(r3, buf).then((n) => text(buf.subarray(0, n)));
      writeSync(w3, `once ${i}`);
      const [p, t, rd, o, nops, to] = await Promise.all([poll, timer, reader, once, Promise.all([io.nop(), io.nop()]), io.timeout(1)]);
      return { p, t, rd, o, nops, to };
    };
    for (let batch = 0; batch < 6; batch++) {
      const results = await within(Promise.all(Array.from({ length: 5 }, (_, j) => round(batch * 5 + j))), 10_000, 'a batch of rounds');
      results.forEach((res, j) => {
        const i = batch * 5 + j;
        expect(res).toEqual({ p: POLLIN, t: [1, 2], rd: `read ${i}`, o: `once ${i}`, nops: [0, 0], to: 0 });
      });
    }
    expect(io.pending).toBe(0);
    expect(io.ring.cqOverflowCount()).toBe(0);
    // Every completion the kernel posted was reaped, and nothing is left to come.
    await ticks(5);
    const before = seen.length;
    await ticks(5);
    expect(seen.length).toBe(before);
  });

  // ------------------------------------- 22. transfer of a buffer in flight

  test([IORING_OP_RECV, ...NET], '22. a recv buffer in flight, put in a worker\'s transfer list, stays attached (Node copies it instead) and receives the data', async () => {
    const io = open();
    const [c, s] = await pair(io);
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (m) => { const before = Array.from(m); m.fill(0xee); parentPort.postMessage({ len: m.byteLength, before }); });`,
      { eval: true },
    );
    cleanups.push(() => void worker.terminate());
    const echo = () => within(new Promise<{ len: number; before: number[] }>((resolve) => worker.once('message', resolve)), 5000, 'the worker');
    // Control: a buffer the ring never saw is transferred (detached here).
    const plain = new Uint8Array(16).fill(1);
    worker.postMessage(plain, [plain.buffer]);
    expect(plain.byteLength).toBe(0);
    expect(await echo()).toEqual({ len: 16, before: new Array(16).fill(1) });
    for (const size of [16, 65536]) { // on V8's heap, and off it
      const buf = new Uint8Array(size);
      const p = io.recv(s, buf, MSG_WAITALL, { timeout: 5000 });
      await ticks(2);
      expect(io.pending).toBe(1);
      let outcome: string;
      try {
        worker.postMessage(buf, [buf.buffer]);
        outcome = 'copied';
      } catch (e) {
        outcome = (e as Error).name; // Node 21+ throws DataCloneError for an untransferable buffer
      }
      expect(['copied', 'DataCloneError']).toContain(outcome);
      expect(buf.byteLength).toBe(size);
      expect(buf.buffer.byteLength).toBeGreaterThanOrEqual(size);
      if (outcome === 'copied') expect(await echo()).toEqual({ len: size, before: new Array(size).fill(0) });
      forceGc();
      const data = pattern(size, 5);
      expect(await io.send(c, data)).toBe(size);
      expect(await within(p)).toBe(size);
      expect(hex(buf)).toBe(hex(data)); // the original buffer got the bytes; the worker's 0xee fill did not reach it
    }
  });
});
