/**
 * Tests for the library's one flag namer (lib/uapi/names.ts): tables from
 * prefixes of the pinned header or from named constants, masks of several
 * bits named whole, enumerations by value; and, through decodeSqe and
 * decodeCqe, every flag word the decoder names coming out of it name for
 * name, lowest bit first, with no constant of its prefixes left as hex.
 */
import { describe, expect, it } from 'vitest';
import * as C from '../lib/uapi/constants.ts';
import { io_uring_sqe } from '../lib/uapi/layout.ts';
import { O_DIRECTORY, O_DSYNC, O_SYNC, O_TMPFILE, STATX_BASIC_STATS, STATX_BTIME, STATX_MODE } from '../lib/uapi/fs.ts';
import { flagNames, flagTable, prefixFlags, valueNames, type FlagTable } from '../lib/uapi/names.ts';
import { decodeCqe, decodeSqe } from '../lib/debug/decode.ts';

describe('prefixFlags', () => {
  it('takes the single-bit constants of each prefix, lowest bit first', () => {
    expect(prefixFlags('IORING_TIMEOUT_', 'IORING_LINK_TIMEOUT_')).toEqual([
      ['IORING_TIMEOUT_ABS', 0x1], ['IORING_TIMEOUT_UPDATE', 0x2], ['IORING_TIMEOUT_BOOTTIME', 0x4],
      ['IORING_TIMEOUT_REALTIME', 0x8], ['IORING_LINK_TIMEOUT_UPDATE', 0x10], ['IORING_TIMEOUT_ETIME_SUCCESS', 0x20],
      ['IORING_TIMEOUT_MULTISHOT', 0x40], ['IORING_TIMEOUT_IMMEDIATE_ARG', 0x80],
    ]);
  });

  it('leaves out bit numbers, shifts and masks of valid flags, whatever their value', () => {
    const names = (p: string) => prefixFlags(p).map(([n]) => n);
    expect(names('IOSQE_')).not.toContain('IOSQE_ASYNC_BIT');
    expect(names('IORING_CQE_')).not.toContain('IORING_CQE_BUFFER_SHIFT');
    // IORING_URING_CMD_MASK is 1, the value of IORING_URING_CMD_FIXED.
    expect(C.IORING_URING_CMD_MASK).toBe(C.IORING_URING_CMD_FIXED);
    expect(names('IORING_URING_CMD_')).toEqual(['IORING_URING_CMD_FIXED']);
    // IORING_TIMEOUT_CLOCK_MASK has two bits: not a flag either.
    expect(names('IORING_TIMEOUT_')).not.toContain('IORING_TIMEOUT_CLOCK_MASK');
  });

  it('is what flagNames uses for a prefix, and strip leaves the prefix out', () => {
    const all = C.IORING_SETUP_SQPOLL | C.IORING_SETUP_SQ_AFF | C.IORING_SETUP_CQSIZE;
    expect(flagNames(all, 'IORING_SETUP_')).toEqual(['IORING_SETUP_SQPOLL', 'IORING_SETUP_SQ_AFF', 'IORING_SETUP_CQSIZE']);
    expect(flagNames(all, prefixFlags('IORING_SETUP_'))).toEqual(flagNames(all, 'IORING_SETUP_'));
    expect(flagNames(all | 0x80000000, 'IORING_SETUP_', true)).toEqual(['SQPOLL', 'SQ_AFF', 'CQSIZE', '0x80000000']);
  });
});

describe('flagTable', () => {
  it('names a mask of several bits only when all are set, before the bits it contains', () => {
    const open = flagTable({ O_DSYNC, O_SYNC, O_DIRECTORY, O_TMPFILE });
    expect(open[0]![0]).toMatch(/^O_(SYNC|TMPFILE)$/);
    expect(flagNames(O_SYNC, open)).toEqual(['O_SYNC']);
    expect(flagNames(O_DSYNC, open)).toEqual(['O_DSYNC']);
    expect(flagNames(O_TMPFILE, open)).toEqual(['O_TMPFILE']);
    expect(flagNames(O_DIRECTORY | O_DSYNC, open)).toEqual(['O_DSYNC', 'O_DIRECTORY']);
    const statx = flagTable({ STATX_MODE, STATX_BASIC_STATS, STATX_BTIME });
    expect(flagNames(STATX_BASIC_STATS | STATX_BTIME, statx)).toEqual(['STATX_BASIC_STATS', 'STATX_BTIME']);
    expect(flagNames(STATX_MODE | 0x1, statx)).toEqual(['STATX_MODE', '0x1']);
  });

  it('drops a zero value (it names no bit) and puts bits lowest first, whatever the order given', () => {
    expect(flagTable({ C: 4, ZERO: 0, A: 1, TOP: 0x80000000, B: 2 })).toEqual([['A', 1], ['B', 2], ['C', 4], ['TOP', 0x80000000]]);
  });

  it('names bit 31 whether the constant is written positive or negative', () => {
    expect(flagNames(-1 << 31, flagTable({ HIGH: 0x80000000 }))).toEqual(['HIGH']);
    expect(flagNames(0x80000000, flagTable({ HIGH: 1 << 31 }))).toEqual(['HIGH']);
    expect(flagNames(0, flagTable({ HIGH: 1 << 31 }))).toEqual([]);
  });
});

describe('valueNames', () => {
  it('names a value, not its bits', () => {
    const how = valueNames({ SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 });
    expect(how.get(0)).toBe('SHUT_RD');
    expect(how.get(2)).toBe('SHUT_RDWR');
    expect(how.get(3)).toBeUndefined();
  });
});

