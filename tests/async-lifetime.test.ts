/**
 * AsyncRing's lifetime: a ring dropped without close() with nothing in
 * flight is collected and lets go of its fds; one with work in flight is
 * kept until the work is done. A failed bufferPool leaves no buffer group
 * behind; `pending` counts a receive parked for a buffer; CQEs the ring did
 * not ask for (a msgRing aimed at its fd) settle nothing.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync, writeSync } from 'node:fs';
import * as ffi from '../ffi/index.ts';
import { AsyncRing, type AsyncRingOptions } from '../lib/async/async-ring.ts';
import { IoUring, IoUringError, prepMsgRing } from '../lib/index.ts';
import { compiled, forceGc, openFds, settledFds } from './helpers.ts';
import { collected, outcome, rejection, spyCqes, testResources, tick, ticks, variants } from './async-helpers.ts';

async function pipe(): Promise<[number, number]> {
  const fds = ffi.pipe(0o2000000); // O_CLOEXEC
  if (typeof fds === 'number') throw new Error(`pipe2: ${fds}`);
  return fds;
}
const { rings, track } = testResources();

// Makes `n` rings and drops them, every other one after an operation; out of
// line, so no frame of the test holds the last one.
async function dropRings(options: AsyncRingOptions, n: number): Promise<WeakRef<AsyncRing>[]> {
  const refs: WeakRef<AsyncRing>[] = [];
  for (let i = 0; i < n; i++) {
    const io = new AsyncRing(options);
    if (i % 2 === 1) await io.nop();
    refs.push(new WeakRef(io));
  }
  return refs;
}

async function allCollected(refs: WeakRef<object>[]): Promise<boolean> {
  for (let round = 0; round < 20; round++) {
    await tick();
    forceGc();
    if (refs.every((r) => r.deref() === undefined)) return true;
  }
  return false;
}

describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { options, skip }) => {
  it.skipIf(skip !== '')('rings dropped without close() and with nothing in flight are collected, and their fds closed', async () => {
    const before = await settledFds();
    const refs = await dropRings(options, 40);
    expect(await allCollected(refs)).toBe(true);
    // The finalizers run as a task of their own after a collection, and close
    // each fd after libuv's closing phase: wait for them, boundedly.
    for (let i = 0; i < 100 && openFds() > before; i++) {
      forceGc();
      await ticks(2);
    }
    expect(await settledFds()).toBe(before);
  });

  it.skipIf(skip !== '')('a dropped ring with an operation in flight lives until it completes', async () => {
    const [r, w] = await pipe();
    track(r);
    track(w);
    const buf = new Uint8Array(8);
    let ref!: WeakRef<AsyncRing>;
    const read = (() => {
      const io = new AsyncRing(options);
      ref = new WeakRef(io);
      return io.read(r, buf);
    })();
    await ticks(3);
    forceGc();
    await ticks(3);
    forceGc();
    expect(ref.deref()).toBeDefined();
    writeSync(w, 'abc');
    expect(await read).toBe(3);
    expect(await collected(ref, 20)).toBe(true);
  });

  it.skipIf(skip !== '')('a bufferPool whose memory cannot be had leaves no buffer group registered', async () => {
    const io = new AsyncRing(options);
    rings.push(io);
    // 2^31 x 32768 bytes: no ArrayBuffer that large.
    expect(() => io.bufferPool({ size: 2 ** 31, count: 32768 })).toThrow(RangeError);
    const pool = io.bufferPool({ size: 64, count: 4 });
    expect(pool.bgid).toBe(0);
    const [r, w] = await pipe();
    track(r);
    track(w);
    const it = io.readMultishot(r);
    writeSync(w, 'hello');
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(Buffer.from(first.value!.data).toString()).toBe('hello');
    first.value!.release();
    await it.return!();
  });

  it.skipIf(skip !== '')('pending counts a readMultishot parked waiting for a buffer', async () => {
    const io = new AsyncRing(options);
    rings.push(io);
    const seen = spyCqes(io);
    const [r, w] = await pipe();
    track(r);
    track(w);
    const pool = io.bufferPool({ size: 16, count: 1 });
    const it = io.readMultishot(r, { pool });
    writeSync(w, 'one');
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(io.pending).toBe(1);
    // The only buffer is held: the next read ends with ENOBUFS and parks.
    writeSync(w, 'two');
    for (let i = 0; i < 200 && !seen.some((c) => c.res === -105); i++) await tick();
    expect(seen.some((c) => c.res === -105)).toBe(true);
    expect(io.pending).toBe(1);
    first.value!.release();
    const second = await it.next();
    expect(Buffer.from(second.value!.data).toString()).toBe('two');
    second.value!.release();
    await it.return!();
    expect(io.pending).toBe(0);
  });

  it.skipIf(skip !== '')("a msgRing CQE aimed at the ring's fd settles none of its operations", async () => {
    const io = new AsyncRing(options);
    rings.push(io);
    const [r, w] = await pipe();
    track(r);
    track(w);
    const buf = new Uint8Array(8);
    let settled = false;
    const read = io.read(r, buf);
    void read.then(() => (settled = true), () => (settled = true));
    await ticks(2);
    using raw = new IoUring(8);
    const post = (ud: bigint): void => {
      const sqe = raw.getSqe()!;
      prepMsgRing(sqe, io.ring.fd, 0, ud);
      sqe.userData = 1;
      raw.submitAndWait(1);
      raw.cqeSeen(raw.waitCqe());
    };
    // What the read's user_data would be with generations counted from 0,
    // for the first few slots and every chain position.
    for (let slot = 1n; slot < 4n; slot++) {
      for (let pos = 0n; pos < 64n; pos++) post((pos << 20n) | slot);
    }
    // The read's own generation and slot, at a position it never issued.
    const live = (io as unknown as { gens: Int32Array }).gens[1]!;
    post(((BigInt(live) * 64n + 5n) << 20n) | 1n);
    await ticks(5);
    expect(settled).toBe(false);
    expect(io.pending).toBe(1);
    writeSync(w, 'real');
    expect(await outcome(read)).toBe('ok 4');
    expect(Buffer.from(buf.subarray(0, 4)).toString()).toBe('real');
  });
});

describe.each(variants.map((v) => [v.name, v] as const))('messageTarget, %s', (_, { options, skip }) => {
  it.skipIf(skip !== '')('a messageTarget of a closed ring fails, and never reaches a newer ring that reuses its fd number', async () => {
    const sender = new AsyncRing(options);
    rings.push(sender);
    const old = new AsyncRing(options);
    const target = old.messageTarget;
    await old.close();
    await ticks(3);
    const newer = new AsyncRing(options);
    rings.push(newer);
    const inbox = newer.messages();
    const got: number[] = [];
    const reading = (async () => {
      for await (const m of inbox) got.push(m.data);
    })();
    const err = await rejection(sender.msgRing(target, 5));
    expect(err).toBeInstanceOf(IoUringError);
    expect(err.code).toBe('EBADF');
    // The newer ring's own target still works, and only its message arrives.
    await sender.msgRing(newer.messageTarget, 6);
    for (let i = 0; i < 100 && got.length === 0; i++) await tick();
    await ticks(3);
    expect(got).toEqual([6]);
    await inbox.return!();
    await reading;
  });

  it.skipIf(skip !== '')("a target's fd stays open while a sender is mid-send, and closes when it is done", async () => {
    const io = new AsyncRing(options);
    const fd = io.ring.fd;
    const cell = new Int32Array(io.messageTarget.cell);
    Atomics.add(cell, 1, 1); // a sender between its check and its CQE, as msgRing counts one
    await io.close();
    await ticks(3);
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe('anon_inode:[io_uring]');
    Atomics.sub(cell, 1, 1);
    Atomics.notify(cell, 1);
    let open = true;
    for (let i = 0; i < 100 && open; i++) {
      await tick();
      open = existsSync(`/proc/self/fd/${fd}`);
    }
    expect(open).toBe(false);
  });

  it.skipIf(skip !== '')('a hand-made target without the cell is refused', async () => {
    const io = new AsyncRing(options);
    rings.push(io);
    const err = await rejection(io.msgRing({ asyncRingFd: io.ring.fd } as never, 1));
    expect(err).toBeInstanceOf(TypeError);
  });
});

describe('address space', () => {
  // RLIMIT_AS of 128 GiB in a child: room for a few 10 GiB reservations, not 100.
  function crowded(code: string): string {
    return execFileSync('/bin/sh', ['-c', `ulimit -v ${128 * 1024 * 1024} && exec "${process.execPath}" --input-type=module -e "$0"`, code], {
      encoding: 'utf8', timeout: 60_000,
    }).trim();
  }
  const lib = JSON.stringify(compiled('lib/index.ts'));

  it("past 25/32 of the address space, rings take the kernel's pages instead (AsyncRing and IoUring), and all 100 work", () => {
    const out = crowded(`
      import { AsyncRing, IoUring } from ${lib};
      const raws = [];
      for (let i = 0; i < 100; i++) raws.push(new IoUring(8));
      const rings = [];
      for (let i = 0; i < 100; i++) rings.push(new AsyncRing());
      await Promise.all(rings.map((r) => r.nop()));
      const kinds = (xs) => [...new Set(xs)].join(',');
      console.log(kinds(raws.map((r) => r.memory)), kinds(rings.map((r) => r.ring.memory)));
      for (const r of rings) await r.close();
      for (const r of raws) r.close();
      console.log('closed');
    `);
    expect(out).toBe('shared,mmap mmap\nclosed'); // raw rings first, then AsyncRings
  });

  it("a ring that must be shared is refused there with IoUringError ENOMEM, while the process can still work", () => {
    const out = crowded(`
      import { AsyncRing, IoUring } from ${lib};
      const rings = [];
      const tell = (err) => console.log('refused after', rings.length, err.name, err.code, err.syscall);
      try {
        for (let i = 0; i < 100; i++) rings.push(new AsyncRing({ memory: 'shared' }));
        console.log('made', rings.length);
      } catch (err) {
        tell(err);
      }
      try {
        rings.push(new IoUring(8, { memory: 'shared' }));
      } catch (err) {
        tell(err);
      }
      for (const r of rings) await r.close();
      console.log('closed');
    `);
    expect(out).toMatch(/^refused after ([1-9]\d*) IoUringError ENOMEM io_uring_setup\nrefused after \1 IoUringError ENOMEM io_uring_setup\nclosed$/);
  });
});
