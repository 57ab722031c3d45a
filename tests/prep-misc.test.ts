/**
 * Tests for the encoders of lib/prep/poll.ts, cancel.ts, timeout.ts (remove,
 * update, link timeouts), msg-ring.ts, futex.ts, waitid.ts, epoll.ts and
 * cmd.ts, and the SQE/CQE helpers of lib/prep/helpers.ts with the IOSQE_*
 * semantics they set (links, hard links, drain, skip-success, fixed files,
 * provided buffers).
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
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { execFileSync, spawn } from 'node:child_process';
import {
  IoUring, cString, layout, prepNop, prepRead, prepRw, prepTimeout, prepWrite, type Cqe, type Sqe,
  IORING_ASYNC_CANCEL_ALL, IORING_ASYNC_CANCEL_ANY, IORING_ASYNC_CANCEL_FD, IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP, IORING_ASYNC_CANCEL_USERDATA, IORING_CQE_BUFFER_SHIFT, IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_CQE_F_SOCK_NONEMPTY, IORING_FILE_INDEX_ALLOC,
  IORING_LINK_TIMEOUT_UPDATE, IORING_MSG_RING_CQE_SKIP, IORING_MSG_RING_FLAGS_PASS, IORING_MSG_SEND_FD,
  IORING_OP_ASYNC_CANCEL, IORING_OP_CONNECT, IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT, IORING_OP_FUTEX_WAIT,
  IORING_OP_FUTEX_WAITV, IORING_OP_FUTEX_WAKE, IORING_OP_LINK_TIMEOUT, IORING_OP_MSG_RING, IORING_OP_NOP128,
  IORING_OP_OPENAT, IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_OP_PROVIDE_BUFFERS, IORING_OP_READ,
  IORING_OP_SEND, IORING_OP_SOCKET, IORING_OP_TIMEOUT_REMOVE, IORING_OP_URING_CMD,
  IORING_OP_URING_CMD128, IORING_OP_WAITID, IORING_POLL_ADD_MULTI, IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA, IORING_REGISTER_FILES, IORING_REGISTER_FILES2,
  IORING_RSRC_REGISTER_SPARSE, IORING_SETUP_SQE128, IORING_TIMEOUT_ABS, IORING_TIMEOUT_MULTISHOT,
  IORING_TIMEOUT_UPDATE, IOSQE_ASYNC, IOSQE_BUFFER_SELECT, IOSQE_CQE_SKIP_SUCCESS, IOSQE_FIXED_FILE, IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK, IOSQE_IO_LINK, SOCKET_URING_OP_SIOCINQ, ERRNO } from '../lib/index.ts';
import { prepPollAdd, prepPollMultishot, prepPollRemove, prepPollUpdate, POLLIN, POLLOUT } from '../lib/prep/poll.ts';
import { prepCancel, prepCancel64, prepCancelFd } from '../lib/prep/cancel.ts';
import { prepLinkTimeout, prepTimeoutRemove, prepTimeoutUpdate } from '../lib/prep/timeout.ts';
import { prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd, prepMsgRingFdAlloc } from '../lib/prep/msg-ring.ts';
import {
  FUTEX2_PRIVATE, FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY, futex_waitv, makeFutexWaitv, prepFutexWait, prepFutexWaitv,
  prepFutexWake,
} from '../lib/prep/futex.ts';
import { CLD_EXITED, P_PID, WEXITED, WNOWAIT, makeSiginfo, prepWaitid, readSiginfo, siginfo } from '../lib/prep/waitid.ts';
import {
  EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLET, EPOLLIN, epoll_event, makeEpollEvent, prepEpollCtl, prepEpollWait, readEpollEvent,
} from '../lib/prep/epoll.ts';
import {
  BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL, prepCmdDiscard, prepCmdZoneResetAll, prepNop128, prepUringCmd,
  prepUringCmd128,
} from '../lib/prep/cmd.ts';
import {
  cqeBufMore, cqeBufferId, cqeGetData, cqeGetData64, cqeHasMore, cqeIsNotif, cqeSockNonempty, sqeSetBufGroup, sqeSetData,
  sqeSetFlags,
} from '../lib/prep/helpers.ts';
import * as ffi from '../ffi/index.ts';
import { addressOf, close, pipe, view } from '../ffi/index.ts';
import {
  byUserData, note, opcodeMissing, queue, reapN, reapOne, reapQuiet, registerSparseFiles, run, sqeFields, sqeView, staleSqe, type Done,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENOENT, EINTR, ENXIO, EBADF, ECHILD, EAGAIN, EINVAL, ETIME, EBADFD, EOPNOTSUPP, EALREADY, ECANCELED } = ERRNO;
// Kernel-internal "restart the syscall"; a blocking open interrupted in an
// io-wq worker reports it as is (seen on 6.18).
const ERESTARTSYS = 512;
const SIGCHLD = 17;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = O_CLOEXEC;
const FUTEX_FLAGS = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsuring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ------------------------------------------------------------------ helpers

/** Runs `fn` with a fresh pipe; both ends closed after. */
function withPipe(fn: (r: number, w: number) => void): void {
  const p = pipe(O_CLOEXEC);
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  try {
    fn(p[0], p[1]);
  } finally {
    close(p[0]);
    close(p[1]);
  }
}

/** Registers `fds` as the ring's file table (IORING_REGISTER_FILES). */
function registerFiles(ring: IoUring, fds: number[]): void {
  ring.registerRaw(IORING_REGISTER_FILES, new Int32Array(fds), fds.length);
}

