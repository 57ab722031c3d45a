/**
 * Several AsyncRings in one process, and one in each of several
 * worker_threads: each wakes its own loop, none steals another's
 * completions, and a worker's loop ends by itself once its ring is idle.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { AsyncRing, IoUring, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, prepMsgRing } from '../lib/index.ts';
import { compiled, ringUnavailable } from './helpers.ts';

const noDefer = ringUnavailable(8, { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN });

interface Report { wrote: number; read: number; same: boolean; waker: string }

function startWorker(data: Record<string, unknown>): { report: Promise<Report>; exited: Promise<number> } {
  const worker = new Worker(compiled('tests/fixtures/async-worker.ts'), { workerData: data });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const report = new Promise<Report>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    void exited.then((code) => reject(new Error(`the worker exited (${code}) without reporting`)));
  });
  return { report, exited };
}

describe('several AsyncRings', () => {
  it('four rings in one thread, interleaved, each settles only its own operations', async () => {
    const rings = [new AsyncRing(), new AsyncRing({ waker: 'doorbell' }), new AsyncRing({ entries: 8 }), new AsyncRing()];
    try {
      const work = rings.flatMap((io, r) => Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? io.timeout(1 + (i % 3)).then(() => r) : io.nop().then(() => r))));
      const who = await Promise.all(work);
      expect(who).toEqual(rings.flatMap((_, r) => Array(50).fill(r)));
      for (const io of rings) expect(io.pending).toBe(0);
    } finally {
      await Promise.all(rings.map((io) => io.close()));
    }
  });

  for (const [kind, defer, skip] of [['default rings', false, ''], ['DEFER_TASKRUN rings', true, noDefer]] as const) {
    it.skipIf(skip !== '')(`one AsyncRing per worker_thread (${kind}), each messaging the main ring${skip ? ` (skipped: ${skip})` : ''}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tsuring-workers-'));
      const main = new AsyncRing(defer ? { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN } : {});
      const count = 20;
      try {
        const inbox = main.messages();
        const workers = [1, 2, 3].map((id) => startWorker({ path: join(dir, `w${id}`), id, target: main.messageTarget, count, defer }));
        const got: number[] = [];
        while (got.length < 3 * count) {
          const m = await inbox.next();
          if (m.done) throw new Error('the inbox ended');
          expect(m.value.len).toBe(Math.floor(m.value.data / 1000));
          got.push(m.value.data);
        }
        await inbox.return!();
        const reports = await Promise.all(workers.map((w) => w.report));
        for (const r of reports) {
          expect(r).toMatchObject({ wrote: 4096, read: 4096, same: true });
          expect(r.waker).toBe('eventfd'); // the default in a worker_thread: the one its teardown can close
        }
        // Each worker's messages arrive in the order it sent them.
        for (const id of [1, 2, 3]) {
          expect(got.filter((d) => Math.floor(d / 1000) === id)).toEqual(Array.from({ length: count }, (_, i) => id * 1000 + i));
        }
        // Nothing keeps a worker's loop alive once its ring is idle and closed.
        expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
      } finally {
        await main.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);
  }

  it('workers that close their AsyncRing and end at once, round after round, never corrupt the process (ten rounds of three, in a child)', () => {
    // The kernel writes a ring's memory during its own teardown, after the
    // close; a worker frees its memory as it exits. With ring memory from
    // malloc, this crashed within a few rounds (SIGSEGV in the next worker's
    // start-up).
    const child = spawnSync(process.execPath, [compiled('tests/fixtures/worker-rounds.ts'), '10'], {
      encoding: 'utf8', timeout: 60_000,
    });
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(child.stdout.trim()).toBe(Array(10).fill('0,0,0').join(' '));
  }, 70_000);

  it('a raw msg_ring with user_data above 2^53 is skipped by the AsyncRing it lands in, which goes on working', async () => {
    const io = new AsyncRing();
    const raw = new IoUring(8);
    try {
      const sqe = raw.getSqe()!;
      prepMsgRing(sqe, io.ring.fd, 5, 2n ** 60n + 7n);
      sqe.userData = 1;
      raw.submitAndWait(1);
      expect(raw.peekCqe()!.res).toBe(0);
      raw.cqeSeen(raw.peekCqe()!);
      // The foreign CQE is in io's CQ: the next reap must step over it.
      expect(await io.nop()).toBe(0);
      expect(await io.timeout(1)).toBe(0);
      expect(io.ring.cqReady()).toBe(0);
    } finally {
      raw.close();
      await io.close();
    }
  });

  it('a raw IoUring in the same thread receives msgRing CQEs with the user_data and res as sent', async () => {
    const io = new AsyncRing();
    const raw = new IoUring(8);
    try {
      await io.msgRing(raw, 0x1234_5678_9a, { len: 42 });
      const cqe = raw.peekCqe()!;
      expect(cqe.userData).toBe(0x1234_5678_9a);
      expect(cqe.res).toBe(42);
      raw.cqeSeen(cqe);
    } finally {
      raw.close();
      await io.close();
    }
  });
});
