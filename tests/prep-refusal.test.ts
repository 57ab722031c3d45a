// Every exported encoder, every argument, each kind of bad value: a value
// that doesn't fit its field is a TypeError or RangeError thrown before a
// byte of the entry is written, nothing is kept, and the entry never reaches
// the kernel (submit() takes 0 and no CQE appears). A value the field does
// hold is not refused. The table below lists a valid call of each encoder and
// what each argument is; a new encoder without a row fails the first test.

import { describe, expect, it } from 'vitest';
import * as tsuring from '../lib/index.ts';
import {
  AF_INET, AT_FDCWD, EPOLL_CTL_ADD, FUTEX2_PRIVATE, FUTEX2_SIZE_U32, IORING_FILE_INDEX_ALLOC, IORING_OP_NOP, IORING_OP_READ, IoUring,
  P_PID, POLLIN, SOCKADDR_STORAGE_SIZE, SOCK_STREAM, SOCKET_URING_OP_SIOCINQ, STATX_BASIC_STATS, WEXITED, prepNop, type Sqe,
} from '../lib/index.ts';

// What an argument is, for deciding which bad values its field accepts.
type Kind =
  | 'sqe'
  | 'fd' // s32: any int32
  | 'u32' | 'bits32' | 'u16' | 'u8' // fixed-width integers (bits32: a u32 or a negative int32)
  | 'u64' // a number up to 2^53-1 or a bigint up to 2^64-1
  | 'u53' // a number up to 2^53-1 (user_data as a number, a raw address)
  | 'offset' // a file offset: 0 to 2^53-1, or -1
  | 'safe' // 0 to 2^53-1 (a 64-bit length)
  | 'anySafe' // any safe integer (prepRw's off, two's complement)
  | 'u32OrNull' | 'u16OrNull' // a number, or null for the default
  | 'view' | 'viewOrNull' // an ArrayBufferView (null: none, or one made)
  | 'addrOrView' // a view, or a raw address number
  | 'path' // a string or a Uint8Array
  | 'array' // an array (of buffers, of futexes): a Proxy of a good one is still a good one
  | 'timeout' // milliseconds (any finite number >= 0), { sec, nsec } or a timespec
  | 'object' // a struct built from an object (an address, a message, an open_how, an epoll_event)
  | 'cell' // a socklen_t cell, or null for one made
  | 'int32Array' // an Int32Array
  | 'slot' // a direct-descriptor slot, an opcode-like enum, a count: none of the bad values fits
  ;

const BAD = {
  '1n': () => 1n,
  'Symbol()': () => Symbol('bad'),
  '{}': () => ({}),
  '{ valueOf() { throw } }': () => ({ valueOf(): never { throw new Error('valueOf ran: a value was coerced'); } }),
  "'1'": () => '1',
  '1.5': () => 1.5,
  NaN: () => NaN,
  Infinity: () => Infinity,
  '-2^31-1': () => -(2 ** 31) - 1,
  '2^32': () => 2 ** 32,
  '2^53': () => 2 ** 53,
  null: () => null,
  'a detached buffer': () => {
    const b = new Uint8Array(256);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    return b;
  },
  'a Proxy of an array': (good: unknown) => new Proxy(Array.isArray(good) ? good : [good], {}),
} as const;
type Bad = keyof typeof BAD;

// The bad values each kind of field holds after all (so must not refuse);
// every other bad value must be refused.
const ACCEPTS: Record<Exclude<Kind, 'sqe'>, readonly Bad[]> = {
  fd: [], u32: [], bits32: [], u16: [], u8: [],
  u64: ['1n', '2^32'],
  u53: ['2^32'],
  offset: ['2^32'],
  safe: ['2^32'],
  anySafe: ['2^32', '-2^31-1'],
  u32OrNull: ['null'],
  u16OrNull: ['null'],
  view: [],
  viewOrNull: ['null'],
  addrOrView: ['2^32'],
  path: ["'1'"],
  array: ['a Proxy of an array'],
  timeout: ['1.5', '2^32', '2^53'], // milliseconds; 2^53 ms is still below 2^53 s
  object: [],
  cell: ['null'],
  int32Array: [],
  slot: [],
};