/** CLOCK_MONOTONIC now plus `deltaMs`, as { sec, nsec } (process.hrtime reads CLOCK_MONOTONIC). */
function monotonicIn(deltaMs: number): { sec: number; nsec: number } {
  const ns = process.hrtime.bigint() + BigInt(Math.round(deltaMs * 1e6));
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** The bytes of one SQE, through the ring's own view of its memory. */
const L = layout.io_uring_sqe;

// The shared reader's fields, but for splice_fd_in: the same bytes as file_index.
type Fields = Omit<ReturnType<typeof sqeFields>, 'spliceFdIn'>;
/** An expected field: its value, or a check of a pointer field's target. */
type Want = number | bigint | ((actual: bigint) => void);

/** The pointer field holds the address of `v`. */
const at = (v: ArrayBufferView) => (a: bigint) => expect(Number(a)).toBe(addressOf(v));
/** The pointer field names a __kernel_timespec holding `ts`. */
const timespec = (ts: { sec: number; nsec: number }) => (a: bigint) => {
  expect(a).not.toBe(0n);
  const dv = new DataView(view(Number(a), layout.__kernel_timespec.sizeof));
  expect({ sec: Number(dv.getBigInt64(layout.__kernel_timespec.tv_sec, true)), nsec: Number(dv.getBigInt64(layout.__kernel_timespec.tv_nsec, true)) }).toEqual(ts);
};
/** The pointer field names `len` bytes that `check` accepts. */
const struct = (len: number, check: (dv: DataView) => void) => (a: bigint) => {
  expect(a).not.toBe(0n);
  check(new DataView(view(Number(a), len)));
};

function expectFields(sqe: Sqe, want: Partial<Record<keyof Fields, Want>>): void {
  const { spliceFdIn, ...got } = sqeFields(sqe);
  void spliceFdIn;
  const expected: Record<string, number | bigint> = {
    opcode: 0, flags: 0, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, rwFlags: 0, userData: 0x12345678n,
    bufIndex: 0, personality: 0, fileIndex: 0, addr3: 0n, pad2: 0n,
  };
  for (const [k, w] of Object.entries(want)) {
    const actual = got[k as keyof Fields];
    if (typeof w === 'function') {
      w(actual as bigint);
      expected[k] = actual;
    } else {
      expected[k] = w;
    }
  }
  expect(got).toEqual(expected);
}

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const futex = new Uint32Array(4).subarray(1, 2);
  const futex2 = new Uint32Array(2);
  const info = makeSiginfo();
  const events = new Uint8Array(epoll_event.sizeof * 4);
  const rawEvent = makeEpollEvent({ events: EPOLLIN, data: 9 });
  const U64_MAX = 2n ** 64n - 1n;
  interface Row {
    name: string;
    prep: (s: Sqe) => void;
    want: Partial<Record<keyof Fields, Want>>;
    /** How many objects the entry keeps until its CQE. */
    kept?: number;
  }
  const rows: Row[] = [
    // poll.ts
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
    // cancel.ts
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
    // timeout.ts
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
    // msg-ring.ts
    { name: 'prepMsgRing', prep: (s) => prepMsgRing(s, fd, 0xfffffffe, 2n ** 60n), want: { opcode: IORING_OP_MSG_RING, fd, len: 0xfffffffe, off: 2n ** 60n } },
    { name: 'prepMsgRing (CQE_SKIP)', prep: (s) => prepMsgRing(s, fd, 1, 2, IORING_MSG_RING_CQE_SKIP), want: { opcode: IORING_OP_MSG_RING, fd, len: 1, off: 2n, rwFlags: IORING_MSG_RING_CQE_SKIP } },
    {
      name: 'prepMsgRingCqeFlags',
      prep: (s) => prepMsgRingCqeFlags(s, fd, 5, 6, 0, 0xabcd0000),
      want: { opcode: IORING_OP_MSG_RING, fd, len: 5, off: 6n, rwFlags: IORING_MSG_RING_FLAGS_PASS, fileIndex: 0xabcd0000 },
    },
    {
      name: 'prepMsgRingFd',
      prep: (s) => prepMsgRingFd(s, fd, 3, 4, 99),
      want: { opcode: IORING_OP_MSG_RING, fd, addr: BigInt(IORING_MSG_SEND_FD), off: 99n, fileIndex: 5, addr3: 3n },
    },
    {
      name: 'prepMsgRingFdAlloc',
      prep: (s) => prepMsgRingFdAlloc(s, fd, 3, 99, IORING_MSG_RING_CQE_SKIP),
      want: { opcode: IORING_OP_MSG_RING, fd, addr: BigInt(IORING_MSG_SEND_FD), off: 99n, fileIndex: IORING_FILE_INDEX_ALLOC, addr3: 3n, rwFlags: IORING_MSG_RING_CQE_SKIP },
    },
    // futex.ts
    {
      name: 'prepFutexWait',
      prep: (s) => prepFutexWait(s, futex, 0xffffffff, 0x0f, FUTEX_FLAGS),
      want: { opcode: IORING_OP_FUTEX_WAIT, fd: FUTEX_FLAGS, addr: at(futex), off: 0xffffffffn, addr3: 0x0fn },
      kept: 1,
    },
    {
      name: 'prepFutexWake',
      prep: (s) => prepFutexWake(s, futex, 3, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS),
      want: { opcode: IORING_OP_FUTEX_WAKE, fd: FUTEX_FLAGS, addr: at(futex), off: 3n, addr3: 0xffffffffn },
      kept: 1,
    },
    {
      name: 'prepFutexWaitv (two words: struct futex_waitv[2])',
      prep: (s) => prepFutexWaitv(s, [{ uaddr: futex2, val: 1, flags: FUTEX_FLAGS }, { uaddr: futex2.subarray(1), val: 2n, flags: FUTEX2_SIZE_U32 }]),
      want: {
        opcode: IORING_OP_FUTEX_WAITV, fd: 0, len: 2,
        addr: struct(2 * futex_waitv.sizeof, (v) => {
          const entry = (i: number) => {
            const b = i * futex_waitv.sizeof;
            return [v.getBigUint64(b + futex_waitv.val, true), Number(v.getBigUint64(b + futex_waitv.uaddr, true)), v.getUint32(b + futex_waitv.flags, true), v.getUint32(b + futex_waitv.__reserved, true)];
          };
          expect([entry(0), entry(1)]).toEqual([[1n, addressOf(futex2), FUTEX_FLAGS, 0], [2n, addressOf(futex2) + 4, FUTEX2_SIZE_U32, 0]]);
        }),
      },
      kept: 2, // the vector and both words
    },
    // waitid.ts
    {
      name: 'prepWaitid',
      prep: (s) => prepWaitid(s, P_PID, 1234, info, WEXITED | WNOWAIT),
      want: { opcode: IORING_OP_WAITID, fd: 1234, len: P_PID, off: at(info), fileIndex: WEXITED | WNOWAIT },
      kept: 1,
    },
    // epoll.ts
    {
      name: 'prepEpollCtl ({ events, data }: struct epoll_event)',
      prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_ADD, { events: EPOLLIN | EPOLLET, data: 2n ** 64n - 2n }),
      want: {
        opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_ADD, off: 12n,
        addr: struct(epoll_event.sizeof, (v) => expect([v.getUint32(epoll_event.events, true), v.getBigUint64(epoll_event.data, true)]).toEqual([0x80000001, 2n ** 64n - 2n])),
      },
      kept: 1,
    },
    { name: 'prepEpollCtl (a struct you built)', prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_ADD, rawEvent), want: { opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_ADD, off: 12n, addr: at(rawEvent) }, kept: 1 },
    { name: 'prepEpollCtl (DEL, no event)', prep: (s) => prepEpollCtl(s, fd, 12, EPOLL_CTL_DEL, null), want: { opcode: IORING_OP_EPOLL_CTL, fd, len: EPOLL_CTL_DEL, off: 12n }, kept: 0 },
    { name: 'prepEpollWait (as many as fit)', prep: (s) => prepEpollWait(s, fd, events), want: { opcode: IORING_OP_EPOLL_WAIT, fd, addr: at(events), len: 4 }, kept: 1 },
    { name: 'prepEpollWait (maxevents 2)', prep: (s) => prepEpollWait(s, fd, events, 2), want: { opcode: IORING_OP_EPOLL_WAIT, fd, addr: at(events), len: 2 }, kept: 1 },
    // cmd.ts
    { name: 'prepUringCmd', prep: (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(SOCKET_URING_OP_SIOCINQ) } },
    { name: 'prepUringCmd (cmd_op with bit 31, __pad1 zeroed)', prep: (s) => prepUringCmd(s, 0xc0484e80 | 0, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: 0xc0484e80n } },
    { name: 'prepUringCmd128', prep: (s) => prepUringCmd128(s, 1, fd), want: { opcode: IORING_OP_URING_CMD128, fd, off: 1n } },
    { name: 'prepNop128', prep: (s) => prepNop128(s), want: { opcode: IORING_OP_NOP128, fd: -1 } },
    { name: 'prepCmdDiscard', prep: (s) => prepCmdDiscard(s, fd, 2 ** 40, 4096), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(BLOCK_URING_CMD_DISCARD), addr: 2n ** 40n, addr3: 4096n } },
    { name: 'prepCmdZoneResetAll', prep: (s) => prepCmdZoneResetAll(s, fd), want: { opcode: IORING_OP_URING_CMD, fd, off: BigInt(BLOCK_URING_CMD_ZONE_RESET_ALL) } },
  ];

  it.each(rows)('$name', (row) => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    row.prep(sqe);
    expectFields(sqe, row.want);
    expect(sqe.kept).toBe(row.kept ?? 0);
  });

  it('BLOCK_URING_CMD_* are _IO(0x12, 0) and _IO(0x12, 1)', () => {
    // _IO(type, nr) = (type << 8) | nr: no size, no direction bits.
    expect([BLOCK_URING_CMD_DISCARD, BLOCK_URING_CMD_ZONE_RESET_ALL]).toEqual([(0x12 << 8) | 0, (0x12 << 8) | 1]);
  });

  it('struct epoll_event is packed to 12 bytes on x86_64 (data at 4)', () => {
    if (process.arch === 'x64') expect(epoll_event).toEqual({ sizeof: 12, events: 0, data: 4 });
    else expect(epoll_event).toEqual({ sizeof: 16, events: 0, data: 8 });
    const ev = makeEpollEvent({ events: EPOLLIN, data: 0x0102030405060708n });
    expect(readEpollEvent(ev, 0)).toEqual({ events: EPOLLIN, data: 0x0102030405060708n });
    expect(() => readEpollEvent(ev, 1)).toThrow(RangeError);
  });

  it('struct futex_waitv is 24 bytes: val u64 at 0, uaddr u64 at 8, flags u32 at 16, __reserved u32 at 20', () => {
    expect(futex_waitv).toEqual({ sizeof: 24, val: 0, uaddr: 8, flags: 16, __reserved: 20 });
    expect(makeFutexWaitv([]).byteLength).toBe(futex_waitv.sizeof); // room for one, so the address is real
  });

  it('prepWaitid with no infop makes a 128-byte siginfo, returns it and keeps it', () => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    const made = prepWaitid(sqe, P_PID, 1, undefined, WEXITED);
    expect(made.byteLength).toBe(siginfo.sizeof);
    expectFields(sqe, { opcode: IORING_OP_WAITID, fd: 1, len: P_PID, off: at(made), fileIndex: WEXITED });
    expect(sqe.kept).toBe(1);
  });

  it('prepUringCmd on an SQE128 ring zeroes the whole 80-byte cmd area', () => {
    using ring = new IoUring(2, { flags: IORING_SETUP_SQE128 });
    const sqe = staleSqe(ring);
    expect(sqe.size).toBe(128);
    prepUringCmd(sqe, SOCKET_URING_OP_SIOCINQ, fd);
    expectFields(sqe, { opcode: IORING_OP_URING_CMD, fd });
    expect(sqe.cmd).toEqual(new Uint8Array(80));
  });
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const detached = (): Uint32Array => {
    const a = new Uint32Array(2);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return a;
  };
  const word = new Uint32Array(1);
  const bad: [string, (s: Sqe) => void, typeof TypeError | typeof RangeError][] = [
    ['prepPollAdd: fd 1.5', (s) => prepPollAdd(s, 1.5, POLLIN), RangeError],
    ['prepPollAdd: mask 2^32', (s) => prepPollAdd(s, 3, 2 ** 32), RangeError],
    ['prepPollMultishot: fd 2^31', (s) => prepPollMultishot(s, 2 ** 31, POLLIN), RangeError],
    ['prepPollRemove: user_data 2^53', (s) => prepPollRemove(s, 2 ** 53), TypeError],
    ['prepPollRemove: user_data -1n', (s) => prepPollRemove(s, -1n), RangeError],
    ['prepPollUpdate: new user_data 2^64', (s) => prepPollUpdate(s, 1, 2n ** 64n, POLLIN, IORING_POLL_UPDATE_USER_DATA), RangeError],
    ['prepCancel: a bigint (prepCancel64 takes those)', (s) => prepCancel(s, 1n as unknown as number), TypeError],
    ['prepCancel64: user_data -1', (s) => prepCancel64(s, -1), TypeError],
    ['prepCancel64: opcode -1', (s) => prepCancel64(s, 1, IORING_ASYNC_CANCEL_OP, -1), RangeError],
    ['prepCancelFd: fd 2^31', (s) => prepCancelFd(s, 2 ** 31), RangeError],
    ['prepCancelFd: flags 1n', (s) => prepCancelFd(s, 3, 1n as unknown as number), TypeError],
    ['prepTimeoutRemove: user_data NaN', (s) => prepTimeoutRemove(s, NaN), TypeError],
    ['prepTimeoutUpdate: -1 ms', (s) => prepTimeoutUpdate(s, -1, 1), RangeError],
    ['prepTimeoutUpdate: an 8-byte timespec', (s) => prepTimeoutUpdate(s, new Uint8Array(8), 1), RangeError],
    ['prepLinkTimeout: nsec 1e9', (s) => prepLinkTimeout(s, { sec: 0, nsec: 1e9 }), RangeError],
    ['prepMsgRing: len 2^32', (s) => prepMsgRing(s, 3, 2 ** 32, 0), RangeError],
    ['prepMsgRing: data 1.5', (s) => prepMsgRing(s, 3, 0, 1.5), TypeError],
    ['prepMsgRingCqeFlags: cqeFlags 2^32', (s) => prepMsgRingCqeFlags(s, 3, 0, 0, 0, 2 ** 32), RangeError],
    ['prepMsgRingFd: targetFd 1.5', (s) => prepMsgRingFd(s, 3, 0, 1.5, 0), RangeError],
    ['prepMsgRingFdAlloc: sourceFd "0"', (s) => prepMsgRingFdAlloc(s, 3, '0' as unknown as number, 0), TypeError],
    ['prepFutexWait: a 2-byte futex', (s) => prepFutexWait(s, new Uint8Array(2), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), RangeError],
    ['prepFutexWait: a misaligned futex', (s) => prepFutexWait(s, new Uint8Array(8).subarray(1, 5), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), RangeError],
    ['prepFutexWait: a detached futex', (s) => prepFutexWait(s, detached(), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWait: not a view', (s) => prepFutexWait(s, [0] as unknown as Uint32Array, 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWake: val -1', (s) => prepFutexWake(s, word, -1, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWaitv: 129 words', (s) => prepFutexWaitv(s, Array.from({ length: 129 }, () => ({ uaddr: word, val: 0, flags: FUTEX_FLAGS }))), RangeError],
    ['prepFutexWaitv: uaddr not a view', (s) => prepFutexWaitv(s, [{ uaddr: {} as Uint32Array, val: 0, flags: FUTEX_FLAGS }]), TypeError],
    ['prepFutexWaitv: not an array', (s) => prepFutexWaitv(s, { length: 1 } as unknown as []), TypeError],
    ['prepWaitid: a 64-byte siginfo', (s) => prepWaitid(s, P_PID, 1, Buffer.alloc(64), WEXITED), RangeError],
    ['prepWaitid: id 2^31', (s) => prepWaitid(s, P_PID, 2 ** 31, undefined, WEXITED), RangeError],
    ['prepEpollCtl: ADD with no event', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, null), TypeError],
    ['prepEpollCtl: a 4-byte event', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, new Uint8Array(4)), RangeError],
    ['prepEpollCtl: data 2^64', (s) => prepEpollCtl(s, 3, 4, EPOLL_CTL_ADD, { events: EPOLLIN, data: 2n ** 64n }), RangeError],
    ['prepEpollWait: maxevents past the buffer', (s) => prepEpollWait(s, 3, new Uint8Array(epoll_event.sizeof * 2), 3), RangeError],
    ['prepUringCmd: cmdOp 2^32', (s) => prepUringCmd(s, 2 ** 32, 3), RangeError],
    ['prepCmdDiscard: offset -1', (s) => prepCmdDiscard(s, 3, -1, 4096), RangeError],
    ['prepCmdDiscard: nbytes 2^53', (s) => prepCmdDiscard(s, 3, 0, 2 ** 53), RangeError],
    ['sqeSetFlags: 256', (s) => sqeSetFlags(s, 256), RangeError],
    ['sqeSetBufGroup: 65536', (s) => sqeSetBufGroup(s, 65536), RangeError],
    ['sqeSetData: -1n', (s) => sqeSetData(s, -1n), RangeError],
    ['sqeSetData: 2^53', (s) => sqeSetData(s, 2 ** 53), TypeError],
  ];

  it.each(bad)('%s', (_, call, type) => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    const before = Uint8Array.from(new Uint8Array(sqe.u8.buffer, sqe.u8.byteOffset + sqe.w * 4, sqe.size));
    expect(() => call(sqe)).toThrow(type);
    expect(new Uint8Array(sqe.u8.buffer, sqe.u8.byteOffset + sqe.w * 4, sqe.size)).toEqual(before);
    expect(sqe.kept).toBe(0);
  });
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

