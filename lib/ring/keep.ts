// The memory-lifetime table. The kernel writes into (and reads from) memory
// whose address an SQE names, at any time until that operation's final CQE;
// a Buffer the garbage collector frees in the meantime corrupts the process
// (seen: "malloc(): unsorted double linked list corrupted"). So every object
// an entry names stays referenced here:
//
//  - from prep to submit, by SQ slot (the user sets user_data after prep, as
//    in liburing, so the key isn't known yet);
//  - from submit to the final CQE, by user_data, with a count of operations
//    outstanding under that value: two operations may share a user_data, and
//    the objects of both are held until both have completed.
//
// "Final" means the CQE without IORING_CQE_F_MORE: the last of a multishot
// stream, or the notification of a zero-copy send. An operation submitted with
// IOSQE_CQE_SKIP_SUCCESS posts no CQE when it succeeds, so what it names is
// held until the ring is closed.
//
// This sits on the hot path of every read and write, so the published side is
// an open-addressing hash table in typed arrays (linear probing, deletion by
// backward shift) rather than a Map: a Map insert and delete measured about
// 110 ns an operation, this about a tenth of that. user_data values above
// 2^53 (rare: only the bigint accessor makes them) go to a Map.

const TWO32 = 4294967296;
const EMPTY = -1; // user_data keys are >= 0

export class KeepTable {
  // Per SQ slot, before publication: the first object, and any further ones.
  private slotFirst: unknown[] = [];
  private slotMore: (unknown[] | undefined)[] = [];
  private slotN = new Int32Array(0);
  /** Slots holding objects not yet published. */
  pending = 0;

  // Published, keyed by user_data: keys, operation counts, objects (one, or
  // an array of them when `multi` is set).
  private keys: Float64Array;
  private counts: Int32Array;
  private multi: Uint8Array;
  private objs: unknown[];
  private mask: number;
  private used = 0;
  private readonly big = new Map<bigint, { n: number; items: unknown[] }>();

  constructor(slots: number) {
    this.resizeSlots(slots);
    const cap = 64;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.counts = new Int32Array(cap);
    this.multi = new Uint8Array(cap);
    this.objs = new Array(cap).fill(undefined);
    this.mask = cap - 1;
  }

  /** Sizes the per-slot side for an SQ of `slots` (at setup, and after a resize, with nothing pending). */
  resizeSlots(slots: number): void {
    if (this.pending > 0) throw new Error('internal: resizing the keep table with unpublished entries');
    this.slotFirst = new Array(slots).fill(undefined);
    this.slotMore = new Array(slots).fill(undefined);
    this.slotN = new Int32Array(slots);
  }

  /** Distinct user_data values holding memory (a field: read per reap). */
  size = 0;

  add(index: number, obj: unknown): void {
    const n = this.slotN[index]!;
    if (n === 0) {
      this.pending++;
      this.slotFirst[index] = obj;
    } else {
      let more = this.slotMore[index];
      if (more === undefined) more = this.slotMore[index] = [];
      more.push(obj);
    }
    this.slotN[index] = n + 1;
  }

  /** Forgets what a slot named (the entry is being prepared afresh). */
  reset(index: number): void {
    if (this.slotN[index] === 0) return;
    this.slotFirst[index] = undefined;
    const more = this.slotMore[index];
    if (more !== undefined) more.length = 0;
    this.slotN[index] = 0;
    this.pending--;
  }

  /**
   * Moves what the entries in SQ positions [from, to) named under their
   * user_data (read from the entry words; `words` per entry).
   */
  publish(sqe: Uint32Array, words: number, from: number, to: number, mask: number, entries: { kept: number }[]): void {
    for (let t = from; t !== to && this.pending > 0; t = (t + 1) >>> 0) {
      const idx = t & mask;
      const n = this.slotN[idx]!;
      if (n === 0) continue;
      const w = idx * words;
      const lo = sqe[w + 8]!;
      const hi = sqe[w + 9]!;
      const first = this.slotFirst[idx];
      this.slotFirst[idx] = undefined;
      const more = this.slotMore[idx];
      if (hi >= 0x200000) {
        const key = (BigInt(hi) << 32n) | BigInt(lo);
        let e = this.big.get(key);
        if (e === undefined) {
          this.big.set(key, (e = { n: 0, items: [] }));
          this.size++;
        }
        e.n++;
        e.items.push(first);
        if (n > 1) e.items.push(...more!);
      } else {
        this.insert(hi * TWO32 + lo, first, n > 1 ? more! : undefined);
      }
      if (n > 1) more!.length = 0;
      this.slotN[idx] = 0;
      entries[idx]!.kept = 0;
      this.pending--;
    }
  }

