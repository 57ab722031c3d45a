/**
 * Tests for the entry decoders (lib/debug/decode.ts): entries prepared by the
 * real encoders on a real ring (in a SharedArrayBuffer and mmapped), decoded
 * with each field under the name its opcode gives it; completions the kernel
 * posted, decoded with their errno names, flags and buffer ids; every opcode
 * of the table, every byte of an entry shown, unknown bits kept; and the
 * decoding of captured bytes equal to that of the live entry.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import * as ffi from '../ffi/index.ts';
import * as C from '../lib/uapi/constants.ts';
import { OPCODES } from '../lib/uapi/opcodes.ts';
import {
  AF_INET, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, EPOLLET, FUTEX2_PRIVATE, FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY,
  IoUring, MSG_NOSIGNAL, MSG_WAITALL, P_PID, POLLIN, POLLOUT, POLLRDHUP, RWF_NOWAIT, SOCK_CLOEXEC, SOCK_NONBLOCK,
  SOCK_STREAM, SPLICE_F_MOVE, STATX_BASIC_STATS, STATX_BTIME, WEXITED, WNOWAIT, type IoUringOptions, type Sqe,
  bufRingAdd, bufRingAdvance, prepAccept, prepAcceptDirect, prepCancel, prepCancel64, prepCancelFd, prepFutexWait,
  prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd, prepMultishotAccept, prepMultishotAcceptDirect, prepNop, prepOpenat,
  prepOpenatDirect, prepPollAdd, prepPollMultishot, prepPollUpdate, prepProvideBuffers, prepRead, prepReadFixed,
  prepReadMultishot, prepReadv2, prepRecvMultishot, prepRenameat, prepSendZc, prepSendZcFixed, prepSendto, prepSocket,
  prepSplice, prepStatx, prepTee, prepTimeout, prepTimeoutUpdate, prepUringCmd, prepWaitid, setupBufRing, sqeSetBufGroup,
  sqeSetData, sqeSetFlags,
} from '../lib/index.ts';
import { decodeCqe, decodeSqe, type DecodedCqe, type DecodedSqe } from '../lib/debug/decode.ts';
import { opcodeMissing, ringFixtures, ringUnavailable, runOne } from './helpers.ts';

const { O_CREAT, O_DSYNC, O_RDONLY, O_SYNC, O_TRUNC, O_WRONLY } = fs.constants;
const O_CLOEXEC = 0o2000000; // include/uapi/asm-generic/fcntl.h; node:fs lacks it
// An fd number no process has open: the kernel answers EBADF for it.
const NO_SUCH_FD = 0x7fffffff;
const UD = 0x1234;

const fx = ringFixtures();
const { fds, pipe } = fx;
/** A ring of 16 entries, closed after the test. */
const open = (options: IoUringOptions = {}): IoUring => fx.open(16, options);

/** An address as the decoder writes it. */
function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}

/** A copy of an entry's bytes, as a learner would capture them. */
function bytesOf(sqe: Sqe): Uint8Array {
  return sqe.u8.slice(sqe.w * 4, sqe.w * 4 + sqe.size);
}

/**
 * Takes an entry, prepares it with `prep`, sets user_data and decodes it;
 * checks that its captured bytes decode the same. `prep` may return what
 * the expectation needs (an encoder's buffer).
 */
function prepared<T>(ring: IoUring, prep: (sqe: Sqe) => T): [DecodedSqe, T, Sqe] {
  const sqe = ring.getSqe()!;
  const made = prep(sqe);
  sqe.userData = UD;
  const d = decodeSqe(sqe);
  expect(decodeSqe(bytesOf(sqe))).toEqual(d);
  return [d, made, sqe];
}

/** The decoding expected of opcode `op`: the header, then `rest`. */
function want(op: keyof typeof C & `IORING_OP_${string}`, rest: Record<string, unknown>): Record<string, unknown> {
  return { opcode: C[op], op, flags: [], user_data: UD, ...rest };
}

/**
 * Submits one entry prepared by `prep`, waits for its CQE and decodes it
 * with its opcode (and checks the captured bytes decode the same) before
 * handing the slot back.
 */