// -------------------------------------------- IOSQE_* flags and the helpers

describe('IOSQE_* flags through sqeSetFlags', () => {
  const NO_SUCH_FD = 1_000_000;

  it('IOSQE_IO_LINK: a failed read cancels the NOP linked after it (-EBADF, then -ECANCELED)', () => {
    using ring = new IoUring(4);
    queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 1, IOSQE_IO_LINK);
    queue(ring, prepNop, 2);
    ring.submit();
    expect(reapN(ring, 2)).toEqual([{ userData: 1, res: -EBADF, flags: 0 }, { userData: 2, res: -ECANCELED, flags: 0 }]);
  });

  it('IOSQE_IO_HARDLINK: a failing op does not break the chain; the rest run, in order', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      queue(ring, (s) => prepWrite(s, w, Buffer.from('one')), 1, IOSQE_IO_HARDLINK);
      queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 2, IOSQE_IO_HARDLINK);
      queue(ring, (s) => prepWrite(s, w, Buffer.from('two')), 3);
      ring.submit();
      expect(reapN(ring, 3)).toEqual([{ userData: 1, res: 3, flags: 0 }, { userData: 2, res: -EBADF, flags: 0 }, { userData: 3, res: 3, flags: 0 }]);
      const buf = Buffer.alloc(16);
      expect(buf.subarray(0, fs.readSync(r, buf)).toString()).toBe('onetwo');
    });
  });

  it('IOSQE_IO_DRAIN: the drained NOP waits for the read before it, and the NOP after waits for it', () => {
    using ring = new IoUring(8);
    withPipe((r, w) => {
      queue(ring, (s) => prepRead(s, r, Buffer.alloc(4)), 1);
      queue(ring, prepNop, 2, IOSQE_IO_DRAIN);
      queue(ring, prepNop, 3);
      ring.submit();
      // NOPs complete at once; these wait behind the drain.
      expect(reapQuiet(ring)).toEqual([]);
      fs.writeSync(w, 'go');
      expect(reapN(ring, 3)).toEqual([{ userData: 1, res: 2, flags: 0 }, { userData: 2, res: 0, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
    });
  });

  it('IOSQE_CQE_SKIP_SUCCESS: no CQE when the op succeeds, one when it fails', () => {
    using ring = new IoUring(4);
    queue(ring, prepNop, 1, IOSQE_CQE_SKIP_SUCCESS);
    queue(ring, (s) => prepRead(s, NO_SUCH_FD, Buffer.alloc(4)), 2, IOSQE_CQE_SKIP_SUCCESS);
    queue(ring, prepNop, 3);
    ring.submit();
    expect([...reapN(ring, 2), ...reapQuiet(ring)].sort(byUserData)).toEqual([{ userData: 2, res: -EBADF, flags: 0 }, { userData: 3, res: 0, flags: 0 }]);
  });

  it('IOSQE_ASYNC: a write punted to a worker still lands', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      expect(run(ring, (s) => prepWrite(s, w, Buffer.from('async')), 1, IOSQE_ASYNC).res).toBe(5);
      const buf = Buffer.alloc(8);
      expect(buf.subarray(0, fs.readSync(r, buf)).toString()).toBe('async');
    });
  });

  it('IOSQE_FIXED_FILE: fd is an index into the registered files', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      registerFiles(ring, [w, r]);
      fs.writeSync(w, 'fixed');
      const buf = Buffer.alloc(8);
      expect(run(ring, (s) => prepRead(s, 1, buf), 1, IOSQE_FIXED_FILE).res).toBe(5);
      expect(buf.subarray(0, 5).toString()).toBe('fixed');
    });
  });

  it('IOSQE_BUFFER_SELECT with sqeSetBufGroup: the read picks a provided buffer, and cqeBufferId says which', () => {
    using ring = new IoUring(4);
    withPipe((r, w) => {
      const pool = Buffer.alloc(4 * 8);
      const bgid = 7;
      // IORING_OP_PROVIDE_BUFFERS: 4 buffers of 8 bytes, ids 10..13, group 7 (fd: count, off: first id).
      const provided = run(ring, (s) => {
        prepRw(IORING_OP_PROVIDE_BUFFERS, s, 4, addressOf(pool), 8, 10);
        sqeSetBufGroup(s, bgid);
        s.keep(pool);
      });
      expect(provided.res).toBe(0);
      fs.writeSync(w, 'picked');
      const got = run(ring, (s) => {
        prepRw(IORING_OP_READ, s, r, 0, 8, 0);
        sqeSetBufGroup(s, bgid);
      }, 2, IOSQE_BUFFER_SELECT);
      expect(got.res).toBe(6);
      const id = cqeBufferId(got);
      expect(id).toBeGreaterThanOrEqual(10);
      expect(id).toBeLessThanOrEqual(13);
      expect(pool.subarray((id! - 10) * 8, (id! - 10) * 8 + 6).toString()).toBe('picked');
      expect(cqeBufferId({ flags: 0 })).toBeUndefined();
    });
  });
});

