/**
 * Tests for the encoders of lib/prep/futex.ts: futex wait, wake and waitv.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { IoUring, IORING_OP_FUTEX_WAIT, IORING_OP_FUTEX_WAITV, IORING_OP_FUTEX_WAKE, ERRNO } from '../lib/index.ts';
import { prepCancel } from '../lib/prep/cancel.ts';
import { futex_waitv, makeFutexWaitv, prepFutexWait, prepFutexWaitv, prepFutexWake } from '../lib/prep/futex.ts';
import { FUTEX2_PRIVATE, FUTEX2_SIZE_U32, FUTEX_BITSET_MATCH_ANY } from '../lib/uapi/futex.ts';
import { addressOf, view } from '../ffi/index.ts';
import {
  at, byUserData, note, opcodeMissing, queue, struct, reapN, reapQuiet, run, type Done, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { EAGAIN, ECANCELED } = ERRNO;

const FUTEX_FLAGS = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE;

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const futex = new Uint32Array(4).subarray(1, 2);
  const futex2 = new Uint32Array(2);
  const rows: FieldRow[] = [
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
  ];

  itWritesFields(rows);

  it('struct futex_waitv is 24 bytes: val u64 at 0, uaddr u64 at 8, flags u32 at 16, __reserved u32 at 20', () => {
    expect(futex_waitv).toEqual({ sizeof: 24, val: 0, uaddr: 8, flags: 16, __reserved: 20 });
    expect(makeFutexWaitv([]).byteLength).toBe(futex_waitv.sizeof); // room for one, so the address is real
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
  const bad: Refusal[] = [
    ['prepFutexWait: a 2-byte futex', (s) => prepFutexWait(s, new Uint8Array(2), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), RangeError],
    ['prepFutexWait: a misaligned futex', (s) => prepFutexWait(s, new Uint8Array(8).subarray(1, 5), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), RangeError],
    ['prepFutexWait: a detached futex', (s) => prepFutexWait(s, detached(), 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWait: not a view', (s) => prepFutexWait(s, [0] as unknown as Uint32Array, 0, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWake: val -1', (s) => prepFutexWake(s, word, -1, FUTEX_BITSET_MATCH_ANY, FUTEX_FLAGS), TypeError],
    ['prepFutexWaitv: 129 words', (s) => prepFutexWaitv(s, Array.from({ length: 129 }, () => ({ uaddr: word, val: 0, flags: FUTEX_FLAGS }))), RangeError],
    ['prepFutexWaitv: uaddr not a view', (s) => prepFutexWaitv(s, [{ uaddr: {} as Uint32Array, val: 0, flags: FUTEX_FLAGS }]), TypeError],
    ['prepFutexWaitv: not an array', (s) => prepFutexWaitv(s, { length: 1 } as unknown as []), TypeError],
  ];

  itRefusesBeforeWriting(bad);
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