function completed(ring: IoUring, prep: (sqe: Sqe) => void, userData: number | bigint = UD): DecodedCqe {
  const sqe = ring.getSqe()!;
  prep(sqe);
  sqeSetData(sqe, userData);
  const opcode = sqe.opcode;
  ring.submit();
  const cqe = ring.waitCqe();
  const d = decodeCqe(cqe, opcode);
  const raw = new Uint8Array(cqe.u32.buffer, cqe.u32.byteOffset + cqe.w * 4, cqe.size).slice();
  expect(decodeCqe(raw, opcode)).toEqual(d);
  ring.cqeSeen(cqe);
  return d;
}

/** A 16-byte CQE with these fields, as captured. */
function cqeBytes(userData: bigint, res: number, flags: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, userData, true);
  dv.setInt32(8, res, true);
  dv.setUint32(12, flags, true);
  return b;
}

// ------------------------------------------------------------ memory modes

describe.each(['shared', 'mmap'] as const)('a ring in %s memory', (memory) => {
  const why = ringUnavailable(8, { memory });
  const itRing = why ? it.skip.bind(it) : it;
  const title = (t: string) => (why ? `${t} (skipped: ${why})` : t);

  itRing(title('a READ decodes as fd, off, addr, len, rw_flags, user_data, in the order of struct io_uring_sqe'), () => {
    const ring = open({ memory });
    const buf = new Uint8Array(64);
    const [d] = prepared(ring, (s) => {
      prepRead(s, 5, buf, 10, 4096);
      sqeSetFlags(s, C.IOSQE_IO_LINK | C.IOSQE_ASYNC);
    });
    expect(d).toEqual(want('IORING_OP_READ', {
      flags: ['IOSQE_IO_LINK', 'IOSQE_ASYNC'], fd: 5, off: 4096, addr: hex(ffi.addressOf(buf)), len: 10, rw_flags: [],
    }));
    expect(Object.keys(d)).toEqual(['opcode', 'op', 'flags', 'fd', 'off', 'addr', 'len', 'rw_flags', 'user_data']);
  });

  itRing(title('a NOP completes as res 0; a READ of an fd no process has as EBADF'), () => {
    const ring = open({ memory });
    expect(completed(ring, prepNop)).toEqual({
      opcode: C.IORING_OP_NOP, op: 'IORING_OP_NOP', user_data: UD, res: 0, flags: [], more: false, notif: false,
    });
    const bad = completed(ring, (s) => prepRead(s, NO_SUCH_FD, new Uint8Array(8)));
    expect(bad).toEqual({
      opcode: C.IORING_OP_READ, op: 'IORING_OP_READ', user_data: UD, res: -9, error: 'EBADF', flags: [], more: false, notif: false,
    });
  });
});

// ------------------------------------------------- fields by the opcode's names

