// lib/check.ts: each kind of argument check, at the edges of what its field
// holds. A value is accepted (and returned), or refused with a TypeError when
// it is not a number (never coerced: no valueOf runs) or a RangeError when it
// is a number the field can't hold; the message names the argument and shows
// what was got.

import { describe, expect, it } from 'vitest';
import {
  checkBits32, checkFd, checkIntRange, checkLength, checkOffset, checkOptionalU32, checkS32, checkSafeU64, checkU16, checkU32,
  checkU64, checkU8, shown,
} from '../lib/check.ts';

const T32 = 2 ** 32;
const T31 = 2 ** 31;
const SAFE = Number.MAX_SAFE_INTEGER; // 2^53-1

// The values every kind is tried with, by name.
const VALUES: Record<string, () => unknown> = {
  '0': () => 0,
  '-0': () => -0,
  '1': () => 1,
  '-1': () => -1,
  '255': () => 255,
  '256': () => 256,
  '65535': () => 65535,
  '65536': () => 65536,
  '2^31-1': () => T31 - 1,
  '2^31': () => T31,
  '-2^31': () => -T31,
  '-2^31-1': () => -T31 - 1,
  '2^32-1': () => T32 - 1,
  '2^32': () => T32,
  '2^53-1': () => SAFE,
  '2^53': () => 2 ** 53,
  '-2': () => -2,
  NaN: () => NaN,
  Infinity: () => Infinity,
  '1.5': () => 1.5,
  '1n': () => 1n,
  '-1n': () => -1n,
  '2^64-1 (bigint)': () => 2n ** 64n - 1n,
  '2^64 (bigint)': () => 2n ** 64n,
  "'1'": () => '1',
  'Symbol()': () => Symbol('x'),
  '{}': () => ({}),
  '{ valueOf() { throw } }': () => ({ valueOf(): never { throw new Error('valueOf ran: the value was coerced'); } }),
  null: () => null,
  undefined: () => undefined,
};

type Outcome = 'ok' | typeof TypeError | typeof RangeError;
const NOT_NUMBERS = ['1n', '-1n', '2^64-1 (bigint)', '2^64 (bigint)', "'1'", 'Symbol()', '{}', '{ valueOf() { throw } }', 'null', 'undefined'];
const NUMBERS = Object.keys(VALUES).filter((k) => !NOT_NUMBERS.includes(k));

/** What a check does with each value: those in `ok` pass, other numbers are RangeErrors, non-numbers TypeErrors. */
function outcomes(ok: readonly string[], overrides: Record<string, Outcome> = {}): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  for (const k of NUMBERS) out[k] = ok.includes(k) ? 'ok' : RangeError;
  for (const k of NOT_NUMBERS) out[k] = TypeError;
  return { ...out, ...overrides };
}

// The numbers from 0 to 2^53-1 among the values.
const U53 = ['0', '-0', '1', '255', '256', '65535', '65536', '2^31-1', '2^31', '2^32-1', '2^32', '2^53-1'];
const U32 = U53.slice(0, 10);

const KINDS: { name: string; check: (v: never) => unknown; expect: Record<string, Outcome> }[] = [
  { name: 'checkU8', check: (v) => checkU8(v, 'x'), expect: outcomes(['0', '-0', '1', '255']) },
  { name: 'checkU16', check: (v) => checkU16(v, 'x'), expect: outcomes(['0', '-0', '1', '255', '256', '65535']) },
  {
    name: 'checkU32',
    check: (v) => checkU32(v, 'x'),
    expect: outcomes(U32),
  },
  {
    name: 'checkOptionalU32',
    check: (v) => checkOptionalU32(v, 'x'),
    expect: outcomes(U32, { undefined: 'ok' }),
  },
  {
    name: 'checkBits32',
    check: (v) => checkBits32(v, 'x'),
    expect: outcomes(['0', '-0', '1', '-1', '-2', '255', '256', '65535', '65536', '2^31-1', '2^31', '-2^31', '2^32-1']),
  },
  {
    name: 'checkS32',
    check: (v) => checkS32(v, 'x'),
    expect: outcomes(['0', '-0', '1', '-1', '-2', '255', '256', '65535', '65536', '2^31-1', '-2^31']),
  },
  {
    name: 'checkIntRange 1..65535',
    check: (v) => checkIntRange(v, 1, 65535, 'x'),
    expect: outcomes(['1', '255', '256', '65535']),
  },
  {
    name: 'checkSafeU64',
    check: (v) => checkSafeU64(v, 'x'),
    expect: outcomes(U53),
  },
  {
    name: 'checkOffset',
    check: (v) => checkOffset(v, 'x'),
    expect: outcomes([...U53, '-1']),
  },
  {
    // A u64 carried as a number (up to 2^53-1) or a bigint (up to 2^64-1): a
    // number it can't carry is a TypeError, as for user_data.
    name: 'checkU64',
    check: (v) => checkU64(v, 'x'),
    expect: outcomes(U53, {
      ...Object.fromEntries(NUMBERS.filter((k) => !U53.includes(k)).map((k) => [k, TypeError])),
      '1n': 'ok',
      '2^64-1 (bigint)': 'ok',
      '-1n': RangeError,
      '2^64 (bigint)': RangeError,
    }),
  },
];

describe('argument checks', () => {
  for (const { name, check, expect: want } of KINDS) {
    describe(name, () => {
      it('has an outcome for every value tried', () => {
        expect(Object.keys(want).sort()).toEqual(Object.keys(VALUES).sort());
      });
      for (const [label, make] of Object.entries(VALUES)) {
        const outcome = want[label]!;
        if (outcome === 'ok') {
          it(`accepts ${label} and returns it`, () => {
            const v = make();
            expect(check(v as never)).toBe(v === undefined ? 0 : v);
          });
        } else {
          it(`refuses ${label} with a ${outcome.name} naming the argument and the value`, () => {
            const v = make();
            let err: unknown;
            try {
              check(v as never);
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(outcome);
            expect((err as Error).message).toMatch(/^x must be /);
            expect((err as Error).message).toContain(`(got ${shown(v)})`);
          });
        }
      }
    });
  }

  it('a length that names memory is checked as the u32 it is written to, and an fd as the s32 it is', () => {
    expect(checkLength).toBe(checkU32);
    expect(checkFd).toBe(checkS32);
  });

  it('checkOffset names "offset" unless told otherwise', () => {
    expect(() => checkOffset(-2)).toThrow(/^offset must be /);
  });

  it('checkIntRange says the range it was given', () => {
    expect(() => checkIntRange(0, 1, 32768, 'nentries')).toThrow('nentries must be an integer from 1 to 32768 (got 0)');
  });

  it('shows a value without running its code', () => {
    expect(shown(5)).toBe('5');
    expect(shown(5n)).toBe('5n');
    expect(shown(null)).toBe('null');
    expect(shown('5')).toBe('string');
    expect(shown({ toString: () => { throw new Error('ran'); } })).toBe('object');
    expect(shown(Symbol('s'))).toBe('symbol');
  });
});