describe('SQE and CQE helpers', () => {
  it.each([0, 1, 2 ** 32, 2 ** 53 - 1, 0n, 2n ** 53n, 2n ** 64n - 1n])('sqeSetData(%s) round-trips through cqeGetData', (ud) => {
    using ring = new IoUring(2);
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetData(sqe, ud);
    ring.submit();
    const cqe = ring.waitCqe();
    const back = cqeGetData(cqe);
    ring.cqeSeen(cqe);
    // Below 2^53 a bigint comes back as the same number.
    expect(back).toBe(typeof ud === 'bigint' && ud < 2n ** 53n ? Number(ud) : ud);
  });

  it('cqeGetData64 reads a number, and refuses one above 2^53 (RangeError)', () => {
    using ring = new IoUring(2);
    queue(ring, prepNop, 2 ** 53 - 1);
    queue(ring, prepNop, 2n ** 60n);
    ring.submit();
    const a = ring.waitCqe();
    expect(cqeGetData64(a)).toBe(2 ** 53 - 1);
    ring.cqeSeen(a);
    const b = ring.waitCqe();
    expect(() => cqeGetData64(b)).toThrow(RangeError);
    expect(b.userDataBig).toBe(2n ** 60n);
    ring.cqeSeen(b);
  });

  it('sqeSetFlags sets sqe->flags, replacing what was there', () => {
    using ring = new IoUring(2);
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetFlags(sqe, IOSQE_IO_LINK | IOSQE_ASYNC);
    expect(sqe.flags).toBe(IOSQE_IO_LINK | IOSQE_ASYNC);
    sqeSetFlags(sqe, IOSQE_IO_DRAIN);
    expect(sqeView(sqe).getUint8(L.flags)).toBe(IOSQE_IO_DRAIN);
  });

  it('sqeSetBufGroup writes buf_group (u16 at 40) and nothing else', () => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    prepNop(sqe);
    sqeSetBufGroup(sqe, 0xbeef);
    expectFields(sqe, { fd: -1, bufIndex: 0xbeef });
  });

  const F = (bits: number) => ({ flags: bits });
  it.each([
    ['cqeHasMore', cqeHasMore, IORING_CQE_F_MORE],
    ['cqeSockNonempty', cqeSockNonempty, IORING_CQE_F_SOCK_NONEMPTY],
    ['cqeIsNotif', cqeIsNotif, IORING_CQE_F_NOTIF],
    ['cqeBufMore', cqeBufMore, IORING_CQE_F_BUF_MORE],
  ] as const)('%s reads its bit alone', (_, fn, bit) => {
    expect(fn(F(bit))).toBe(true);
    expect(fn(F(0))).toBe(false);
    expect(fn(F(~bit >>> 0))).toBe(false);
    expect(fn(F((0xffff << IORING_CQE_BUFFER_SHIFT) | bit))).toBe(true);
  });

  it('cqeBufferId is the top 16 bits with IORING_CQE_F_BUFFER, undefined without', () => {
    expect(cqeBufferId(F((0xffff << IORING_CQE_BUFFER_SHIFT) | IORING_CQE_F_BUFFER))).toBe(0xffff);
    expect(cqeBufferId(F((5 << IORING_CQE_BUFFER_SHIFT) | IORING_CQE_F_BUFFER | IORING_CQE_F_MORE))).toBe(5);
    expect(cqeBufferId(F(IORING_CQE_F_BUFFER))).toBe(0);
    expect(cqeBufferId(F(5 << IORING_CQE_BUFFER_SHIFT))).toBeUndefined();
  });
});