describe('decodeSqe names each field as the opcode reads it', () => {
  it('TIMEOUT: off is the completion count, addr the timespec, timeout_flags by name', () => {
    const ring = open();
    const [d, , sqe] = prepared(ring, (s) => prepTimeout(s, { sec: 1, nsec: 0 }, 3, C.IORING_TIMEOUT_ABS | C.IORING_TIMEOUT_ETIME_SUCCESS));
    expect(d).toEqual(want('IORING_OP_TIMEOUT', {
      fd: -1, off: 3, addr: hex(sqe.addr), len: 1, timeout_flags: ['IORING_TIMEOUT_ABS', 'IORING_TIMEOUT_ETIME_SUCCESS'],
    }));
    expect(sqe.addr).not.toBe(0);
  });

  it('TIMEOUT_REMOVE as an update: addr2 the new timespec, addr the target user_data', () => {
    const ring = open();
    const [d, , sqe] = prepared(ring, (s) => prepTimeoutUpdate(s, 50, 77, C.IORING_TIMEOUT_BOOTTIME));
    expect(d).toEqual(want('IORING_OP_TIMEOUT_REMOVE', {
      fd: -1, addr2: hex(sqe.off), addr: 77, timeout_flags: ['IORING_TIMEOUT_UPDATE', 'IORING_TIMEOUT_BOOTTIME'],
    }));
  });

  it('ACCEPT: addr2 the addrlen pointer, accept_flags and the ioprio flags by name, file_index when direct', () => {
    const ring = open();
    const addr = new Uint8Array(128);
    const addrlen = new Uint32Array(1);
    const [plain] = prepared(ring, (s) => prepAccept(s, 4, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC));
    expect(plain).toEqual(want('IORING_OP_ACCEPT', {
      ioprio: [], fd: 4, addr2: hex(ffi.addressOf(addrlen)), addr: hex(ffi.addressOf(addr)),
      accept_flags: ['SOCK_NONBLOCK', 'SOCK_CLOEXEC'],
    }));
    const [multi] = prepared(ring, (s) => prepMultishotAccept(s, 4));
    expect(multi).toEqual(want('IORING_OP_ACCEPT', { ioprio: ['IORING_ACCEPT_MULTISHOT'], fd: 4, addr2: '0x0', addr: '0x0', accept_flags: [] }));
    const [alloc] = prepared(ring, (s) => prepMultishotAcceptDirect(s, 4));
    expect(alloc.file_index).toBe('IORING_FILE_INDEX_ALLOC');
    const [slot] = prepared(ring, (s) => prepAcceptDirect(s, 4, null, null, 0, 2));
    expect(slot.file_index).toBe(3); // as stored: the slot + 1
  });

  it('STATX: fd AT_FDCWD, addr2 the statx buffer, len the STATX_* mask, statx_flags AT_*', () => {
    const ring = open();
    const [d, buf, sqe] = prepared(ring, (s) => prepStatx(s, AT_FDCWD, '/', AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME));
    expect(d).toEqual(want('IORING_OP_STATX', {
      fd: 'AT_FDCWD', addr2: hex(ffi.addressOf(buf)), addr: hex(sqe.addr), len: ['STATX_BASIC_STATS', 'STATX_BTIME'],
      statx_flags: ['AT_SYMLINK_NOFOLLOW', 'AT_EMPTY_PATH'],
    }));
  });

  it('SPLICE and TEE: splice_fd_in, splice_off_in and splice_flags (with SPLICE_F_FD_IN_FIXED, bit 31)', () => {
    const ring = open();
    const [splice] = prepared(ring, (s) => prepSplice(s, 7, -1, 8, 4096, 1000, SPLICE_F_MOVE | C.SPLICE_F_FD_IN_FIXED));
    expect(splice).toEqual(want('IORING_OP_SPLICE', {
      fd: 8, off: 4096, splice_off_in: -1, len: 1000, splice_flags: ['SPLICE_F_MOVE', 'SPLICE_F_FD_IN_FIXED'], splice_fd_in: 7,
    }));
    const [tee] = prepared(ring, (s) => prepTee(s, 7, 8, 10));
    expect(tee).toEqual(want('IORING_OP_TEE', { fd: 8, len: 10, splice_flags: [], splice_fd_in: 7 }));
  });

  it('POLL_ADD: poll32_events by name (EPOLLET is bit 31), len the IORING_POLL_ADD_* flags; POLL_REMOVE as an update', () => {
    const ring = open();
    const [once] = prepared(ring, (s) => prepPollAdd(s, 3, POLLIN | POLLRDHUP | EPOLLET));
    expect(once).toEqual(want('IORING_OP_POLL_ADD', { fd: 3, len: [], poll32_events: ['POLLIN', 'POLLRDHUP', 'EPOLLET'] }));
    const [multi] = prepared(ring, (s) => prepPollMultishot(s, 3, POLLOUT));
    expect(multi).toEqual(want('IORING_OP_POLL_ADD', { fd: 3, len: ['IORING_POLL_ADD_MULTI'], poll32_events: ['POLLOUT'] }));
    const [update] = prepared(ring, (s) => prepPollUpdate(s, 5, 6, POLLOUT, C.IORING_POLL_UPDATE_EVENTS | C.IORING_POLL_UPDATE_USER_DATA));
    expect(update).toEqual(want('IORING_OP_POLL_REMOVE', {
      fd: -1, off: 6, addr: 5, len: ['IORING_POLL_UPDATE_EVENTS', 'IORING_POLL_UPDATE_USER_DATA'], poll32_events: ['POLLOUT'],
    }));
  });

  it('ASYNC_CANCEL: addr the target user_data (a bigint above 2^53), len the opcode with CANCEL_OP, cancel_flags by name', () => {
    const ring = open();
    const [byOp] = prepared(ring, (s) => prepCancel(s, 1234, C.IORING_ASYNC_CANCEL_ALL | C.IORING_ASYNC_CANCEL_OP, C.IORING_OP_READ));
    expect(byOp).toEqual(want('IORING_OP_ASYNC_CANCEL', {
      fd: -1, addr: 1234, len: 'IORING_OP_READ', cancel_flags: ['IORING_ASYNC_CANCEL_ALL', 'IORING_ASYNC_CANCEL_OP'],
    }));
    const [big] = prepared(ring, (s) => prepCancel64(s, 2n ** 60n + 1n));
    expect(big).toEqual(want('IORING_OP_ASYNC_CANCEL', { fd: -1, addr: 2n ** 60n + 1n, cancel_flags: [] }));
    const [byFd] = prepared(ring, (s) => prepCancelFd(s, 9, C.IORING_ASYNC_CANCEL_FD_FIXED));
    expect(byFd).toEqual(want('IORING_OP_ASYNC_CANCEL', {
      fd: 9, addr: 0, cancel_flags: ['IORING_ASYNC_CANCEL_FD', 'IORING_ASYNC_CANCEL_FD_FIXED'],
    }));
  });

  it('MSG_RING: addr the command, off the target user_data, len its res, addr3 and file_index the slots', () => {
    const ring = open();
    const [data] = prepared(ring, (s) => prepMsgRing(s, 6, 77, 2n ** 60n));
    expect(data).toEqual(want('IORING_OP_MSG_RING', { fd: 6, off: 2n ** 60n, addr: 'IORING_MSG_DATA', len: 77, msg_ring_flags: [] }));
    const [sendFd] = prepared(ring, (s) => prepMsgRingFd(s, 6, 3, 5, 99, C.IORING_MSG_RING_CQE_SKIP));
    expect(sendFd).toEqual(want('IORING_OP_MSG_RING', {
      fd: 6, off: 99, addr: 'IORING_MSG_SEND_FD', len: 0, msg_ring_flags: ['IORING_MSG_RING_CQE_SKIP'], file_index: 6, addr3: 3,
    }));
    const [pass] = prepared(ring, (s) => prepMsgRingCqeFlags(s, 6, 1, 2, 0, 0x10000));
    expect(pass.msg_ring_flags).toEqual(['IORING_MSG_RING_FLAGS_PASS']);
    expect(pass.file_index).toBe('0x10000'); // the target CQE's flags, not a slot
  });

  it('SEND_ZC: the zero-copy flags in ioprio, msg_flags by name, buf_index when fixed, addr2 and addr_len for sendto', () => {
    const ring = open();
    const buf = new Uint8Array(16);
    const [zc] = prepared(ring, (s) => prepSendZc(s, 5, buf, 4, MSG_WAITALL | MSG_NOSIGNAL, C.IORING_RECVSEND_POLL_FIRST | C.IORING_SEND_ZC_REPORT_USAGE));
    expect(zc).toEqual(want('IORING_OP_SEND_ZC', {
      ioprio: ['IORING_RECVSEND_POLL_FIRST', 'IORING_SEND_ZC_REPORT_USAGE'], fd: 5, addr: hex(ffi.addressOf(buf)), len: 4,
      msg_flags: ['MSG_WAITALL', 'MSG_NOSIGNAL'],
    }));
    const [fixed] = prepared(ring, (s) => prepSendZcFixed(s, 5, buf, 4, 0, 0, 3));
    expect([fixed.ioprio, fixed.buf_index]).toEqual([['IORING_RECVSEND_FIXED_BUF'], 3]);
    const [to, , sqe] = prepared(ring, (s) => prepSendto(s, 5, buf, 4, 0, { address: '127.0.0.1', port: 9 }));
    expect([to.addr2, to.addr_len]).toEqual([hex(sqe.off), 16]);
  });

  it('RECV multishot with IOSQE_BUFFER_SELECT: ioprio IORING_RECV_MULTISHOT, and the buffer slot named buf_group', () => {
    const ring = open();
    const [d] = prepared(ring, (s) => {
      prepRecvMultishot(s, 5);
      sqeSetFlags(s, C.IOSQE_BUFFER_SELECT);
      sqeSetBufGroup(s, 7);
    });
    expect(d).toEqual(want('IORING_OP_RECV', {
      flags: ['IOSQE_BUFFER_SELECT'], ioprio: ['IORING_RECV_MULTISHOT'], fd: 5, addr: '0x0', len: 0, msg_flags: [], buf_group: 7,
    }));
  });

  it('OPENAT: len is the mode, open_flags O_* with the access mode first; file_index only when direct', () => {
    const ring = open();
    const [d, , sqe] = prepared(ring, (s) => prepOpenat(s, AT_FDCWD, '/tmp/x', O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640));
    expect(d).toEqual(want('IORING_OP_OPENAT', {
      fd: 'AT_FDCWD', addr: hex(sqe.addr), len: '0o640', open_flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC', 'O_CLOEXEC'],
    }));
    const [sync] = prepared(ring, (s) => prepOpenat(s, 3, 'x', O_RDONLY | O_SYNC));
    expect([sync.fd, sync.open_flags]).toEqual([3, ['O_RDONLY', 'O_SYNC']]); // O_SYNC holds O_DSYNC's bit: named whole
    const [dsync] = prepared(ring, (s) => prepOpenat(s, 3, 'x', O_DSYNC));
    expect(dsync.open_flags).toEqual(['O_RDONLY', 'O_DSYNC']);
    const [direct] = prepared(ring, (s) => prepOpenatDirect(s, AT_FDCWD, 'x', 0, 0, 3));
    expect(direct.file_index).toBe(4);
  });

  it('RENAMEAT: fd and addr the old dir and path, len and addr2 the new ones', () => {
    const ring = open();
    const [d, , sqe] = prepared(ring, (s) => prepRenameat(s, 3, 'a', AT_FDCWD, 'b'));
    expect(d).toEqual(want('IORING_OP_RENAMEAT', { fd: 3, addr2: hex(sqe.off), addr: hex(sqe.addr), len: 'AT_FDCWD', rename_flags: [] }));
  });

  it('URING_CMD: cmd_op and the cmd bytes (16, or 80 in a 128-byte entry)', () => {
    const ring = open();
    const [d] = prepared(ring, (s) => {
      prepUringCmd(s, 0x1234, 5);
      s.cmd.set(Array.from({ length: 16 }, (_, i) => i + 1));
    });
    expect(d).toEqual(want('IORING_OP_URING_CMD', {
      fd: 5, cmd_op: 0x1234, uring_cmd_flags: [], cmd: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    }));
  });

  it.skipIf(ringUnavailable(8, { flags: C.IORING_SETUP_SQE128 }))('URING_CMD on an IORING_SETUP_SQE128 ring: 80 bytes of cmd', () => {
    const ring = open({ flags: C.IORING_SETUP_SQE128 });
    const [d] = prepared(ring, (s) => {
      prepUringCmd(s, 2, 5);
      s.cmd[79] = 0xee;
    });
    expect((d.cmd as Uint8Array).length).toBe(80);
    expect((d.cmd as Uint8Array)[79]).toBe(0xee);
  });

  it('FUTEX_WAIT: fd the futex2 flags, addr2 the value, addr3 the mask', () => {
    const ring = open();
    const word = new Uint32Array(2);
    const [d] = prepared(ring, (s) => prepFutexWait(s, word.subarray(1, 2), 5, FUTEX_BITSET_MATCH_ANY, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE));
    expect(d).toEqual(want('IORING_OP_FUTEX_WAIT', {
      fd: ['FUTEX2_SIZE_U32', 'FUTEX2_PRIVATE'], addr2: 5, addr: hex(ffi.addressOf(word) + 4), futex_flags: 0, addr3: '0xffffffff',
    }));
  });

  it('WAITID: fd the id, len the idtype, addr2 the siginfo, file_index the options', () => {
    const ring = open();
    const [d, info] = prepared(ring, (s) => prepWaitid(s, P_PID, 1234, undefined, WEXITED | WNOWAIT));
    expect(d).toEqual(want('IORING_OP_WAITID', {
      fd: 1234, addr2: hex(ffi.addressOf(info)), len: 'P_PID', waitid_flags: 0, file_index: ['WEXITED', 'WNOWAIT'],
    }));
  });

  it('SOCKET, PROVIDE_BUFFERS, READ_FIXED, READV with RWF_*, NOP with an injected result', () => {
    const ring = open();
    expect(prepared(ring, (s) => prepSocket(s, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))[0]).toEqual(want('IORING_OP_SOCKET', {
      fd: 'AF_INET', off: ['SOCK_STREAM', 'SOCK_NONBLOCK'], len: 0,
    }));
    const pool = new Uint8Array(64);
    expect(prepared(ring, (s) => prepProvideBuffers(s, pool, 16, 4, 9, 100))[0]).toEqual(want('IORING_OP_PROVIDE_BUFFERS', {
      fd: 4, off: 100, addr: hex(ffi.addressOf(pool)), len: 16, buf_group: 9,
    }));
    expect(prepared(ring, (s) => prepReadFixed(s, 5, pool, 8, 0, 2))[0]).toEqual(want('IORING_OP_READ_FIXED', {
      fd: 5, off: 0, addr: hex(ffi.addressOf(pool)), len: 8, rw_flags: [], buf_index: 2,
    }));
    expect(prepared(ring, (s) => prepReadv2(s, 5, [pool], -1, RWF_NOWAIT))[0].rw_flags).toEqual(['RWF_NOWAIT']);
    const [nop] = prepared(ring, (s) => {
      prepNop(s);
      s.rwFlags = C.IORING_NOP_INJECT_RESULT;
      s.len = -5 >>> 0;
    });
    expect(nop).toEqual(want('IORING_OP_NOP', { fd: -1, len: -5, nop_flags: ['IORING_NOP_INJECT_RESULT'] }));
  });
});