// ---------------------------------------------- the decoder names through it

/** A 64-byte entry of `opcode` with `field` set to `value` (a 32-bit field, or 16-bit ioprio). */
function entry(opcode: number, field: 'rw_flags' | 'ioprio' | 'len', value: number): Uint8Array {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  b[io_uring_sqe.opcode] = opcode;
  if (field === 'ioprio') dv.setUint16(io_uring_sqe.ioprio, value, true);
  else dv.setUint32(io_uring_sqe[field], value >>> 0, true);
  return b;
}

// Each flag word decodeSqe names from a prefix of the pinned header: the
// opcode, where the word is, what the decoding calls it, and the table.
const PREFIXED: readonly [op: number, at: 'rw_flags' | 'ioprio' | 'len', shown: string, table: FlagTable][] = [
  [C.IORING_OP_TIMEOUT, 'rw_flags', 'timeout_flags', prefixFlags('IORING_TIMEOUT_', 'IORING_LINK_TIMEOUT_')],
  [C.IORING_OP_LINK_TIMEOUT, 'rw_flags', 'timeout_flags', prefixFlags('IORING_TIMEOUT_', 'IORING_LINK_TIMEOUT_')],
  [C.IORING_OP_POLL_ADD, 'len', 'len', prefixFlags('IORING_POLL_ADD_')],
  [C.IORING_OP_ASYNC_CANCEL, 'rw_flags', 'cancel_flags', prefixFlags('IORING_ASYNC_CANCEL_')],
  [C.IORING_OP_SEND, 'ioprio', 'ioprio', prefixFlags('IORING_RECVSEND_', 'IORING_RECV_', 'IORING_SEND_')],
  [C.IORING_OP_RECV_ZC, 'ioprio', 'ioprio', prefixFlags('IORING_RECVSEND_', 'IORING_RECV_', 'IORING_SEND_')],
  [C.IORING_OP_ACCEPT, 'ioprio', 'ioprio', prefixFlags('IORING_ACCEPT_')],
  [C.IORING_OP_MSG_RING, 'rw_flags', 'msg_ring_flags', prefixFlags('IORING_MSG_RING_')],
  [C.IORING_OP_FSYNC, 'rw_flags', 'fsync_flags', prefixFlags('IORING_FSYNC_')],
  [C.IORING_OP_NOP, 'rw_flags', 'nop_flags', prefixFlags('IORING_NOP_')],
  [C.IORING_OP_URING_CMD, 'rw_flags', 'uring_cmd_flags', prefixFlags('IORING_URING_CMD_')],
  [C.IORING_OP_FIXED_FD_INSTALL, 'rw_flags', 'install_fd_flags', prefixFlags('IORING_FIXED_FD_')],
];

describe('decodeSqe names flag words through names.ts', () => {
  it.each(PREFIXED.map((p) => [C.IORING_OP_NAMES[p[0]], ...p] as const))(
    '%s: each constant of its prefixes by name, all of them lowest first, and nothing left as hex',
    (_name, op, at, shown, table) => {
      expect(table.length).toBeGreaterThan(0);
      for (const [name, bit] of table) expect(decodeSqe(entry(op, at, bit))[shown]).toEqual([name]);
      const all = table.reduce((m, [, bit]) => m | bit, 0);
      expect(decodeSqe(entry(op, at, all))[shown]).toEqual(table.map(([name]) => name));
      expect(decodeSqe(entry(op, at, all))[shown]).toEqual(flagNames(all, table));
    },
  );

  it('sqe->flags as flagNames(flags, "IOSQE_") for every byte', () => {
    for (let f = 0; f < 256; f++) {
      const b = new Uint8Array(64);
      b[io_uring_sqe.flags] = f;
      expect(decodeSqe(b).flags).toEqual(flagNames(f, 'IOSQE_'));
    }
  });

  it('OPENAT names O_SYNC whole, and a TIMEOUT a bit no constant has as hex after the names', () => {
    const open = decodeSqe(entry(C.IORING_OP_OPENAT, 'rw_flags', O_SYNC)).open_flags;
    expect(open).toEqual(['O_RDONLY', 'O_SYNC']);
    const t = decodeSqe(entry(C.IORING_OP_TIMEOUT, 'rw_flags', C.IORING_TIMEOUT_ABS | 0x10000)).timeout_flags;
    expect(t).toEqual(['IORING_TIMEOUT_ABS', '0x10000']);
  });
});

describe('decodeCqe names flag words through names.ts', () => {
  it('a zero-copy notification\'s res: every IORING_NOTIF_USAGE_* by name', () => {
    for (const [name, bit] of prefixFlags('IORING_NOTIF_USAGE_')) {
      expect(decodeCqe({ userData: 1, res: bit | 0, flags: C.IORING_CQE_F_NOTIF }).notif_usage).toEqual([name]);
    }
  });

  it('cqe->flags: every IORING_CQE_F_* below the buffer id by name, lowest first', () => {
    const low = prefixFlags('IORING_CQE_F_').filter(([, bit]) => bit < 1 << C.IORING_CQE_BUFFER_SHIFT);
    expect(low.length).toBeGreaterThan(5);
    for (const [name, bit] of low) expect(decodeCqe({ userData: 1, res: 0, flags: bit }).flags).toEqual([name]);
    const all = low.reduce((m, [, bit]) => m | bit, 0);
    expect(decodeCqe({ userData: 1, res: 0, flags: all }).flags).toEqual(low.map(([name]) => name));
  });
});