// ---------------------------------------------------------------- msg_ring

describe('msg_ring', () => {
  const why = opcodeMissing(IORING_OP_MSG_RING);

  it.skipIf(why)(`prepMsgRing posts len and data as res and user_data in the other ring's CQ${note(why)}`, () => {
    using a = new IoUring(4);
    using b = new IoUring(4);
    expect(run(a, (s) => prepMsgRing(s, b.fd, 77, 2n ** 63n + 1n), 1)).toEqual({ userData: 1, res: 0, flags: 0 });
    expect(reapOne(b)).toEqual({ userData: 2n ** 63n + 1n, res: 77, flags: 0 });
    expect(reapQuiet(a)).toEqual([]);
  });

  it.skipIf(why)(`IORING_MSG_RING_CQE_SKIP: a data message refuses it; a file passed with it lands in the table with no CQE in the target${note(why)}`, () => {
    using a = new IoUring(4);
    using b = new IoUring(4);
    expect(run(a, (s) => prepMsgRing(s, b.fd, 1, 2, IORING_MSG_RING_CQE_SKIP), 1).res).toBe(-EINVAL);
    withPipe((r, w) => {
      registerFiles(a, [w, r]);
      registerSparseFiles(b, 2);
      expect(run(a, (s) => prepMsgRingFd(s, b.fd, 1, 1, 7, IORING_MSG_RING_CQE_SKIP), 2)).toEqual({ userData: 2, res: 0, flags: 0 });
      expect(reapQuiet(b)).toEqual([]);
      fs.writeSync(w, 'quiet');
      const buf = Buffer.alloc(8);
      expect(run(b, (s) => prepRead(s, 1, buf), 3, IOSQE_FIXED_FILE).res).toBe(5);
      expect(buf.subarray(0, 5).toString()).toBe('quiet');
    });
  });

  it.skipIf(why)(`prepMsgRingCqeFlags sets the target CQE's flags${note(why)}`, () => {
    using a = new IoUring(4);
    using b = new IoUring(4);
    expect(run(a, (s) => prepMsgRingCqeFlags(s, b.fd, 5, 99, 0, 0x1230000), 1).res).toBe(0);
    expect(reapOne(b)).toEqual({ userData: 99, res: 5, flags: 0x1230000 });
  });

  it.skipIf(why)(`prepMsgRing to an fd that is not a ring: -EBADFD${note(why)}`, () => {
    using a = new IoUring(4);
    withPipe((r) => expect(run(a, (s) => prepMsgRing(s, r, 1, 2), 1).res).toBe(-EBADFD));
  });

  it.skipIf(why)(`prepMsgRingFd and prepMsgRingFdAlloc pass a registered file into the other ring's table, where a read finds it${note(why)}`, () => {
    using a = new IoUring(4);
    using b = new IoUring(4);
    using noTable = new IoUring(4);
    withPipe((r, w) => {
      registerFiles(a, [w, r]); // the read end is a's slot 1
      registerSparseFiles(b, 4);
      expect(run(a, (s) => prepMsgRingFd(s, b.fd, 1, 2, 555), 1)).toEqual({ userData: 1, res: 0, flags: 0 });
      expect(reapOne(b)).toEqual({ userData: 555, res: 0, flags: 0 });
      // A free slot of b's table, which both CQEs name.
      const alloc = run(a, (s) => prepMsgRingFdAlloc(s, b.fd, 1, 556), 2);
      const slot = alloc.res;
      expect([0, 1, 3]).toContain(slot);
      expect(reapOne(b)).toEqual({ userData: 556, res: slot, flags: 0 });
      fs.writeSync(w, 'passed');
      for (const [index, want] of [[2, 'pas'], [slot, 'sed']] as const) {
        const buf = Buffer.alloc(3);
        expect(run(b, (s) => prepRead(s, index, buf), 3, IOSQE_FIXED_FILE).res).toBe(3);
        expect(buf.toString()).toBe(want);
      }
      expect(run(a, (s) => prepMsgRingFd(s, noTable.fd, 0, 0, 1), 4).res).toBe(-ENXIO);
      expect(reapQuiet(noTable)).toEqual([]);
    });
  });
});