// ------------------------------------------------------ nothing left out

describe('decodeSqe drops nothing', () => {
  it('unknown flag bits stay as a hex leftover, in the IOSQE flags and in an opcode\'s flag word', () => {
    const ring = open();
    const [d] = prepared(ring, (s) => {
      prepTimeout(s, 10, 0, C.IORING_TIMEOUT_MULTISHOT | 0x100);
      sqeSetFlags(s, C.IOSQE_FIXED_FILE | C.IOSQE_CQE_SKIP_SUCCESS | 0x80);
    });
    expect(d.flags).toEqual(['IOSQE_FIXED_FILE', 'IOSQE_CQE_SKIP_SUCCESS', '0x80']);
    expect(d.timeout_flags).toEqual(['IORING_TIMEOUT_MULTISHOT', '0x100']);
  });

  it('a field the opcode does not read shows under its union name when it is set', () => {
    const ring = open();
    const [d] = prepared(ring, (s) => {
      prepTimeout(s, 10);
      s.personality = 3;
      s.addr3 = 5;
      s.spliceFdIn = 7;
    });
    expect([d.personality, d.splice_fd_in, d.addr3]).toEqual([3, 7, 5]);
    const [plain] = prepared(ring, (s) => prepTimeout(s, 10));
    expect(Object.keys(plain)).not.toContain('personality');
  });

  it('every byte of every opcode\'s entry changes its decoding', () => {
    const hidden: string[] = [];
    for (const opcode of [...OPCODES.map((o) => o.op), 200]) {
      for (const size of [64, 128]) {
        const base = new Uint8Array(size);
        base[0] = opcode;
        const plain = decodeSqe(base);
        for (let at = 1; at < size; at++) {
          for (const v of [0x01, 0x80]) {
            const b = base.slice();
            b[at] = v;
            if (isDeepStrictEqual(decodeSqe(b), plain)) hidden.push(`opcode ${opcode}, ${size}-byte entry: byte ${at} = ${v}`);
          }
        }
      }
    }
    expect(hidden).toEqual([]);
  });

  it('an opcode past the table decodes as \'unknown\' with every raw field', () => {
    const b = new Uint8Array(64);
    const dv = new DataView(b.buffer);
    b[0] = 200;
    dv.setInt32(4, -1, true); // fd
    dv.setBigUint64(32, 2n ** 64n - 1n, true); // user_data
    expect(decodeSqe(b)).toEqual({
      opcode: 200, op: 'unknown', flags: [], ioprio: 0, fd: -1, off: 0, addr: 0, len: 0, rw_flags: 0,
      user_data: 2n ** 64n - 1n, buf_index: 0, personality: 0, splice_fd_in: 0, addr3: 0, __pad2: 0,
    });
  });
});

