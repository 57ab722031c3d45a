/**
 * Tests for the encoders of lib/prep/timeout.ts (remove, update, link
 * timeouts) and the timeout flags (ABS, MULTISHOT, count).
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { once } from 'node:events';
import {
  IoUring, prepNop, prepRead, prepTimeout, IORING_LINK_TIMEOUT_UPDATE, IORING_OP_LINK_TIMEOUT,
  IORING_OP_TIMEOUT_REMOVE, IORING_TIMEOUT_ABS, IORING_TIMEOUT_MULTISHOT, IORING_TIMEOUT_UPDATE, IOSQE_IO_LINK, ERRNO,
} from '../lib/index.ts';
import { prepLinkTimeout, prepTimeoutRemove, prepTimeoutUpdate } from '../lib/prep/timeout.ts';
import { cqeHasMore } from '../lib/prep/sqe-cqe.ts';
import { pipe } from '../ffi/index.ts';
import {
  at, byUserData, queue, timespec, withPipe, reapN, reapOne, reapQuiet, run, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENOENT, ETIME, ECANCELED } = ERRNO;

/** CLOCK_MONOTONIC now plus `deltaMs`, as { sec, nsec } (process.hrtime reads CLOCK_MONOTONIC). */
function monotonicIn(deltaMs: number): { sec: number; nsec: number } {
  const ns = process.hrtime.bigint() + BigInt(Math.round(deltaMs * 1e6));
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const rows: FieldRow[] = [
    { name: 'prepTimeoutRemove', prep: (s) => prepTimeoutRemove(s, 77), want: { opcode: IORING_OP_TIMEOUT_REMOVE, fd: -1, addr: 77n } },
    {
      name: 'prepTimeoutUpdate (ms, ABS)',
      prep: (s) => prepTimeoutUpdate(s, 2500, 77n, IORING_TIMEOUT_ABS),
      want: { opcode: IORING_OP_TIMEOUT_REMOVE, fd: -1, addr: 77n, off: timespec({ sec: 2, nsec: 500_000_000 }), rwFlags: IORING_TIMEOUT_UPDATE | IORING_TIMEOUT_ABS },
      kept: 1,
    },
    {
      name: 'prepTimeoutUpdate (LINK_TIMEOUT_UPDATE)',
      prep: (s) => prepTimeoutUpdate(s, { sec: 1, nsec: 2 }, 3, IORING_LINK_TIMEOUT_UPDATE),
      want: { opcode: IORING_OP_TIMEOUT_REMOVE, fd: -1, addr: 3n, off: timespec({ sec: 1, nsec: 2 }), rwFlags: IORING_TIMEOUT_UPDATE | IORING_LINK_TIMEOUT_UPDATE },
      kept: 1,
    },
    { name: 'prepLinkTimeout', prep: (s) => prepLinkTimeout(s, 20), want: { opcode: IORING_OP_LINK_TIMEOUT, fd: -1, addr: timespec({ sec: 0, nsec: 20_000_000 }), len: 1 }, kept: 1 },
    { name: 'prepLinkTimeout (ABS)', prep: (s) => prepLinkTimeout(s, { sec: 9, nsec: 8 }, IORING_TIMEOUT_ABS), want: { opcode: IORING_OP_LINK_TIMEOUT, fd: -1, addr: timespec({ sec: 9, nsec: 8 }), len: 1, rwFlags: IORING_TIMEOUT_ABS }, kept: 1 },
  ];

  itWritesFields(rows);
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepTimeoutRemove: user_data NaN', (s) => prepTimeoutRemove(s, NaN), TypeError],
    ['prepTimeoutUpdate: -1 ms', (s) => prepTimeoutUpdate(s, -1, 1), RangeError],
    ['prepTimeoutUpdate: an 8-byte timespec', (s) => prepTimeoutUpdate(s, new Uint8Array(8), 1), RangeError],
    ['prepLinkTimeout: nsec 1e9', (s) => prepLinkTimeout(s, { sec: 0, nsec: 1e9 }), RangeError],
  ];

  itRefusesBeforeWriting(bad);
});

// ---------------------------------------------------------------- timeouts

