// The event-loop wakers (lib/async/waker.ts): completions wake Node through
// libuv's poll of the ring fd, through the pipe doorbell, or through an
// eventfd read by a Node socket (a worker_thread's default), without a thread
// or a busy loop, and the process lives exactly as long as work is pending.

import { execFileSync } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IoUring, prepRead, prepTimeout, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER } from '../lib/index.ts';
import { createWaker, type Waker } from '../lib/async/waker.ts';
import { DOORBELL_POLL_DATA, DOORBELL_WRITE_DATA } from '../lib/async/user-data.ts';
import { pipe, pollFunction } from '../ffi/index.ts';
import { compiled } from './helpers.ts';

const runChild = (...args: string[]) => execFileSync(process.execPath, [compiled('tests/fixtures/waker-child.ts'), ...args], { encoding: 'utf8', timeout: 20_000 });

// Resolves with the caller's CQEs (doorbell ones skipped) once `want` have come.
function reapOnWake(ring: IoUring, want: number, kind: 'poll' | 'doorbell' | 'eventfd'): { waker: Waker; done: Promise<{ userData: number; res: number }[]> } {
  const got: { userData: number; res: number }[] = [];
  let resolve!: (v: typeof got) => void;
  const done = new Promise<typeof got>((r) => (resolve = r));
  const deferred = (ring.flags & IORING_SETUP_DEFER_TASKRUN) !== 0;
  const waker: Waker = createWaker(ring, () => {
    // A DEFER_TASKRUN ring posts completions only when its task enters the
    // kernel to wait: the wake says there is work, getEvents runs it.
    if (deferred) ring.getEvents();
    for (let cqe = ring.peekCqe(); cqe !== null; cqe = ring.peekCqe()) {
      const ud = cqe.userData;
      if (ud !== DOORBELL_POLL_DATA && ud !== DOORBELL_WRITE_DATA) got.push({ userData: ud, res: cqe.res });
      ring.cqeSeen(cqe);
    }
    if (got.length >= want) {
      waker.disarm();
      resolve(got);
    } else {
      waker.arm();
      ring.submit();
    }
  }, kind);
  return { waker, done };
}

const kinds = ['poll', 'doorbell', 'eventfd'] as const;
const noPoll = pollFunction() === undefined ? 'this koffi has no node.poll' : '';

describe.each(kinds)('%s waker', (kind) => {
  const skip = kind === 'poll' ? noPoll : '';
  it.skipIf(skip !== '')(`wakes the loop for a completion that comes later, and the loop runs meanwhile${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    using ring = new IoUring(8);
    const { waker, done } = reapOnWake(ring, 2, kind);
    // Reads of two pipes that only this loop's own timers feed: each read can
    // complete only once the loop has run on while the ring waits.
    const pipes = [pipe(), pipe()].map((p) => {
      if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
      return p;
    });
    pipes.forEach(([r], i) => {
      const sqe = ring.getSqe()!;
      prepRead(sqe, r, new Uint8Array(8), 8, -1);
      sqe.userData = i + 1;
    });
    waker.arm();
    ring.submit();
    setTimeout(() => writeSync(pipes[0]![1], 'a'), 5);
    setTimeout(() => writeSync(pipes[1]![1], 'bc'), 20);
    const got = await done;
    await waker.close();
    for (const [r, w] of pipes) closeSync(r), closeSync(w);
    expect(got).toEqual([{ userData: 1, res: 1 }, { userData: 2, res: 2 }]);
  });

  it.skipIf(skip !== '')('lets the process exit with nothing in flight', () => {
    expect(runChild(kind, 'idle')).toBe(`${kind} idle\nexit\n`);
  });

  it.skipIf(skip !== '')('what awaits a promise the wake settles runs at the wake, with nothing else in the loop', () => {
    expect(runChild(kind, 'await')).toBe(`${kind} await\ncompleted 2 -62\ncompleted 3 -62\ncompleted 4 -62\nexit\n`);
  });

  it.skipIf(skip !== '')('keeps the process alive until the pending operation completes', () => {
    expect(runChild(kind, 'pending')).toBe(`${kind} pending\ncompleted 1 -62\nexit\n`);
  });
});

describe('DEFER_TASKRUN rings', () => {
  const flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

  it.skipIf(noPoll !== '')('the poll waker wakes for them', async () => {
    using ring = new IoUring(8, { flags });
    const { waker, done } = reapOnWake(ring, 1, 'poll');
    const sqe = ring.getSqe()!;
    prepTimeout(sqe, 10);
    sqe.userData = 7;
    waker.arm();
    ring.submit();
    expect(await done).toEqual([{ userData: 7, res: -62 }]);
    await waker.close();
  });

  it('the eventfd waker wakes for them', async () => {
    using ring = new IoUring(8, { flags });
    const { waker, done } = reapOnWake(ring, 1, 'eventfd');
    const sqe = ring.getSqe()!;
    prepTimeout(sqe, 10);
    sqe.userData = 7;
    waker.arm();
    ring.submit();
    expect(await done).toEqual([{ userData: 7, res: -62 }]);
    await waker.close();
  });

  it('the doorbell refuses them with the reason', () => {
    using ring = new IoUring(8, { flags });
    expect(() => createWaker(ring, () => {}, 'doorbell')).toThrow(/DEFER_TASKRUN/);
  });
});