describe('every opcode in OPCODES', () => {
  it('decodes under its own name, zeroed or with every bit set', () => {
    const ring = open();
    const sqe = ring.getSqe()!;
    for (const { op, name } of OPCODES) {
      prepNop(sqe);
      sqe.opcode = op;
      const d = decodeSqe(sqe);
      expect([d.opcode, d.op, 'fd' in d, d.user_data]).toEqual([op, `IORING_OP_${name}`, true, 0]);
      const ones = new Uint8Array(64).fill(0xff);
      ones[0] = op;
      expect(decodeSqe(ones).op).toBe(`IORING_OP_${name}`);
    }
  });
});

// ------------------------------------------------------------- completions

describe('decodeCqe', () => {
  it('a READ of a file: res as bytes; an OPENAT: res as the fd', () => {
    const ring = open();
    const file = path.join(os.tmpdir(), `tsuring-decode-${process.pid}.txt`);
    fs.writeFileSync(file, 'hello');
    try {
      const fd = fs.openSync(file, 'r');
      fds.push(fd);
      const read = completed(ring, (s) => prepRead(s, fd, new Uint8Array(16)));
      expect(read).toEqual({
        opcode: C.IORING_OP_READ, op: 'IORING_OP_READ', user_data: UD, res: 5, bytes: 5, flags: [], more: false, notif: false,
      });
      const opened = completed(ring, (s) => prepOpenat(s, AT_FDCWD, file));
      expect(opened.res).toBeGreaterThan(2);
      fds.push(opened.res);
      expect(opened.fd).toBe(opened.res);
      expect(opened.error).toBeUndefined();
    } finally {
      fs.unlinkSync(file);
    }
  });

  it('a POLL_ADD on a pipe with data: res as poll events', () => {
    const ring = open();
    const [r, w] = pipe();
    fs.writeSync(w, 'x');
    expect(completed(ring, (s) => prepPollAdd(s, r, POLLIN | POLLOUT)).events).toEqual(['POLLIN']);
  });

  it.skipIf(opcodeMissing(C.IORING_OP_READ_MULTISHOT))('a multishot read: F_BUFFER with the buffer id, F_MORE, then the last CQE without', () => {
    const ring = open();
    const br = setupBufRing(ring, 4, 3);
    const bufs = [new Uint8Array(8), new Uint8Array(8)];
    bufs.forEach((b, i) => bufRingAdd(br, b, 10 + i, br.mask, i));
    bufRingAdvance(br, bufs.length);
    const [r, w] = pipe();
    const sqe = ring.getSqe()!;
    prepReadMultishot(sqe, r, 0, 0, 3);
    sqe.userData = 5;
    ring.submit();
    const reap = (): DecodedCqe => {
      const cqe = ring.waitCqeTimeout(5000);
      if (cqe === null) throw new Error('no completion within 5 s');
      const d = decodeCqe(cqe, C.IORING_OP_READ_MULTISHOT);
      ring.cqeSeen(cqe);
      return d;
    };
    fs.writeSync(w, 'abc');
    expect(reap()).toEqual({
      opcode: C.IORING_OP_READ_MULTISHOT, op: 'IORING_OP_READ_MULTISHOT', user_data: 5, res: 3, bytes: 3,
      flags: ['IORING_CQE_F_BUFFER', 'IORING_CQE_F_MORE'], buffer_id: 10, more: true, notif: false,
    });
    fs.closeSync(w);
    fds.splice(fds.indexOf(w), 1);
    const last = reap();
    expect([last.res, last.more, last.flags, 'buffer_id' in last]).toEqual([0, false, [], false]);
  });

  it('user_data is a number up to 2^53-1 and a bigint above, in the SQE and the CQE alike', () => {
    const ring = open();
    expect(completed(ring, prepNop, 2n ** 60n + 1n).user_data).toBe(2n ** 60n + 1n);
    expect(completed(ring, prepNop, 2 ** 53 - 1).user_data).toBe(2 ** 53 - 1);
    expect(completed(ring, prepNop, 2n ** 53n).user_data).toBe(2n ** 53n);
    const sqe = ring.getSqe()!;
    prepNop(sqe);
    sqeSetData(sqe, 2n ** 53n - 1n);
    expect(decodeSqe(sqe).user_data).toBe(2 ** 53 - 1);
    sqeSetData(sqe, 2n ** 60n + 1n);
    expect(decodeSqe(sqe).user_data).toBe(2n ** 60n + 1n);
  });

  it.skipIf(ringUnavailable(8, { flags: C.IORING_SETUP_CQE32 }))('a 32-byte CQE shows its big_cqe words', () => {
    const ring = open({ flags: C.IORING_SETUP_CQE32 });
    expect(completed(ring, prepNop).big_cqe).toEqual([0, 0]);
    const raw = new Uint8Array(32);
    new DataView(raw.buffer).setBigUint64(24, 2n ** 63n, true);
    expect(decodeCqe(raw).big_cqe).toEqual([0, 2n ** 63n]);
  });

  it('a copy { userData, res, flags } decodes as the CQE it was taken from', () => {
    const ring = open();
    const done = runOne(ring, (s) => prepRead(s, NO_SUCH_FD, new Uint8Array(8)), 9);
    expect(decodeCqe(done, C.IORING_OP_READ)).toEqual({
      opcode: C.IORING_OP_READ, op: 'IORING_OP_READ', user_data: 9, res: -9, error: 'EBADF', flags: [], more: false, notif: false,
    });
  });

  it('a zero-copy notification: notif, its usage bits by name, and no errno for res bit 31', () => {
    const d = decodeCqe(cqeBytes(3n, C.IORING_NOTIF_USAGE_ZC_COPIED | 0, C.IORING_CQE_F_NOTIF), C.IORING_OP_SEND_ZC);
    expect(d).toEqual({
      opcode: C.IORING_OP_SEND_ZC, op: 'IORING_OP_SEND_ZC', user_data: 3, res: -(2 ** 31), notif_usage: ['IORING_NOTIF_USAGE_ZC_COPIED'],
      flags: ['IORING_CQE_F_NOTIF'], more: false, notif: true,
    });
  });

  it('flags: the buffer id bits are not flags; unknown low bits stay as hex; without F_BUFFER the high bits stay too', () => {
    const withId = decodeCqe(cqeBytes(1n, 4, C.IORING_CQE_F_BUFFER | C.IORING_CQE_F_SOCK_NONEMPTY | 0x800 | (0xabcd << 16)));
    expect([withId.flags, withId.buffer_id]).toEqual([['IORING_CQE_F_BUFFER', 'IORING_CQE_F_SOCK_NONEMPTY', '0x800'], 0xabcd]);
    const passed = decodeCqe(cqeBytes(1n, 0, 0x10000)); // MSG_RING's IORING_MSG_RING_FLAGS_PASS data
    expect([passed.flags, 'buffer_id' in passed]).toEqual([['0x10000'], false]);
  });

  it('refuses what is not an entry', () => {
    expect(() => decodeSqe(new Uint8Array(63))).toThrow(RangeError);
    expect(() => decodeSqe({} as unknown as Sqe)).toThrow(TypeError);
    expect(() => decodeCqe(new Uint8Array(20))).toThrow(RangeError);
    expect(() => decodeCqe(null as unknown as Uint8Array)).toThrow(TypeError);
  });
});

// -------------------------------------------------------- printing and cost

describe('the decodings', () => {
  it('are plain objects that print with their names', () => {
    const ring = open();
    const [d] = prepared(ring, (s) => prepRead(s, 5, new Uint8Array(8)));
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(inspect(d)).toContain("op: 'IORING_OP_READ'");
    expect(inspect(decodeCqe(cqeBytes(1n, -2, 0)))).toContain("error: 'ENOENT'");
  });

  it('cost the ring nothing: lib/ring reaches lib/debug only through the trace hook', () => {
    const dir = new URL('../lib/ring/', import.meta.url);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const imports = [...fs.readFileSync(new URL(f, dir), 'utf8').matchAll(/from '\.\.\/debug\/([^']+)'/g)].map((m) => m[1]);
      expect(imports.filter((m) => m !== 'trace.ts')).toEqual([]);
    }
  });
});
