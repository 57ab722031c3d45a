/**
 * Tests for the encoders of lib/prep/poll.ts (poll add, multishot, remove,
 * update).
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
  IoUring, IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_POLL_ADD_MULTI, IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA, ERRNO,
} from '../lib/index.ts';
import { prepPollAdd, prepPollMultishot, prepPollRemove, prepPollUpdate } from '../lib/prep/poll.ts';
import { POLLIN, POLLOUT } from '../lib/uapi/poll.ts';
import { EPOLLET } from '../lib/uapi/poll.ts';
import { cqeHasMore } from '../lib/prep/sqe-cqe.ts';
import { pipe } from '../ffi/index.ts';
import { byUserData, queue, withPipe, reapN, reapOne, reapQuiet, run, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal } from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENOENT, ECANCELED } = ERRNO;

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const U64_MAX = 2n ** 64n - 1n;
  const rows: FieldRow[] = [
    { name: 'prepPollAdd', prep: (s) => prepPollAdd(s, fd, POLLIN | POLLOUT), want: { opcode: IORING_OP_POLL_ADD, fd, rwFlags: POLLIN | POLLOUT } },
    { name: 'prepPollAdd (EPOLLET: bit 31, negative in JS)', prep: (s) => prepPollAdd(s, fd, POLLIN | EPOLLET), want: { opcode: IORING_OP_POLL_ADD, fd, rwFlags: 0x80000001 } },
    { name: 'prepPollMultishot', prep: (s) => prepPollMultishot(s, fd, POLLIN), want: { opcode: IORING_OP_POLL_ADD, fd, len: IORING_POLL_ADD_MULTI, rwFlags: POLLIN } },
    { name: 'prepPollRemove', prep: (s) => prepPollRemove(s, 2 ** 40 + 3), want: { opcode: IORING_OP_POLL_REMOVE, fd: -1, addr: 2n ** 40n + 3n } },
    { name: 'prepPollRemove (bigint)', prep: (s) => prepPollRemove(s, U64_MAX), want: { opcode: IORING_OP_POLL_REMOVE, fd: -1, addr: U64_MAX } },
    {
      name: 'prepPollUpdate',
      prep: (s) => prepPollUpdate(s, 5, 2n ** 63n, POLLOUT, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA),
      want: { opcode: IORING_OP_POLL_REMOVE, fd: -1, addr: 5n, off: 2n ** 63n, len: IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA, rwFlags: POLLOUT },
    },
  ];

  itWritesFields(rows);
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepPollAdd: fd 1.5', (s) => prepPollAdd(s, 1.5, POLLIN), RangeError],
    ['prepPollAdd: mask 2^32', (s) => prepPollAdd(s, 3, 2 ** 32), RangeError],
    ['prepPollMultishot: fd 2^31', (s) => prepPollMultishot(s, 2 ** 31, POLLIN), RangeError],
    ['prepPollRemove: user_data 2^53', (s) => prepPollRemove(s, 2 ** 53), TypeError],
    ['prepPollRemove: user_data -1n', (s) => prepPollRemove(s, -1n), RangeError],
    ['prepPollUpdate: new user_data 2^64', (s) => prepPollUpdate(s, 1, 2n ** 64n, POLLIN, IORING_POLL_UPDATE_USER_DATA), RangeError],
  ];

  itRefusesBeforeWriting(bad);
});

// -------------------------------------------------------------------- poll

describe('poll', () => {
  it('prepPollAdd fires once the pipe is readable, with POLLIN in res', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      queue(ring, (s) => prepPollAdd(s, r, POLLIN), 1);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      fs.writeSync(w, 'x');
      const got = reapOne(ring);
      expect(got.userData).toBe(1);
      expect(got.res & POLLIN).toBe(POLLIN);
      expect(cqeHasMore(got)).toBe(false);
      expect(reapQuiet(ring)).toEqual([]); // one-shot: a second write posts nothing
    });
  });

  it('prepPollMultishot posts a CQE with F_MORE per wakeup, and ends -ECANCELED without F_MORE on prepPollRemove', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      queue(ring, (s) => prepPollMultishot(s, r, POLLIN), 1);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      for (const byte of ['a', 'b', 'c']) {
        fs.writeSync(w, byte);
        const got = reapOne(ring);
        expect([got.userData, got.res & POLLIN, cqeHasMore(got)]).toEqual([1, POLLIN, true]);
      }
      expect(run(ring, (s) => prepPollRemove(s, 1), 2)).toEqual({ userData: 2, res: 0, flags: 0 });
      expect(reapOne(ring)).toEqual({ userData: 1, res: -ECANCELED, flags: 0 });
      fs.writeSync(w, 'd');
      expect(reapQuiet(ring)).toEqual([]);
    });
  });

  it('prepPollUpdate changes the mask and the user_data of an armed poll', () => {
    using ring = new IoUring(4);
    withPipe((_, w) => {
      // A pipe's write end never reports POLLIN: this poll waits forever...
      queue(ring, (s) => prepPollAdd(s, w, POLLIN), 1);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      // ...until it waits for POLLOUT instead, which an empty pipe has.
      queue(ring, (s) => prepPollUpdate(s, 1, 7, POLLOUT, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA), 2);
      ring.submit();
      const got = reapN(ring, 2).sort(byUserData);
      expect(got[0]).toEqual({ userData: 2, res: 0, flags: 0 });
      expect([got[1]!.userData, got[1]!.res & POLLOUT]).toEqual([7, POLLOUT]);
    });
  });

  it('prepPollRemove and prepPollUpdate of a poll that is not armed: -ENOENT', () => {
    using ring = new IoUring(4);
    expect(run(ring, (s) => prepPollRemove(s, 12345), 2).res).toBe(-ENOENT);
    expect(run(ring, (s) => prepPollUpdate(s, 12345, 0, POLLIN, IORING_POLL_UPDATE_EVENTS), 3).res).toBe(-ENOENT);
  });
});