// ------------------------------------------------------------------- futex

describe('futex', () => {
  const why = opcodeMissing(IORING_OP_FUTEX_WAIT);

  it.skipIf(why)(`prepFutexWait sleeps while the word holds val, and prepFutexWake on the same ring wakes it${note(why)}`, () => {
    using ring = new IoUring(4);
    const words = new Uint32Array(new SharedArrayBuffer(8));
    queue(ring, (s) => prepFutexWait(s, words, 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 1);
    ring.submit();
    expect(reapQuiet(ring)).toEqual([]);
    // A wake of the other word wakes nobody.
    expect(run(ring, (s) => prepFutexWake(s, words.subarray(1), 1, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 2).res).toBe(0);
    Atomics.store(words, 0, 1);
    queue(ring, (s) => prepFutexWake(s, words, 1, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 3);
    ring.submit();
    expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: 0, flags: 0 }, { userData: 3, res: 1, flags: 0 }]);
  });

  it.skipIf(why)(`prepFutexWait on a word that does not hold val: -EAGAIN at once${note(why)}`, () => {
    using ring = new IoUring(4);
    const word = new Uint32Array([5]);
    expect(run(ring, (s) => prepFutexWait(s, word, 4, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS)).res).toBe(-EAGAIN);
  });

  it.skipIf(why)(`prepFutexWake wakes only waiters whose mask shares a bit, at most val of them${note(why)}`, () => {
    using ring = new IoUring(8);
    const word = new Uint32Array(1);
    for (const [ud, mask] of [[1, 0b01], [2, 0b10], [3, 0b10]] as const) queue(ring, (s) => prepFutexWait(s, word, 0, mask, FUTEX_FLAGS), ud);
    ring.submit();
    expect(reapQuiet(ring)).toEqual([]);
    queue(ring, (s) => prepFutexWake(s, word, 1, 0b10, FUTEX_FLAGS), 10);
    ring.submit();
    const first = reapN(ring, 2).sort(byUserData) as [Done, Done];
    expect([[2, 3].includes(first[0].userData as number), first[0].res, first[1]]).toEqual([true, 0, { userData: 10, res: 1, flags: 0 }]);
    expect(reapQuiet(ring)).toEqual([]);
    expect(run(ring, (s) => prepFutexWake(s, word, 10, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 11).res).toBe(2);
    expect(reapN(ring, 2).map((g) => g.res)).toEqual([0, 0]);
  });

  it.skipIf(why)(`Atomics.notify does not wake an io_uring futex wait (V8 keeps its own waiter list); prepCancel ends it${note(why)}`, () => {
    using ring = new IoUring(4);
    const words = new Int32Array(new SharedArrayBuffer(4));
    queue(ring, (s) => prepFutexWait(s, words, 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 1);
    ring.submit();
    expect(Atomics.notify(words, 0)).toBe(0);
    expect(reapQuiet(ring)).toEqual([]);
    queue(ring, (s) => prepCancel(s, 1), 2);
    ring.submit();
    // The cancel's res is 1, not 0: futex (and waitid) cancels report how
    // many they removed even without IORING_ASYNC_CANCEL_ALL (6.18).
    expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 1, flags: 0 }]);
  });

  const noWaitv = opcodeMissing(IORING_OP_FUTEX_WAITV);
  it.skipIf(noWaitv)(`prepFutexWaitv on two words: a wake of the second gives res 1 (its index)${note(noWaitv)}`, () => {
    using ring = new IoUring(4);
    const words = new Uint32Array([3, 4]);
    queue(ring, (s) => prepFutexWaitv(s, [{ uaddr: words, val: 3, flags: FUTEX_FLAGS }, { uaddr: words.subarray(1), val: 4, flags: FUTEX_FLAGS }]), 1);
    ring.submit();
    expect(reapQuiet(ring)).toEqual([]);
    queue(ring, (s) => prepFutexWake(s, words.subarray(1), 1, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), 2);
    ring.submit();
    expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: 1, flags: 0 }, { userData: 2, res: 1, flags: 0 }]);
    // A word that does not hold its val: -EAGAIN at once.
    expect(run(ring, (s) => prepFutexWaitv(s, [{ uaddr: words, val: 3, flags: FUTEX_FLAGS }, { uaddr: words.subarray(1), val: 0, flags: FUTEX_FLAGS }]), 3).res).toBe(-EAGAIN);
  });
});

