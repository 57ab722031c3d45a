// Every member of struct io_uring_sqe has an accessor on Sqe named after it
// (lib/ring/sqe.ts): each one reads and writes exactly its own bytes, at the
// offset lib/uapi/layout.ts gives, with its width; the setters of the
// members without a hot-path accessor refuse what their field can't hold,
// before writing.

import { afterAll, describe, expect, it } from 'vitest';
import { layout, type IoUring, type Sqe } from '../lib/index.ts';
import { sqeView, tryRing } from './helpers.ts';

const L = layout.io_uring_sqe;

// [accessor, C member, offset, width in bytes, signed, checked]. `checked`:
// the setter refuses out-of-range values (the rest write unchecked, as C).
type Field = readonly [name: keyof Sqe & string, member: string, offset: number, width: 1 | 2 | 4 | 8, signed: boolean, checked: boolean];

const FLAG_MEMBERS = [
  'fsync_flags', 'poll32_events', 'sync_range_flags', 'msg_flags', 'timeout_flags', 'accept_flags', 'cancel_flags',
  'open_flags', 'statx_flags', 'fadvise_advice', 'splice_flags', 'rename_flags', 'unlink_flags', 'hardlink_flags',
  'xattr_flags', 'msg_ring_flags', 'uring_cmd_flags', 'waitid_flags', 'futex_flags', 'install_fd_flags', 'nop_flags',
  'pipe_flags',
] as const;

const camel = (c: string) => c.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

const FIELDS: readonly Field[] = [
  ['opcode', 'opcode', L.opcode, 1, false, false],
  ['flags', 'flags', L.flags, 1, false, false],
  ['ioprio', 'ioprio', L.ioprio, 2, false, false],
  ['fd', 'fd', L.fd, 4, true, false],
  ['off', 'off', L.off, 8, false, false],
  ['addr2', 'addr2', L.addr2, 8, false, true],
  ['cmdOp', 'cmd_op', L.cmd_op, 4, false, true],
  ['addr', 'addr', L.addr, 8, false, false],
  ['spliceOffIn', 'splice_off_in', L.splice_off_in, 8, false, true],
  ['level', 'level', L.level, 4, false, true],
  ['optname', 'optname', L.optname, 4, false, true],
  ['len', 'len', L.len, 4, false, false],
  ['rwFlags', 'rw_flags', L.rw_flags, 4, false, false],
  ['pollEvents', 'poll_events', L.poll_events, 2, false, true],
  ...FLAG_MEMBERS.map((m): Field => [camel(m) as keyof Sqe & string, m, L[m], 4, false, true]),
  ['userData', 'user_data', L.user_data, 8, false, true],
  ['bufIndex', 'buf_index', L.buf_index, 2, false, false],
  ['bufGroup', 'buf_group', L.buf_group, 2, false, true],
  ['personality', 'personality', L.personality, 2, false, false],
  ['spliceFdIn', 'splice_fd_in', L.splice_fd_in, 4, true, false],
  ['fileIndex', 'file_index', L.file_index, 4, false, true],
  ['zcrxIfqIdx', 'zcrx_ifq_idx', L.zcrx_ifq_idx, 4, false, true],
  ['optlen', 'optlen', L.optlen, 4, false, true],
  ['addrLen', 'addr_len', L.addr_len, 2, false, true],
  // write_stream (Linux 6.16) is in the kernel's header but not in the
  // liburing copy layout.ts is pinned to: its offset is the kernel's
  // BUILD_BUG_SQE_ELEM(44, __u8, write_stream) in io_uring/io_uring.c.
  ['writeStream', 'write_stream', 44, 1, false, true],
  ['addr3', 'addr3', L.addr3, 8, false, false],
  ['attrPtr', 'attr_ptr', L.attr_ptr, 8, false, true],
  ['optval', 'optval', L.optval, 8, false, true],
  ['pad2', '__pad2', L.__pad2, 8, false, false],
  ['attrTypeMask', 'attr_type_mask', L.attr_type_mask, 8, false, true],
];

const ring = tryRing(4);
const noRing = typeof ring === 'string' ? ring : '';
afterAll(() => {
  if (typeof ring !== 'string') ring.close();
});

// The entry at SQ position 1 (so its word index is not 0), read in place
// without taking it: nothing here is submitted. Every byte of the SQE array
// is set to 0x5a first, so a write outside the member shows.
function slot(): { sqe: Sqe; all: Uint8Array; dv: DataView } {
  const sqe = (ring as IoUring).sqeAt(1);
  const all = new Uint8Array(sqe.u8.buffer, sqe.u8.byteOffset, sqe.u8.byteLength);
  all.fill(0x5a);
  return { sqe, all, dv: sqeView(sqe) };
}