  private slotOf(key: number): number {
    // Fibonacci hashing of the low word; user_data is often small and dense.
    return Math.imul((key % TWO32) | 0, 0x9e3779b1) >>> 0;
  }

  private insert(key: number, first: unknown, more: unknown[] | undefined): void {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slotOf(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY) break;
      if (k === key) {
        // Another operation under the same user_data: hold both's memory.
        this.counts[i]!++;
        this.append(i, first, more);
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    this.counts[i] = 1;
    this.used++;
    this.size++;
    if (more === undefined) {
      this.objs[i] = first;
      this.multi[i] = 0;
    } else {
      this.objs[i] = [first, ...more];
      this.multi[i] = 1;
    }
  }

  private append(i: number, first: unknown, more: unknown[] | undefined): void {
    let list: unknown[];
    if (this.multi[i]) {
      list = this.objs[i] as unknown[];
    } else {
      list = [this.objs[i]];
      this.objs[i] = list;
      this.multi[i] = 1;
    }
    list.push(first);
    if (more !== undefined) list.push(...more);
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const oldMulti = this.multi;
    const oldObjs = this.objs;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.counts = new Int32Array(cap);
    this.multi = new Uint8Array(cap);
    this.objs = new Array(cap).fill(undefined);
    this.mask = cap - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const key = oldKeys[j]!;
      if (key === EMPTY) continue;
      let i = this.slotOf(key) & this.mask;
      while (this.keys[i] !== EMPTY) i = (i + 1) & this.mask;
      this.keys[i] = key;
      this.counts[i] = oldCounts[j]!;
      this.multi[i] = oldMulti[j]!;
      this.objs[i] = oldObjs[j];
    }
  }

  /** A final CQE with this user_data (low and high words) was consumed. */
  release(lo: number, hi: number): void {
    if (hi >= 0x200000) {
      const key = (BigInt(hi) << 32n) | BigInt(lo);
      const e = this.big.get(key);
      if (e !== undefined && --e.n === 0) {
        this.big.delete(key);
        this.size--;
      }
      return;
    }
    const key = hi * TWO32 + lo;
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slotOf(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY) return; // nothing held under it (a NOP, say)
      if (k === key) break;
      i = (i + 1) & mask;
    }
    if (--this.counts[i]! > 0) return;
    this.objs[i] = undefined;
    this.used--;
    this.size--;
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole when their home slot allows it, so lookups never need tombstones.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === EMPTY) break;
      const home = this.slotOf(k) & mask;
      // Move k if its home is not in (hole, j] (cyclically).
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = k;
        this.counts[hole] = this.counts[j]!;
        this.multi[hole] = this.multi[j]!;
        this.objs[hole] = this.objs[j];
        this.objs[j] = undefined;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
  }

  /** Everything still held, slots and published alike (for the close path). */
  all(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === EMPTY) continue;
      if (this.multi[i]) out.push(...(this.objs[i] as unknown[]));
      else out.push(this.objs[i]);
    }
    for (const e of this.big.values()) out.push(...e.items);
    for (let i = 0; i < this.slotN.length; i++) {
      if (this.slotN[i] === 0) continue;
      out.push(this.slotFirst[i]);
      if (this.slotN[i]! > 1) out.push(...this.slotMore[i]!);
    }
    return out;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.objs.fill(undefined);
    this.used = 0;
    this.size = 0;
    this.big.clear();
    for (let i = 0; i < this.slotN.length; i++) this.reset(i);
  }
}