// ------------------------------------------------------------------ waitid

describe('waitid', () => {
  const why = opcodeMissing(IORING_OP_WAITID);

  // The test runs synchronously from spawn to CQE, so libuv's loop (which
  // reaps its children on SIGCHLD) can't turn in between.
  it.skipIf(why)(`prepWaitid with WEXITED | WNOWAIT reports a child's exit and leaves it to libuv, which still emits 'exit'${note(why)}`, async () => {
    using ring = new IoUring(4);
    const child = spawn('sh', ['-c', 'exit 3']);
    const exited = once(child, 'exit');
    const info = makeSiginfo();
    expect(run(ring, (s) => prepWaitid(s, P_PID, child.pid!, info, WEXITED | WNOWAIT))).toEqual({ userData: 1, res: 0, flags: 0 });
    expect(readSiginfo(info)).toEqual({ signo: SIGCHLD, errno: 0, code: CLD_EXITED, pid: child.pid, uid: process.getuid!(), status: 3 });
    expect(await exited).toEqual([3, null]);
  });

  it.skipIf(why)(`prepWaitid with WEXITED reaps the child: status in the siginfo, then -ECHILD${note(why)}`, () => {
    using ring = new IoUring(4);
    const child = spawn('true');
    const pid = child.pid!;
    let info: ArrayBufferView | undefined;
    expect(run(ring, (s) => { info = prepWaitid(s, P_PID, pid, undefined, WEXITED); }).res).toBe(0);
    expect(readSiginfo(info!)).toMatchObject({ signo: SIGCHLD, code: CLD_EXITED, pid, status: 0 });
    expect(run(ring, (s) => prepWaitid(s, P_PID, pid, undefined, WEXITED)).res).toBe(-ECHILD);
    // libuv's waitpid() now gets ECHILD, which it ignores: this ChildProcess
    // never emits 'exit'. Unref it so its handle doesn't hold the loop.
    child.unref();
  });

  it.skipIf(why)(`prepCancel ends a prepWaitid for a child still running with -ECANCELED${note(why)}`, async () => {
    using ring = new IoUring(4);
    const child = spawn('sleep', ['30']);
    const exited = once(child, 'exit');
    try {
      queue(ring, (s) => prepWaitid(s, P_PID, child.pid!, undefined, WEXITED), 1);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepCancel(s, 1), 2);
      ring.submit();
      // As for futexes, the cancel's res is the count removed (6.18).
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 1, flags: 0 }]);
    } finally {
      child.kill();
    }
    expect(await exited).toEqual([null, 'SIGTERM']); // libuv reaped it: the WAITID took nothing
  });
});

// ------------------------------------------------------------------- epoll

describe('epoll', () => {
  // ffi/ has no epoll_create1 yet (the FFI is ffi/'s alone); this runs once
  // it exports one as `epollCreate1(flags)`, returning an fd or -errno.
  const epollCreate1 = (ffi as unknown as Record<string, unknown>).epollCreate1 as ((flags: number) => number) | undefined;
  const noEpoll = epollCreate1 === undefined ? 'no epoll fd to test with: ffi/ has no epoll_create1' : opcodeMissing(IORING_OP_EPOLL_WAIT);
  it.skipIf(noEpoll)(`prepEpollCtl adds pipe ends to an epoll set, prepEpollWait reports them ready with their data, EPOLL_CTL_DEL removes one${note(noEpoll)}`, () => {
    using ring = new IoUring(4);
    const epfd = epollCreate1!(O_CLOEXEC);
    expect(epfd).toBeGreaterThanOrEqual(0);
    try {
      withPipe((r, w) => {
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_ADD, { events: EPOLLIN, data: 0xdeadbeefcafen })).res).toBe(0);
        const events = new Uint8Array(epoll_event.sizeof * 4);
        queue(ring, (s) => prepEpollWait(s, epfd, events), 2);
        ring.submit();
        expect(reapQuiet(ring)).toEqual([]);
        fs.writeSync(w, 'x');
        expect(reapOne(ring)).toEqual({ userData: 2, res: 1, flags: 0 });
        expect(readEpollEvent(events, 0)).toEqual({ events: EPOLLIN, data: 0xdeadbeefcafen });
        expect(run(ring, (s) => prepEpollCtl(s, epfd, w, EPOLL_CTL_ADD, { events: POLLOUT, data: 7 })).res).toBe(0);
        expect(run(ring, (s) => prepEpollWait(s, epfd, events), 3).res).toBe(2);
        const both = [readEpollEvent(events, 0), readEpollEvent(events, 1)].sort((a, b) => Number(a.data - b.data));
        expect(both).toEqual([{ events: POLLOUT, data: 7n }, { events: EPOLLIN, data: 0xdeadbeefcafen }]);
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_DEL, null)).res).toBe(0);
        expect(run(ring, (s) => prepEpollCtl(s, epfd, r, EPOLL_CTL_DEL, null)).res).toBe(-ENOENT);
      });
    } finally {
      close(epfd);
    }
  });

  const noCtl = opcodeMissing(IORING_OP_EPOLL_CTL);
  it.skipIf(noCtl)(`prepEpollCtl with an epfd that is not an epoll fd: -EINVAL${note(noCtl)}`, () => {
    using ring = new IoUring(4);
    withPipe((r, w) => expect(run(ring, (s) => prepEpollCtl(s, r, w, EPOLL_CTL_ADD, { events: EPOLLIN, data: w })).res).toBe(-EINVAL));
  });

  const noWait = opcodeMissing(IORING_OP_EPOLL_WAIT);
  it.skipIf(noWait)(`prepEpollWait on an fd that is not an epoll fd: -EINVAL, and the buffer untouched${note(noWait)}`, () => {
    using ring = new IoUring(4);
    const events = new Uint8Array(epoll_event.sizeof * 2).fill(0xcd);
    withPipe((r) => expect(run(ring, (s) => prepEpollWait(s, r, events)).res).toBe(-EINVAL));
    expect(events).toEqual(new Uint8Array(epoll_event.sizeof * 2).fill(0xcd));
  });
});