describe('timeouts', () => {
  const HOUR = 3_600_000;

  it('a TIMEOUT with a count completes with 0 once that many other CQEs are posted, not at its deadline', () => {
    using ring = new IoUring(8);
    queue(ring, (s) => prepTimeout(s, HOUR, 2), 1);
    ring.submit();
    queue(ring, prepNop, 2);
    ring.submit();
    expect(reapQuiet(ring)).toEqual([{ userData: 2, res: 0, flags: 0 }]);
    queue(ring, prepNop, 3);
    ring.submit();
    expect(reapN(ring, 2)).toEqual([{ userData: 3, res: 0, flags: 0 }, { userData: 1, res: 0, flags: 0 }]);
  });

  it('IORING_TIMEOUT_ABS takes a CLOCK_MONOTONIC deadline: one 20 ms ahead fires with -ETIME', () => {
    using ring = new IoUring(4);
    expect(run(ring, (s) => prepTimeout(s, monotonicIn(20), 0, IORING_TIMEOUT_ABS))).toEqual({ userData: 1, res: -ETIME, flags: 0 });
  });

  it('IORING_TIMEOUT_ABS with a deadline already passed fires at once (read as relative, it would be hours away)', () => {
    using ring = new IoUring(4);
    const past = monotonicIn(-1000);
    expect(past.sec).toBeGreaterThan(5); // as a relative timeout this would outlast reapOne's 5 s
    expect(run(ring, (s) => prepTimeout(s, past, 0, IORING_TIMEOUT_ABS))).toEqual({ userData: 1, res: -ETIME, flags: 0 });
  });

  it('IORING_TIMEOUT_MULTISHOT with count 3 fires three times: F_MORE on all but the last', () => {
    using ring = new IoUring(4);
    queue(ring, (s) => prepTimeout(s, 5, 3, IORING_TIMEOUT_MULTISHOT), 1);
    ring.submit();
    const got = reapN(ring, 3);
    expect(got.map((g) => [g.userData, g.res, cqeHasMore(g)])).toEqual([[1, -ETIME, true], [1, -ETIME, true], [1, -ETIME, false]]);
    expect(reapQuiet(ring)).toEqual([]);
  });

  it('IORING_TIMEOUT_MULTISHOT with count 0 repeats until prepTimeoutRemove, which ends it with -ECANCELED', () => {
    using ring = new IoUring(8);
    queue(ring, (s) => prepTimeout(s, 2, 0, IORING_TIMEOUT_MULTISHOT), 1);
    ring.submit();
    for (const g of reapN(ring, 4)) expect([g.userData, g.res, cqeHasMore(g)]).toEqual([1, -ETIME, true]);
    queue(ring, (s) => prepTimeoutRemove(s, 1), 2);
    ring.submit();
    // Ticks that fired before the remove may still be queued ahead of it.
    let got = reapOne(ring);
    while (got.userData === 1 && got.res === -ETIME && cqeHasMore(got)) got = reapOne(ring);
    const ends = [got, ...reapQuiet(ring)].sort(byUserData);
    expect(ends).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 0, flags: 0 }]);
  });

  it('prepTimeoutUpdate turns an hour-long timeout into a 10 ms one, which fires', () => {
    using ring = new IoUring(4);
    queue(ring, (s) => prepTimeout(s, HOUR), 1);
    ring.submit();
    expect(reapQuiet(ring)).toEqual([]);
    queue(ring, (s) => prepTimeoutUpdate(s, 10, 1), 2);
    ring.submit();
    expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ETIME, flags: 0 }, { userData: 2, res: 0, flags: 0 }]);
  });

  it('prepTimeoutRemove cancels a timeout (-ECANCELED); a second remove finds nothing (-ENOENT)', () => {
    using ring = new IoUring(4);
    queue(ring, (s) => prepTimeout(s, HOUR), 1);
    queue(ring, (s) => prepTimeoutRemove(s, 1), 2);
    ring.submit();
    expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 0, flags: 0 }]);
    expect(run(ring, (s) => prepTimeoutRemove(s, 1), 3).res).toBe(-ENOENT);
  });

  it('prepLinkTimeout: a read of an empty pipe linked to a 20 ms link timeout ends -ECANCELED, the timeout -ETIME', () => {
    using ring = new IoUring(4);
    withPipe((r) => {
      const buf = Buffer.alloc(8, 0x22);
      queue(ring, (s) => prepRead(s, r, buf), 1, IOSQE_IO_LINK);
      queue(ring, (s) => prepLinkTimeout(s, 20), 2);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: -ETIME, flags: 0 }]);
      expect(buf).toEqual(Buffer.alloc(8, 0x22));
    });
  });

  it('prepLinkTimeout: a read that completes first leaves the link timeout -ECANCELED', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      fs.writeSync(w, 'abc');
      queue(ring, (s) => prepRead(s, r, Buffer.alloc(8)), 1, IOSQE_IO_LINK);
      queue(ring, (s) => prepLinkTimeout(s, HOUR), 2);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: 3, flags: 0 }, { userData: 2, res: -ECANCELED, flags: 0 }]);
    });
  });

  it('prepTimeoutUpdate with IORING_LINK_TIMEOUT_UPDATE shortens a link timeout', () => {
    using ring = new IoUring(4);
    withPipe((r) => {
      queue(ring, (s) => prepRead(s, r, Buffer.alloc(8)), 1, IOSQE_IO_LINK);
      queue(ring, (s) => prepLinkTimeout(s, HOUR), 2);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepTimeoutUpdate(s, 10, 2, IORING_LINK_TIMEOUT_UPDATE), 3);
      ring.submit();
      expect(reapN(ring, 3).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: -ETIME, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
    });
  });
});