const FD = 1000; // not open: nothing here reaches the kernel but NOPs
const PATH = '/nonexistent-tsuring-refusal/p';
const buf = () => new Uint8Array(64);
const room = () => new Uint8Array(SOCKADDR_STORAGE_SIZE);
const inet = () => ({ address: '127.0.0.1', port: 1 });
const msg = () => ({ iov: [buf()] });
const word = () => new Uint32Array(1);

type Row = { args: () => unknown[]; kinds: Kind[] };
const S = 'sqe';
// One valid call per exported encoder, and the kind of each argument.
const ROWS: Record<string, Row> = {
  prepRw: { args: () => [IORING_OP_NOP, S, FD, 0, 0, 0], kinds: ['u8', 'sqe', 'fd', 'u53', 'u32', 'anySafe'] },
  prepRwBuffer: { args: () => [IORING_OP_READ, S, FD, buf(), 4, 0], kinds: ['u8', 'sqe', 'fd', 'view', 'u32', 'offset'] },
  prepNop: { args: () => [S], kinds: ['sqe'] },
  prepNop128: { args: () => [S], kinds: ['sqe'] },
  prepRead: { args: () => [S, FD, buf(), 4, 0], kinds: ['sqe', 'fd', 'view', 'u32', 'offset'] },
  prepWrite: { args: () => [S, FD, buf(), 4, 0], kinds: ['sqe', 'fd', 'view', 'u32', 'offset'] },
  prepReadv: { args: () => [S, FD, [buf(), buf()], 0], kinds: ['sqe', 'fd', 'array', 'offset'] },
  prepWritev: { args: () => [S, FD, [buf(), buf()], 0], kinds: ['sqe', 'fd', 'array', 'offset'] },
  prepReadv2: { args: () => [S, FD, [buf()], 0, 0], kinds: ['sqe', 'fd', 'array', 'offset', 'bits32'] },
  prepWritev2: { args: () => [S, FD, [buf()], 0, 0], kinds: ['sqe', 'fd', 'array', 'offset', 'bits32'] },
  prepFsync: { args: () => [S, FD, 0], kinds: ['sqe', 'fd', 'bits32'] },
  prepReadFixed: { args: () => [S, FD, buf(), 4, 0, 0], kinds: ['sqe', 'fd', 'view', 'u32', 'offset', 'u16'] },
  prepWriteFixed: { args: () => [S, FD, buf(), 4, 0, 0], kinds: ['sqe', 'fd', 'view', 'u32', 'offset', 'u16'] },
  prepReadvFixed: { args: () => [S, FD, [buf()], 0, 0, 0], kinds: ['sqe', 'fd', 'array', 'offset', 'bits32', 'u16'] },
  prepWritevFixed: { args: () => [S, FD, [buf()], 0, 0, 0], kinds: ['sqe', 'fd', 'array', 'offset', 'bits32', 'u16'] },
  prepProvideBuffers: { args: () => [S, buf(), 16, 2, 1, 0], kinds: ['sqe', 'view', 'u32', 'slot', 'u16', 'u16'] },
  prepRemoveBuffers: { args: () => [S, 1, 1], kinds: ['sqe', 'slot', 'u16'] },
  prepReadMultishot: { args: () => [S, FD, 0, 0, 1], kinds: ['sqe', 'fd', 'u32', 'offset', 'u16'] },
  // Time
  prepTimeout: { args: () => [S, 1, 0, 0], kinds: ['sqe', 'timeout', 'u32', 'bits32'] },
  prepTimeoutRemove: { args: () => [S, 7, 0], kinds: ['sqe', 'u64', 'bits32'] },
  prepTimeoutUpdate: { args: () => [S, 1, 7, 0], kinds: ['sqe', 'timeout', 'u64', 'bits32'] },
  prepLinkTimeout: { args: () => [S, 1, 0], kinds: ['sqe', 'timeout', 'bits32'] },
  // Files
  prepOpenat: { args: () => [S, AT_FDCWD, PATH, 0, 0o644], kinds: ['sqe', 'fd', 'path', 'bits32', 'u32'] },
  prepOpen: { args: () => [S, PATH, 0, 0o644], kinds: ['sqe', 'path', 'bits32', 'u32'] },
  prepOpenatDirect: { args: () => [S, AT_FDCWD, PATH, 0, 0o644, 0], kinds: ['sqe', 'fd', 'path', 'bits32', 'u32', 'slot'] },
  prepOpenDirect: { args: () => [S, PATH, 0, 0o644, 0], kinds: ['sqe', 'path', 'bits32', 'u32', 'slot'] },
  prepOpenat2: { args: () => [S, AT_FDCWD, PATH, { flags: 0 }], kinds: ['sqe', 'fd', 'path', 'object'] },
  prepOpenat2Direct: { args: () => [S, AT_FDCWD, PATH, { flags: 0 }, 0], kinds: ['sqe', 'fd', 'path', 'object', 'slot'] },
  prepClose: { args: () => [S, FD], kinds: ['sqe', 'fd'] },
  prepCloseDirect: { args: () => [S, 0], kinds: ['sqe', 'slot'] },
  prepFilesUpdate: { args: () => [S, new Int32Array([-1]), 1, 0], kinds: ['sqe', 'int32Array', 'u32', 'slot'] },
  prepFixedFdInstall: { args: () => [S, 0, 0], kinds: ['sqe', 'fd', 'bits32'] },
  prepStatx: { args: () => [S, AT_FDCWD, PATH, 0, STATX_BASIC_STATS, new Uint8Array(256)], kinds: ['sqe', 'fd', 'path', 'bits32', 'bits32', 'viewOrNull'] },
  prepFadvise: { args: () => [S, FD, 0, 0, 0], kinds: ['sqe', 'fd', 'safe', 'u32', 'bits32'] },
  prepFadvise64: { args: () => [S, FD, 0, 0, 0], kinds: ['sqe', 'fd', 'safe', 'safe', 'bits32'] },
  prepMadvise: { args: () => [S, new Uint8Array(4096), 4096, 0], kinds: ['sqe', 'addrOrView', 'u32', 'bits32'] },
  // A raw address: a view would be shorter than the 2^32 bytes tried as its length.
  prepMadvise64: { args: () => [S, 0x10000, 4096, 0], kinds: ['sqe', 'addrOrView', 'safe', 'bits32'] },
  prepFallocate: { args: () => [S, FD, 0, 0, 1], kinds: ['sqe', 'fd', 'bits32', 'safe', 'safe'] },
  prepFtruncate: { args: () => [S, FD, 0], kinds: ['sqe', 'fd', 'safe'] },
  prepSyncFileRange: { args: () => [S, FD, 0, 0, 0], kinds: ['sqe', 'fd', 'u32', 'safe', 'bits32'] },
  prepUnlinkat: { args: () => [S, AT_FDCWD, PATH, 0], kinds: ['sqe', 'fd', 'path', 'bits32'] },
  prepUnlink: { args: () => [S, PATH, 0], kinds: ['sqe', 'path', 'bits32'] },
  prepRenameat: { args: () => [S, AT_FDCWD, PATH, AT_FDCWD, PATH, 0], kinds: ['sqe', 'fd', 'path', 'fd', 'path', 'bits32'] },
  prepRename: { args: () => [S, PATH, PATH], kinds: ['sqe', 'path', 'path'] },
  prepMkdirat: { args: () => [S, AT_FDCWD, PATH, 0o755], kinds: ['sqe', 'fd', 'path', 'u32'] },
  prepMkdir: { args: () => [S, PATH, 0o755], kinds: ['sqe', 'path', 'u32'] },
  prepSymlinkat: { args: () => [S, PATH, AT_FDCWD, PATH], kinds: ['sqe', 'path', 'fd', 'path'] },
  prepSymlink: { args: () => [S, PATH, PATH], kinds: ['sqe', 'path', 'path'] },
  prepLinkat: { args: () => [S, AT_FDCWD, PATH, AT_FDCWD, PATH, 0], kinds: ['sqe', 'fd', 'path', 'fd', 'path', 'bits32'] },
  prepLink: { args: () => [S, PATH, PATH, 0], kinds: ['sqe', 'path', 'path', 'bits32'] },
  prepFgetxattr: { args: () => [S, FD, 'user.k', buf(), 4], kinds: ['sqe', 'fd', 'path', 'view', 'u32'] },
  prepFsetxattr: { args: () => [S, FD, 'user.k', buf(), 0, 4], kinds: ['sqe', 'fd', 'path', 'view', 'bits32', 'u32'] },
  prepGetxattr: { args: () => [S, 'user.k', buf(), PATH, 4], kinds: ['sqe', 'path', 'view', 'path', 'u32'] },
  prepSetxattr: { args: () => [S, 'user.k', buf(), PATH, 0, 4], kinds: ['sqe', 'path', 'view', 'path', 'bits32', 'u32'] },
  prepSplice: { args: () => [S, FD, -1, FD, -1, 10, 0], kinds: ['sqe', 'fd', 'offset', 'fd', 'offset', 'u32', 'bits32'] },
  prepTee: { args: () => [S, FD, FD, 10, 0], kinds: ['sqe', 'fd', 'fd', 'u32', 'bits32'] },
  prepPipe: { args: () => [S, new Int32Array(2), 0], kinds: ['sqe', 'int32Array', 'bits32'] },
  prepPipeDirect: { args: () => [S, new Int32Array(2), 0, 0], kinds: ['sqe', 'int32Array', 'bits32', 'slot'] },
  // Sockets
  prepSocket: { args: () => [S, AF_INET, SOCK_STREAM, 0, 0], kinds: ['sqe', 'fd', 'fd', 'bits32', 'bits32'] },
  prepSocketDirect: { args: () => [S, AF_INET, SOCK_STREAM, 0, 0, 0], kinds: ['sqe', 'fd', 'fd', 'bits32', 'slot', 'bits32'] },
  prepSocketDirectAlloc: { args: () => [S, AF_INET, SOCK_STREAM, 0, 0], kinds: ['sqe', 'fd', 'fd', 'bits32', 'bits32'] },
  prepConnect: { args: () => [S, FD, inet(), 16], kinds: ['sqe', 'fd', 'object', 'u32OrNull'] },
  prepBind: { args: () => [S, FD, inet(), 16], kinds: ['sqe', 'fd', 'object', 'u32OrNull'] },
  prepListen: { args: () => [S, FD, 8], kinds: ['sqe', 'fd', 'bits32'] },
  prepAccept: { args: () => [S, FD, room(), word(), 0], kinds: ['sqe', 'fd', 'viewOrNull', 'cell', 'bits32'] },
  prepAcceptDirect: { args: () => [S, FD, room(), word(), 0, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'cell', 'bits32', 'slot'] },
  prepMultishotAccept: { args: () => [S, FD, room(), word(), 0], kinds: ['sqe', 'fd', 'viewOrNull', 'cell', 'bits32'] },
  prepMultishotAcceptDirect: { args: () => [S, FD, room(), word(), 0], kinds: ['sqe', 'fd', 'viewOrNull', 'cell', 'bits32'] },
  prepSend: { args: () => [S, FD, buf(), 4, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32'] },
  prepSendBundle: { args: () => [S, FD, 0, 0], kinds: ['sqe', 'fd', 'u32', 'bits32'] },
  prepSendSetAddr: { args: () => [S, inet(), 16], kinds: ['sqe', 'object', 'u16OrNull'] },
  prepSendto: { args: () => [S, FD, buf(), 4, 0, inet(), 16], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32', 'object', 'u16OrNull'] },
  prepSendZc: { args: () => [S, FD, buf(), 4, 0, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32', 'u16'] },
  prepSendZcFixed: { args: () => [S, FD, buf(), 4, 0, 0, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32', 'u16', 'u16'] },
  prepSendmsg: { args: () => [S, FD, msg(), 0], kinds: ['sqe', 'fd', 'object', 'bits32'] },
  prepSendmsgZc: { args: () => [S, FD, msg(), 0], kinds: ['sqe', 'fd', 'object', 'bits32'] },
  prepSendmsgZcFixed: { args: () => [S, FD, msg(), 0, 0], kinds: ['sqe', 'fd', 'object', 'bits32', 'u16'] },
  prepRecv: { args: () => [S, FD, buf(), 4, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32'] },
  prepRecvMultishot: { args: () => [S, FD, buf(), 4, 0], kinds: ['sqe', 'fd', 'viewOrNull', 'u32', 'bits32'] },
  prepRecvmsg: { args: () => [S, FD, msg(), 0], kinds: ['sqe', 'fd', 'object', 'bits32'] },
  prepRecvmsgMultishot: { args: () => [S, FD, msg(), 0], kinds: ['sqe', 'fd', 'object', 'bits32'] },
  prepRecvZc: { args: () => [S, FD, 0, 0, 0], kinds: ['sqe', 'fd', 'u32', 'u32', 'u16'] },
  prepShutdown: { args: () => [S, FD, 2], kinds: ['sqe', 'fd', 'bits32'] },
  prepCmdSock: { args: () => [S, SOCKET_URING_OP_SIOCINQ, FD, 1, 2, buf(), 4], kinds: ['sqe', 'u32', 'fd', 'bits32', 'bits32', 'view', 'u32'] },
  prepCmdGetsockname: { args: () => [S, FD, room(), word(), 0], kinds: ['sqe', 'fd', 'view', 'cell', 'slot'] },
  // Everything else
  prepUringCmd: { args: () => [S, 0, FD], kinds: ['sqe', 'slot', 'fd'] },
  prepUringCmd128: { args: () => [S, 0, FD], kinds: ['sqe', 'slot', 'fd'] },
  prepCmdDiscard: { args: () => [S, FD, 0, 4096], kinds: ['sqe', 'fd', 'safe', 'safe'] },
  prepCmdZoneResetAll: { args: () => [S, FD], kinds: ['sqe', 'fd'] },
  prepPollAdd: { args: () => [S, FD, POLLIN], kinds: ['sqe', 'fd', 'bits32'] },
  prepPollMultishot: { args: () => [S, FD, POLLIN], kinds: ['sqe', 'fd', 'bits32'] },
  prepPollRemove: { args: () => [S, 7], kinds: ['sqe', 'u64'] },
  prepPollUpdate: { args: () => [S, 7, 8, POLLIN, 0], kinds: ['sqe', 'u64', 'u64', 'bits32', 'u32'] },
  prepCancel: { args: () => [S, 7, 0, 0], kinds: ['sqe', 'u53', 'bits32', 'u32'] },
  prepCancel64: { args: () => [S, 7, 0, 0], kinds: ['sqe', 'u64', 'bits32', 'u32'] },
  prepCancelFd: { args: () => [S, FD, 0, 0], kinds: ['sqe', 'fd', 'bits32', 'u32'] },
  prepMsgRing: { args: () => [S, FD, 0, 7, 0], kinds: ['sqe', 'fd', 'bits32', 'u64', 'bits32'] },
  prepMsgRingCqeFlags: { args: () => [S, FD, 0, 7, 0, 0], kinds: ['sqe', 'fd', 'bits32', 'u64', 'bits32', 'bits32'] },
  prepMsgRingFd: { args: () => [S, FD, 0, 1, 7, 0], kinds: ['sqe', 'fd', 'fd', 'fd', 'u64', 'bits32'] },
  prepMsgRingFdAlloc: { args: () => [S, FD, 0, 7, 0], kinds: ['sqe', 'fd', 'fd', 'u64', 'bits32'] },
  prepFutexWait: { args: () => [S, word(), 1, 0xffffffff, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0], kinds: ['sqe', 'view', 'u64', 'u64', 'u32', 'bits32'] },
  prepFutexWake: { args: () => [S, word(), 1, 0xffffffff, FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0], kinds: ['sqe', 'view', 'u64', 'u64', 'u32', 'bits32'] },
  prepFutexWaitv: { args: () => [S, [{ uaddr: word(), val: 1, flags: FUTEX2_SIZE_U32 }], 0], kinds: ['sqe', 'array', 'bits32'] },
  prepWaitid: { args: () => [S, P_PID, 1, new Uint8Array(128), WEXITED, 0], kinds: ['sqe', 'bits32', 'fd', 'viewOrNull', 'bits32', 'bits32'] },
  prepEpollCtl: { args: () => [S, FD, FD, EPOLL_CTL_ADD, { events: POLLIN, data: 1 }], kinds: ['sqe', 'fd', 'fd', 'u32', 'object'] },
  prepEpollWait: { args: () => [S, FD, new Uint8Array(24), 2, 0], kinds: ['sqe', 'fd', 'view', 'u32', 'bits32'] },
};

// The slot's memory, and junk left in it by an earlier entry (a NOP reads
// none of these fields), so that a refused encoder's stray write shows.
function slotBytes(sqe: Sqe): Uint8Array {
  return sqe.u8.slice(sqe.w * 4, sqe.w * 4 + sqe.size);
}
function dirtySlot(ring: IoUring): void {
  const sqe = ring.getSqe()!;
  prepNop(sqe);
  const u = sqe.u32;
  const w = sqe.w;
  for (const i of [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15]) u[w + i] = 0xa5a5a5a5 ^ i; // fd, off, addr, len, file_index, addr3, pad2
  sqe.u16[w * 2 + 20] = 0x5a5a; // buf_index
  sqe.userData = 0xdead;
  ring.submit();
  ring.cqeSeen(ring.waitCqe());
}

function isRefusal(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError;
}

const encoders = Object.entries(tsuring)
  .filter(([name, v]) => name.startsWith('prep') && typeof v === 'function')
  .map(([name]) => name)
  .sort();

describe('every encoder refuses what does not fit, before writing a byte', () => {
  it('the table has a row for every exported prep* function, with a kind per argument', () => {
    expect(Object.keys(ROWS).sort()).toEqual(encoders);
    for (const [name, row] of Object.entries(ROWS)) expect(row.args().length, name).toBe(row.kinds.length);
  });

  it.each(encoders.filter((n) => ROWS[n] !== undefined))('%s', (name) => {
    const fn = (tsuring as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
    const row = ROWS[name]!;
    using ring = new IoUring(1); // one slot: every entry lands in the same memory
    const wrong: string[] = []; // refusals that went wrong
    const leaked: string[] = []; // refused entries that still reached the kernel

    for (let pos = 0; pos < row.kinds.length; pos++) {
      const kind = row.kinds[pos]!;
      if (kind === 'sqe') continue;
      for (const [label, make] of Object.entries(BAD) as [Bad, (good: unknown) => unknown][]) {
        const what = `${name} argument ${pos} (${kind}) = ${label}`;
        dirtySlot(ring);
        const sqe = ring.getSqe()!;
        const args = row.args().map((a) => (a === S ? sqe : a));
        args[pos] = make(args[pos]);
        const before = slotBytes(sqe);
        let thrown: unknown;
        try {
          fn(...args);
        } catch (e) {
          thrown = e;
        }
        if (ACCEPTS[kind].includes(label)) {
          if (thrown !== undefined) wrong.push(`${what}: refused a value its field holds (${String(thrown)})`);
          prepNop(sqe); // whatever it prepared is not for the kernel
          ring.submit();
          ring.cqeSeen(ring.waitCqe());
          continue;
        }
        if (thrown === undefined) wrong.push(`${what}: accepted`);
        else if (!isRefusal(thrown)) wrong.push(`${what}: threw ${String(thrown)}, not a TypeError or RangeError`);
        if (!slotBytes(sqe).every((b, i) => b === before[i])) wrong.push(`${what}: the entry was written`);
        if (sqe.kept !== 0) wrong.push(`${what}: kept ${sqe.kept} objects`);
        if (thrown === undefined) prepNop(sqe);
        const n = ring.submit();
        const cqe = ring.peekCqe();
        if (thrown !== undefined && (n !== 0 || cqe !== null)) leaked.push(`${what}: submit took ${n}, ${cqe === null ? 'no CQE' : `a CQE with user_data ${cqe.userDataBig}`}`);
        if (cqe !== null) ring.cqeSeen(cqe);
        else if (n !== 0) ring.cqeSeen(ring.waitCqe());
      }
    }

    // The ring still works after the refusals: a valid call prepares the
    // entry (checked, then turned into a NOP so nothing runs), and a NOP
    // makes the round trip.
    dirtySlot(ring);
    const sqe = ring.getSqe()!;
    const args = row.args().map((a) => (a === S ? sqe : a));
    expect(() => fn(...args), `${name} with its valid arguments`).not.toThrow();
    prepNop(sqe);
    sqe.userData = 42;
    expect(ring.submit()).toBe(1);
    const cqe = ring.waitCqe();
    expect([cqe.res, cqe.userData]).toEqual([0, 42]);
    ring.cqeSeen(cqe);

    expect.soft(wrong).toEqual([]);
    expect.soft(leaked.length === 0 ? [] : [`${leaked.length} refused entries reached the kernel, the first: ${leaked[0]}`]).toEqual([]);
  });
});