// -------------------------------------------------------------- uring_cmd

/** A UDP socket made by IORING_OP_SOCKET (its encoder lives elsewhere: prepRw with its fields). */
function udpSocket(ring: IoUring): number {
  // fd: domain; off: type; len: protocol.
  const { res } = run(ring, (s) => prepRw(IORING_OP_SOCKET, s, AF_INET, 0, 0, SOCK_DGRAM | SOCK_CLOEXEC));
  if (res < 0) throw new Error(`IORING_OP_SOCKET: ${res}`);
  return res;
}

/** Why no loop device can be attached here ('' when one can): cmd_discard needs a block device. */
function loopUnavailable(): string {
  if (process.getuid?.() !== 0) return 'attaching a loop device needs root';
  try {
    // Names the next free device without attaching anything.
    execFileSync('losetup', ['--find'], { stdio: 'pipe' });
    return '';
  } catch (err) {
    return `no loop device to attach (losetup --find: ${(err as Error).message.split('\n')[0]})`;
  }
}

describe('uring_cmd', () => {
  const why = opcodeMissing(IORING_OP_URING_CMD);

  it.skipIf(why)(`prepUringCmd with SOCKET_URING_OP_SIOCINQ counts the bytes waiting on a UDP socket${note(why)}`, async () => {
    using ring = new IoUring(4);
    const peer = dgram.createSocket('udp4');
    peer.bind(0, '127.0.0.1');
    await once(peer, 'listening');
    const fd = udpSocket(ring);
    try {
      // struct sockaddr_in { sa_family_t family; be16 port; be32 addr; u8 zero[8]; }
      const sa = new Uint8Array(16);
      const dv = new DataView(sa.buffer);
      dv.setUint16(0, AF_INET, true);
      dv.setUint16(2, peer.address().port, false);
      sa.set([127, 0, 0, 1], 4);
      expect(run(ring, (s) => { prepRw(IORING_OP_CONNECT, s, fd, addressOf(sa), 0, sa.length); s.keep(sa); }).res).toBe(0);
      const ping = Buffer.from('ping');
      const heard = once(peer, 'message');
      expect(run(ring, (s) => { prepRw(IORING_OP_SEND, s, fd, addressOf(ping), ping.length, 0); s.keep(ping); }).res).toBe(4);
      const [, rinfo] = (await heard) as [Buffer, dgram.RemoteInfo];
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(0);
      await new Promise<void>((resolve, reject) => peer.send('hello!', rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve())));
      // Poll (this file's own encoder) for the datagram, then ask how big it is.
      expect(run(ring, (s) => prepPollAdd(s, fd, POLLIN)).res & POLLIN).toBe(POLLIN);
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(6);
    } finally {
      fs.closeSync(fd);
      peer.close();
    }
  });

  it.skipIf(why)(`prepUringCmd on a regular file, which has no uring_cmd handler: -EOPNOTSUPP${note(why)}`, () => {
    using ring = new IoUring(4);
    const file = path.join(tmp, 'plain');
    fs.writeFileSync(file, 'x');
    const fd = fs.openSync(file, 'r+');
    try {
      expect(run(ring, (s) => prepUringCmd(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(-EOPNOTSUPP);
      expect(run(ring, (s) => prepCmdDiscard(s, fd, 0, 4096)).res).toBe(-EOPNOTSUPP);
    } finally {
      fs.closeSync(fd);
    }
  });

  const noLoop = why || loopUnavailable();
  it.skipIf(noLoop)(`prepCmdDiscard zeroes a range of a loop device (and refuses a misaligned one, or a read-only fd)${note(noLoop)}`, () => {
    using ring = new IoUring(4);
    const file = path.join(tmp, 'disk.img');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 0x5a));
    const dev = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
    try {
      const fd = fs.openSync(dev, 'r+');
      try {
        expect(run(ring, (s) => prepCmdDiscard(s, fd, 4096, 4096)).res).toBe(0);
        const back = Buffer.alloc(3 * 4096);
        expect(fs.readSync(fd, back, 0, back.length, 0)).toBe(back.length);
        expect([back[0], back[4095], back[4096], back[8191], back[8192], back[12287]]).toEqual([0x5a, 0x5a, 0, 0, 0x5a, 0x5a]);
        expect(back.subarray(4096, 8192)).toEqual(Buffer.alloc(4096));
        expect(run(ring, (s) => prepCmdDiscard(s, fd, 4097, 4096)).res).toBe(-EINVAL);
      } finally {
        fs.closeSync(fd);
      }
      const ro = fs.openSync(dev, 'r');
      try {
        expect(run(ring, (s) => prepCmdDiscard(s, ro, 0, 4096)).res).toBe(-EBADF);
      } finally {
        fs.closeSync(ro);
      }
    } finally {
      execFileSync('losetup', ['--detach', dev]);
    }
  });

  it.skip('prepCmdZoneResetAll resets the zones of a zoned block device (skipped: BLOCK_URING_CMD_ZONE_RESET_ALL is in no released kernel, and needs a zoned device)', () => {});

  const no128 = opcodeMissing(IORING_OP_URING_CMD128);
  it.skipIf(no128)(`prepUringCmd128 on an SQE128 ring: SIOCINQ of an empty UDP socket is 0${note(no128)}`, () => {
    using ring = new IoUring(4, { flags: IORING_SETUP_SQE128 });
    const fd = udpSocket(ring);
    try {
      expect(run(ring, (s) => prepUringCmd128(s, SOCKET_URING_OP_SIOCINQ, fd)).res).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  const noNop128 = opcodeMissing(IORING_OP_NOP128);
  it.skipIf(noNop128)(`prepNop128 on an SQE128 ring completes with res 0${note(noNop128)}`, () => {
    using ring = new IoUring(4, { flags: IORING_SETUP_SQE128 });
    expect(run(ring, (s) => prepNop128(s), 9)).toEqual({ userData: 9, res: 0, flags: 0 });
  });
});
