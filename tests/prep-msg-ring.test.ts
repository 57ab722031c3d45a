/**
 * Tests for the encoders of lib/prep/msg-ring.ts: messages and files passed
 * from one ring to another.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import {
  IoUring, prepRead, IORING_FILE_INDEX_ALLOC, IORING_MSG_RING_CQE_SKIP, IORING_MSG_RING_FLAGS_PASS,
  IORING_MSG_SEND_FD, IORING_OP_MSG_RING, IOSQE_FIXED_FILE, ERRNO,
} from '../lib/index.ts';
import { prepMsgRing, prepMsgRingCqeFlags, prepMsgRingFd, prepMsgRingFdAlloc } from '../lib/prep/msg-ring.ts';
import {
  note, opcodeMissing, registerFiles, withPipe, reapOne, reapQuiet,
  registerSparseFiles, run, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ENXIO, EINVAL, EBADFD } = ERRNO;

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const rows: FieldRow[] = [
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
  ];

  itWritesFields(rows);
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepMsgRing: len 2^32', (s) => prepMsgRing(s, 3, 2 ** 32, 0), RangeError],
    ['prepMsgRing: data 1.5', (s) => prepMsgRing(s, 3, 0, 1.5), TypeError],
    ['prepMsgRingCqeFlags: cqeFlags 2^32', (s) => prepMsgRingCqeFlags(s, 3, 0, 0, 0, 2 ** 32), RangeError],
    ['prepMsgRingFd: targetFd 1.5', (s) => prepMsgRingFd(s, 3, 0, 1.5, 0), RangeError],
    ['prepMsgRingFdAlloc: sourceFd "0"', (s) => prepMsgRingFdAlloc(s, 3, '0' as unknown as number, 0), TypeError],
  ];

  itRefusesBeforeWriting(bad);
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
