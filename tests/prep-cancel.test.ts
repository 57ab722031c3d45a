/**
 * Tests for the encoders of lib/prep/cancel.ts: cancel by user_data, by fd,
 * by opcode, any; and a cancel that loses its race.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import {
  IoUring, cString, prepRead, prepRw, prepTimeout, IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD, IORING_ASYNC_CANCEL_FD_FIXED, IORING_ASYNC_CANCEL_OP, IORING_ASYNC_CANCEL_USERDATA,
  IORING_OP_ASYNC_CANCEL, IORING_OP_OPENAT, IORING_OP_POLL_ADD, IORING_OP_READ, IOSQE_ASYNC, IOSQE_FIXED_FILE, ERRNO,
} from '../lib/index.ts';
import { prepPollAdd } from '../lib/prep/poll.ts';
import { POLLIN } from '../lib/uapi/poll.ts';
import { prepCancel, prepCancel64, prepCancelFd } from '../lib/prep/cancel.ts';
import { addressOf } from '../ffi/index.ts';
import {
  byUserData, queue, registerFiles, withPipe, reapN, reapOne, reapQuiet, run, type Done, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENOENT, EINTR, EALREADY, ECANCELED } = ERRNO;

// Kernel-internal "restart the syscall"; a blocking open interrupted in an
// io-wq worker reports it as is (seen on 6.18).
const ERESTARTSYS = 512;

const O_CLOEXEC = 0o2000000;

const AT_FDCWD = -100;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const U64_MAX = 2n ** 64n - 1n;
  const rows: FieldRow[] = [
    { name: 'prepCancel', prep: (s) => prepCancel(s, 42), want: { opcode: IORING_OP_ASYNC_CANCEL, fd: -1, addr: 42n } },
    { name: 'prepCancel (ALL)', prep: (s) => prepCancel(s, 2 ** 53 - 1, IORING_ASYNC_CANCEL_ALL), want: { opcode: IORING_OP_ASYNC_CANCEL, fd: -1, addr: 2n ** 53n - 1n, rwFlags: IORING_ASYNC_CANCEL_ALL } },
    { name: 'prepCancel64 (bigint)', prep: (s) => prepCancel64(s, U64_MAX - 1n), want: { opcode: IORING_OP_ASYNC_CANCEL, fd: -1, addr: U64_MAX - 1n } },
    {
      name: 'prepCancel64 (USERDATA | OP, opcode in len)',
      prep: (s) => prepCancel64(s, 9, IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP, IORING_OP_READ),
      want: { opcode: IORING_OP_ASYNC_CANCEL, fd: -1, addr: 9n, len: IORING_OP_READ, rwFlags: IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP },
    },
    { name: 'prepCancel64 (ANY)', prep: (s) => prepCancel64(s, 0, IORING_ASYNC_CANCEL_ANY), want: { opcode: IORING_OP_ASYNC_CANCEL, fd: -1, rwFlags: IORING_ASYNC_CANCEL_ANY } },
    { name: 'prepCancelFd', prep: (s) => prepCancelFd(s, fd), want: { opcode: IORING_OP_ASYNC_CANCEL, fd, rwFlags: IORING_ASYNC_CANCEL_FD } },
    {
      name: 'prepCancelFd (FD_FIXED | ALL | OP)',
      prep: (s) => prepCancelFd(s, 3, IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_OP, IORING_OP_POLL_ADD),
      want: { opcode: IORING_OP_ASYNC_CANCEL, fd: 3, len: IORING_OP_POLL_ADD, rwFlags: IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_OP },
    },
  ];

  itWritesFields(rows);
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepCancel: a bigint (prepCancel64 takes those)', (s) => prepCancel(s, 1n as unknown as number), TypeError],
    ['prepCancel64: user_data -1', (s) => prepCancel64(s, -1), TypeError],
    ['prepCancel64: opcode -1', (s) => prepCancel64(s, 1, IORING_ASYNC_CANCEL_OP, -1), RangeError],
    ['prepCancelFd: fd 2^31', (s) => prepCancelFd(s, 2 ** 31), RangeError],
    ['prepCancelFd: flags 1n', (s) => prepCancelFd(s, 3, 1n as unknown as number), TypeError],
  ];

  itRefusesBeforeWriting(bad);
});

// ------------------------------------------------------------------ cancel

describe('cancel', () => {
  /** Queues a read of the (empty) pipe `r` that will wait for data. */
  const pendingRead = (ring: IoUring, r: number, ud: number | bigint, buf = Buffer.alloc(8)) => queue(ring, (s) => prepRead(s, r, buf), ud);

  it('prepCancel by user_data: 0, and the read ends -ECANCELED with its buffer untouched', () => {
    using ring = new IoUring(8);
    withPipe((r) => {
      const buf = Buffer.alloc(8, 0x11);
      pendingRead(ring, r, 1, buf);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepCancel(s, 1), 2);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 0, flags: 0 }]);
      expect(buf).toEqual(Buffer.alloc(8, 0x11));
    });
  });

  it('prepCancel64 matches a user_data above 2^53 exactly', () => {
    using ring = new IoUring(8);
    withPipe((r) => {
      const big = 2n ** 60n + 3n;
      pendingRead(ring, r, big);
      pendingRead(ring, r, big + 1n);
      ring.submit();
      queue(ring, (s) => prepCancel64(s, big), 2);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 2, res: 0, flags: 0 }, { userData: big, res: -ECANCELED, flags: 0 }]);
      expect(run(ring, (s) => prepCancel64(s, big + 1n), 3)).toEqual({ userData: 3, res: 0, flags: 0 });
      expect(reapOne(ring)).toEqual({ userData: big + 1n, res: -ECANCELED, flags: 0 });
    });
  });

  it('prepCancelFd cancels the first request on the fd; with ALL, every one, and res counts them', () => {
    using ring = new IoUring(8);
    withPipe((r) => {
      for (const ud of [1, 2, 3]) pendingRead(ring, r, ud);
      ring.submit();
      queue(ring, (s) => prepCancelFd(s, r), 10);
      ring.submit();
      // One of the three (which one is the kernel's lookup order, not submission order).
      const [one, cancel] = reapN(ring, 2).sort(byUserData) as [Done, Done];
      expect([[1, 2, 3].includes(one.userData as number), one.res, cancel]).toEqual([true, -ECANCELED, { userData: 10, res: 0, flags: 0 }]);
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepCancelFd(s, r, IORING_ASYNC_CANCEL_ALL), 11);
      ring.submit();
      const rest = [1, 2, 3].filter((ud) => ud !== one.userData).map((ud) => ({ userData: ud, res: -ECANCELED, flags: 0 }));
      expect(reapN(ring, 3).sort(byUserData)).toEqual([...rest, { userData: 11, res: 2, flags: 0 }]);
    });
  });

  it('prepCancelFd with FD_FIXED matches a registered-file index', () => {
    using ring = new IoUring(8);
    withPipe((r) => {
      registerFiles(ring, [r]);
      queue(ring, (s) => prepRead(s, 0, Buffer.alloc(8)), 1, IOSQE_FIXED_FILE);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      // Without FD_FIXED, 0 is stdin: nothing matches.
      expect(run(ring, (s) => prepCancelFd(s, 0), 2).res).toBe(-ENOENT);
      queue(ring, (s) => prepCancelFd(s, 0, IORING_ASYNC_CANCEL_FD_FIXED), 3);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
    });
  });

  it('IORING_ASYNC_CANCEL_ANY cancels every pending request whatever its user_data or fd, and counts them', () => {
    using ring = new IoUring(8);
    withPipe((r, w) => {
      pendingRead(ring, r, 1);
      queue(ring, (s) => prepPollAdd(s, w, POLLIN), 2);
      queue(ring, (s) => prepTimeout(s, 3_600_000), 3);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepCancel64(s, 0, IORING_ASYNC_CANCEL_ANY), 10);
      ring.submit();
      expect(reapN(ring, 4).sort(byUserData)).toEqual([
        { userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: -ECANCELED, flags: 0 }, { userData: 3, res: -ECANCELED, flags: 0 }, { userData: 10, res: 3, flags: 0 },
      ]);
      expect(run(ring, (s) => prepCancel64(s, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL), 11).res).toBe(0);
    });
  });

  it('IORING_ASYNC_CANCEL_OP matches the opcode only; with USERDATA, both must match', () => {
    using ring = new IoUring(8);
    withPipe((r) => {
      pendingRead(ring, r, 1);
      queue(ring, (s) => prepPollAdd(s, r, POLLIN), 1);
      pendingRead(ring, r, 2);
      queue(ring, (s) => prepPollAdd(s, r, POLLIN), 3);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      // user_data 1 and READ: the read, not the poll with the same user_data.
      queue(ring, (s) => prepCancel(s, 1, IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP, IORING_OP_READ), 10);
      ring.submit();
      const first = reapN(ring, 2).sort(byUserData);
      expect(first).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 10, res: 0, flags: 0 }]);
      // Every POLL_ADD, whatever its user_data: the two polls.
      queue(ring, (s) => prepCancel(s, 0, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL, IORING_OP_POLL_ADD), 11);
      ring.submit();
      expect(reapN(ring, 3).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 3, res: -ECANCELED, flags: 0 }, { userData: 11, res: 2, flags: 0 }]);
      // The read on its fd, matched by fd and opcode.
      queue(ring, (s) => prepCancelFd(s, r, IORING_ASYNC_CANCEL_OP, IORING_OP_READ), 12);
      ring.submit();
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 2, res: -ECANCELED, flags: 0 }, { userData: 12, res: 0, flags: 0 }]);
    });
  });

  // RELIABILITY 16: a cancel that loses the race.
  it('a cancel of a request that already completed gets -ENOENT, and the result was delivered exactly once', () => {
    using ring = new IoUring(8);
    withPipe((r, w) => {
      fs.writeSync(w, 'hi');
      const buf = Buffer.alloc(8);
      queue(ring, (s) => prepRead(s, r, buf), 1);
      queue(ring, (s) => prepCancel(s, 1), 2);
      ring.submit();
      const got = [...reapN(ring, 2), ...reapQuiet(ring)].sort(byUserData);
      expect(got).toEqual([{ userData: 1, res: 2, flags: 0 }, { userData: 2, res: -ENOENT, flags: 0 }]);
      expect(buf.subarray(0, 2).toString()).toBe('hi');
    });
  });

  it('a cancel of a blocking open running in an io-wq worker gets -EALREADY (or 0 if it had not started); the open completes exactly once', () => {
    using ring = new IoUring(8);
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      // Opening a FIFO for reading blocks until a writer comes; IOSQE_ASYNC
      // makes it block in a worker instead of trying O_NONBLOCK first.
      const p = cString(fifo);
      queue(ring, (s) => {
        prepRw(IORING_OP_OPENAT, s, AT_FDCWD, addressOf(p), 0, 0);
        s.rwFlags = fs.constants.O_RDONLY | O_CLOEXEC; // open_flags
        s.keep(p);
      }, 1, IOSQE_ASYNC);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]); // and by now the worker is asleep in open()
      queue(ring, (s) => prepCancel(s, 1), 2);
      ring.submit();
      const got = [...reapN(ring, 2), ...reapQuiet(ring)].sort(byUserData);
      expect(got.map((g) => g.userData)).toEqual([1, 2]);
      const [open, cancel] = got as [Done, Done];
      if (cancel.res === -EALREADY) {
        // The worker was signalled; open() returned what an interrupted
        // syscall returns (6.18 posts -ERESTARTSYS as it is).
        expect([-EINTR, -ERESTARTSYS, -ECANCELED]).toContain(open.res);
      } else {
        expect([cancel.res, open.res]).toEqual([0, -ECANCELED]);
      }
      expect(run(ring, (s) => prepCancel(s, 1), 3).res).toBe(-ENOENT);
    } finally {
      fs.rmSync(fifo);
    }
  });
});
