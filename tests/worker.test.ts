/**
 * A ring in a SharedArrayBuffer, attached from a worker_thread: the main
 * thread submits, the worker reaps (IoUring.attach on what share() gives).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { IoUring, prepNop, prepTimeout, type SharedRing } from '../lib/index.ts';
import { compiled, ringUnavailable, runOne } from './helpers.ts';

const noShared = ringUnavailable(8, { memory: 'shared' });
const noMmap = ringUnavailable(8, { memory: 'mmap' });
const sharedIt = noShared ? (title: string, fn: () => unknown) => it.skip(`${title} (skipped: the kernel refuses a shared ring: ${noShared})`, fn) : it;

const rings: IoUring[] = [];
afterEach(() => {
  for (const r of rings.splice(0)) r.close();
});

function open(memory: 'shared' | 'mmap'): IoUring {
  const ring = new IoUring(64, { memory });
  rings.push(ring);
  return ring;
}

interface Reaped { seen: number[]; closed: boolean; refusals: string[]; zero: number }

/** Starts tests/fixtures/reaper-worker.ts on `shared`; resolves with what it reaped. */
function reaper(shared: SharedRing, count: number): Promise<Reaped> {
  const worker = new Worker(compiled('tests/fixtures/reaper-worker.ts'), { workerData: { shared, count } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the reaper exited (${code}) without reporting`)));
  });
}

/** Submits NOPs with user_data from..to-1 (and a TIMEOUT for every 64th), in SQ-sized batches. */
function submitRange(ring: IoUring, from: number, to: number): void {
  for (let ud = from; ud < to; ud++) {
    let sqe = ring.getSqe();
    if (sqe === null) {
      ring.submit();
      sqe = ring.getSqe()!;
    }
    if (ud % 64 === 0) prepTimeout(sqe, 20);
    else prepNop(sqe);
    sqe.userData = ud;
  }
  ring.submit();
}

describe('a ring shared with a worker_thread', () => {
  sharedIt('the worker reaps every completion the main thread submits, each user_data exactly once', async () => {
    const ring = open('shared');
    const N = 1000; // more than the CQ holds (128): some wait in the kernel's overflow list
    const done = reaper(ring.share(), N);
    submitRange(ring, 1, N + 1);
    const { seen } = await done;
    expect(seen.length).toBe(N);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  sharedIt('in the worker the attached ring only reaps: getSqe() and getSqes() refuse with EPERM, as its memory dies with the worker', async () => {
    const ring = open('shared');
    const done = reaper(ring.share(), 1);
    submitRange(ring, 1, 2);
    const r = await done;
    expect(r.seen).toEqual([1]);
    expect(r.refusals).toHaveLength(2);
    for (const m of r.refusals) expect(m).toMatch(/^EPERM: .*a ring attached in a worker_thread.*only reaps/);
    expect(r.zero).toBeGreaterThanOrEqual(0); // getSqes(0) takes nothing, so it is not refused
    // The main thread's own view still submits.
    expect(runOne(ring, prepNop, 9)).toEqual({ res: 0, flags: 0, userData: 9 });
  });

  sharedIt("the worker's close() only detaches: the fd stays open and the main ring still works", async () => {
    const ring = open('shared');
    const done = reaper(ring.share(), 1);
    submitRange(ring, 1, 2);
    expect(await done).toMatchObject({ seen: [1], closed: true });
    expect(readlinkSync(`/proc/self/fd/${ring.fd}`)).toContain('io_uring');
    expect(ring.isClosed).toBe(false);
    expect(runOne(ring, prepNop, 7)).toEqual({ res: 0, flags: 0, userData: 7 });
  });

  (noMmap ? it.skip : it)(`an mmap ring can't be attached: share() throws TypeError${noMmap ? ` (skipped: ${noMmap})` : ''}`, () => {
    const ring = open('mmap');
    expect(() => IoUring.attach(ring.share())).toThrow(TypeError);
  });
});