function read(dv: DataView, off: number, width: number, signed: boolean): number | bigint {
  switch (width) {
    case 1: return dv.getUint8(off);
    case 2: return dv.getUint16(off, true);
    case 4: return signed ? dv.getInt32(off, true) : dv.getUint32(off, true);
    default: return dv.getBigUint64(off, true);
  }
}

function write(dv: DataView, off: number, width: number, v: number): void {
  switch (width) {
    case 1: dv.setUint8(off, v); break;
    case 2: dv.setUint16(off, v, true); break;
    case 4: dv.setUint32(off, v >>> 0, true); break;
    default: dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
  }
}

// A value that fills the member's bytes with no two alike.
const SAMPLE = { 1: 0xa7, 2: 0xbe1f, 4: 0xdeadbe3f, 8: 2 ** 52 + 0x1234567 } as const;

describe.skipIf(noRing)(`Sqe accessors, one per member of struct io_uring_sqe${noRing ? ` (skipped: ${noRing})` : ''}`, () => {
  it('covers every member layout.ts lists (padding aside)', () => {
    const named = new Set(FIELDS.map((f) => f[1]));
    const missing = Object.keys(L).filter((k) => k !== 'sizeof' && k !== 'cmd' && !/^__pad[13]$/.test(k) && !named.has(k));
    expect(missing).toEqual([]);
  });

  for (const [name, member, offset, width, signed] of FIELDS) {
    it(`${name} is ${member}: ${width} byte${width > 1 ? 's' : ''} at ${offset}`, () => {
      const { sqe, all, dv } = slot();
      const before = all.slice();
      const v = SAMPLE[width];
      (sqe as unknown as Record<string, number>)[name] = v;
      expect((sqe as unknown as Record<string, number>)[name]).toBe(signed ? v | 0 : v);
      expect(read(dv, offset, width, signed)).toBe(width === 8 ? BigInt(v) : signed ? v | 0 : v);
      // Nothing outside the member changed, in this SQE or any other.
      const at = sqe.w * 4 + offset;
      for (let i = at; i < at + width; i++) before[i] = all[i]!;
      expect(all).toEqual(before);
      // And the other way: bytes written at the offset read back through it.
      write(dv, offset, width, 0x21);
      expect((sqe as unknown as Record<string, number>)[name]).toBe(0x21);
    });
  }

  it('the u64 members write a negative number as two\'s complement, as off and addr do', () => {
    const { sqe, dv } = slot();
    for (const [name, , offset, width] of FIELDS) {
      if (width !== 8 || name === 'userData') continue;
      (sqe as unknown as Record<string, number>)[name] = -1;
      expect(dv.getBigUint64(offset, true), name).toBe(0xffffffffffffffffn);
      expect((sqe as unknown as Record<string, number>)[name], name).toBe(-1);
    }
  });

  const checked = FIELDS.filter((f) => f[5]);
  for (const [name, , , width] of checked) {
    it(`${name} refuses what its field can't hold, before writing`, () => {
      const { sqe, all } = slot();
      const before = all.slice();
      const s = sqe as unknown as Record<string, unknown>;
      const tooBig = width === 8 ? 2 ** 53 : 2 ** (8 * width);
      const bad: [unknown, typeof RangeError | typeof TypeError][] = [
        [tooBig, name === 'userData' ? TypeError : RangeError],
        [1.5, name === 'userData' ? TypeError : RangeError],
        [Number.NaN, name === 'userData' ? TypeError : RangeError],
        [Infinity, name === 'userData' ? TypeError : RangeError],
        ['1', TypeError],
        [1n, TypeError],
      ];
      if (width !== 8) bad.push([-1, RangeError]);
      for (const [v, E] of bad) {
        expect(() => { s[name] = v; }, `${name} = ${String(v)}`).toThrow(E);
      }
      expect(all).toEqual(before);
      // The largest value that fits goes through.
      s[name] = width === 8 ? 2 ** 53 - 1 : tooBig - 1;
      expect(s[name]).toBe(width === 8 ? 2 ** 53 - 1 : tooBig - 1);
    });
  }

  it('poll_events and addr_len, the 16-bit members, leave the union\'s other half alone, as in C', () => {
    const { sqe, dv } = slot();
    sqe.poll32Events = 0x12345678;
    sqe.pollEvents = 0xffff;
    expect(sqe.poll32Events).toBe(0x1234ffff);
    sqe.fileIndex = 0x12345678;
    sqe.addrLen = 0;
    expect(dv.getUint32(L.file_index, true)).toBe(0x12340000);
    sqe.writeStream = 0xff;
    expect(sqe.fileIndex).toBe(0x123400ff);
  });
});
