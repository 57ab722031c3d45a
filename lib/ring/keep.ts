// The memory-lifetime table. The kernel writes into (and reads from) memory
// whose address an SQE names, at any time until that operation's final CQE;
// a Buffer the garbage collector frees in the meantime corrupts the process
// (seen: "malloc(): unsorted double linked list corrupted"). So every object
// an entry names stays referenced here:
//
//  - from prep to submit, by SQ slot (the user sets user_data after prep, as
//    in liburing, so the key isn't known yet);
//  - from submit until no operation under its user_data is in flight.
//
// A CQE carries only user_data, and nothing stops two operations in flight
// from sharing one (liburing's own tests do it all the time): a NOP's CQE
// can't be told from a read's. So the table counts every operation
// published, memory or not, per user_data, and a CQE without
// IORING_CQE_F_MORE (a multishot stream's last, a zero-copy send's
// notification) takes one off. Memory held under a user_data is let go when
// that count reaches zero: never before its own operation's final CQE,
// whatever the other operations under the same value do.
//
// An operation with IOSQE_CQE_SKIP_SUCCESS posts no CQE when it succeeds, so
// it is never taken off: its user_data stays counted, and any memory held
// under it stays held, until the ring is closed. A CQE the ring did not ask
// for (a MSG_RING from elsewhere, a resource tag) would take one off too:
// senders and registrations this library makes announce theirs with
// `expect()` first.
//
// This sits on the hot path of every operation, so it is typed arrays, not a
// Map: user_data values below DIRECT (the common loop index) are counted in
// a plain array, the rest in an open-addressing hash table on the two 32-bit
// words (linear probing, deletion by backward shift), with no BigInt.

const DIRECT = 1024;

/** Several objects held under one user_data (a user's own array is one object). */
class Many {
  readonly items: unknown[];
  constructor(first: unknown, second: unknown) {
    this.items = [first, second];
  }
}

function join(held: unknown, obj: unknown): unknown {
  if (held === undefined) return obj;
  if (held instanceof Many) {
    held.items.push(obj);
    return held;
  }
  return new Many(held, obj);
}

function spread(held: unknown, out: unknown[]): void {
  if (held === undefined) return;
  if (held instanceof Many) out.push(...held.items);
  else out.push(held);
}

export class KeepTable {
  // Per SQ slot, before publication: the first object, and any further ones.
  private slotFirst: unknown[] = [];
  private slotMore: (unknown[] | undefined)[] = [];
  private slotN = new Int32Array(0);
  /** Slots holding objects not yet published. */
  pending = 0;

  // user_data below DIRECT: operations in flight, and what they hold.
  private dCount: Int32Array | null = null;
  private dHeld: unknown[] = [];

  // The rest: keys as (lo, hi) words, counts, and what they hold.
  private kLo: Int32Array;
  private kHi: Int32Array;
  private kCount: Int32Array; // 0: empty
  private kHeld: unknown[];
  private mask: number;
  private shift: number; // 32 - log2(capacity): the hash's top bits index the table
  private used = 0;

  /** user_data values holding memory (a field: read per reap). */
  size = 0;

  constructor(slots: number) {
    this.resizeSlots(slots);
    const cap = 64;
    this.kLo = new Int32Array(cap);
    this.kHi = new Int32Array(cap);
    this.kCount = new Int32Array(cap);
    this.kHeld = new Array(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** Sizes the per-slot side for an SQ of `slots` (at setup, and after a resize, with nothing pending). */
  resizeSlots(slots: number): void {
    if (this.pending > 0) throw new Error('internal: resizing the keep table with unpublished entries');
    this.slotFirst = new Array(slots).fill(undefined);
    this.slotMore = new Array(slots).fill(undefined);
    this.slotN = new Int32Array(slots);
  }

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

  /** Moves what slot `from` names to slot `to`, which names nothing (the SQ is being compacted). */
  moveSlot(from: number, to: number): void {
    const n = this.slotN[from]!;
    if (n === 0) return;
    this.slotFirst[to] = this.slotFirst[from];
    this.slotFirst[from] = undefined;
    const more = this.slotMore[to];
    this.slotMore[to] = this.slotMore[from];
    this.slotMore[from] = more;
    this.slotN[to] = n;
    this.slotN[from] = 0;
  }

  /**
   * Counts the entries in SQ positions [from, to) under their user_data
   * (read from the entry words; `words` per entry), and moves what each
   * named to be held under it. Stops at the first entry whose first byte is
   * `unprepared` (taken, never written), uncounted, and returns its
   * position; returns `to` when there is none.
   */
  publish(sqe: Uint32Array, words: number, from: number, to: number, mask: number, entries: { kept: number }[], unprepared: number): number {
    const slotN = this.slotN;
    let d = this.dCount;
    for (let t = from; t !== to; t = (t + 1) >>> 0) {
      const idx = t & mask;
      const w = idx * words;
      if ((sqe[w]! & 0xff) === unprepared) return t;
      const lo = sqe[w + 8]!;
      const hi = sqe[w + 9]!;
      const n = slotN[idx]!;
      if (hi === 0 && lo < DIRECT) {
        if (d === null) d = this.makeDirect();
        d[lo]!++;
        if (n !== 0) this.holdDirect(lo, idx, n);
      } else {
        const i = this.find(lo | 0, hi | 0, true);
        this.kCount[i]!++;
        if (n !== 0) this.holdHashed(i, idx, n);
      }
      if (n !== 0) {
        slotN[idx] = 0;
        entries[idx]!.kept = 0;
        this.pending--;
      }
    }
    return to;
  }

  /**
   * Counts one CQE the ring will receive under this user_data without an
   * entry of its own (a MSG_RING aimed at this ring, a resource's tag).
   */
  expect(lo: number, hi: number): void {
    if (hi === 0 && lo < DIRECT) {
      (this.dCount ?? this.makeDirect())[lo]!++;
    } else {
      this.kCount[this.find(lo | 0, hi | 0, true)]!++;
    }
  }

  private makeDirect(): Int32Array {
    this.dHeld = new Array(DIRECT).fill(undefined);
    return (this.dCount = new Int32Array(DIRECT));
  }

  // Moves slot `idx`'s `n` objects under a user_data.
  private take(idx: number, n: number, held: unknown): unknown {
    let h = join(held, this.slotFirst[idx]);
    this.slotFirst[idx] = undefined;
    if (n > 1) {
      const more = this.slotMore[idx]!;
      for (let k = 0; k < more.length; k++) h = join(h, more[k]);
      more.length = 0;
    }
    return h;
  }

  private holdDirect(lo: number, idx: number, n: number): void {
    const before = this.dHeld[lo];
    if (before === undefined) this.size++;
    this.dHeld[lo] = this.take(idx, n, before);
  }

  private holdHashed(i: number, idx: number, n: number): void {
    const before = this.kHeld[i];
    if (before === undefined) this.size++;
    this.kHeld[i] = this.take(idx, n, before);
  }

  // Fibonacci hashing of both words, taking the product's top bits (the low
  // ones of a product depend only on the low ones of the key).
  private home(lo: number, hi: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  // The key's index, inserting it with count 0 when `insert` (else -1 when absent).
  private find(lo: number, hi: number, insert: boolean): number {
    const mask = this.mask;
    const kLo = this.kLo;
    const kHi = this.kHi;
    const kCount = this.kCount;
    let i = this.home(lo, hi);
    for (;;) {
      if (kCount[i] === 0) break;
      if (kLo[i] === lo && kHi[i] === hi) return i;
      i = (i + 1) & mask;
    }
    if (!insert) return -1;
    if ((this.used + 1) * 2 > kCount.length) {
      this.grow();
      return this.find(lo, hi, true);
    }
    kLo[i] = lo;
    kHi[i] = hi;
    this.used++;
    return i; // count 0 until the caller adds to it
  }

  private grow(): void {
    const oLo = this.kLo;
    const oHi = this.kHi;
    const oCount = this.kCount;
    const oHeld = this.kHeld;
    const cap = oCount.length * 2;
    this.kLo = new Int32Array(cap);
    this.kHi = new Int32Array(cap);
    this.kCount = new Int32Array(cap);
    this.kHeld = new Array(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    for (let j = 0; j < oCount.length; j++) {
      if (oCount[j] === 0) continue;
      let i = this.home(oLo[j]!, oHi[j]!);
      while (this.kCount[i] !== 0) i = (i + 1) & this.mask;
      this.kLo[i] = oLo[j]!;
      this.kHi[i] = oHi[j]!;
      this.kCount[i] = oCount[j]!;
      this.kHeld[i] = oHeld[j];
    }
  }

  /** A final CQE with this user_data (low and high words) was consumed. */
  release(lo: number, hi: number): void {
    // Small enough to inline into the reaping loop: a loop index as
    // user_data, with other operations under it still in flight or nothing
    // held under it.
    const d = this.dCount;
    if (hi === 0 && lo < DIRECT && d !== null) {
      const c = d[lo]!;
      if (c > 1) {
        d[lo] = c - 1;
        return;
      }
      // 1, or 0 for a CQE nothing counted (a stray one): nothing in flight now.
      d[lo] = 0;
      if (this.size !== 0) this.dropDirect(lo);
      return;
    }
    this.releaseHashed(lo, hi);
  }

  private dropDirect(lo: number): void {
    if (this.dHeld[lo] !== undefined) {
      this.dHeld[lo] = undefined;
      this.size--;
    }
  }

  private releaseHashed(lo: number, hi: number): void {
    if (hi === 0 && lo < DIRECT) return; // nothing counted yet: a stray CQE
    const i = this.find(lo | 0, hi | 0, false);
    if (i < 0) return; // nothing counted under it (a stray CQE)
    if (--this.kCount[i]! > 0) return;
    if (this.kHeld[i] !== undefined) this.size--;
    this.remove(i);
  }

  // Backward-shift deletion: pull later entries of the probe run into the
  // hole when their home slot allows it, so lookups never need tombstones.
  private remove(i: number): void {
    const mask = this.mask;
    const kCount = this.kCount;
    this.used--;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (kCount[j] === 0) break;
      const home = this.home(this.kLo[j]!, this.kHi[j]!);
      // Move j's entry if its home is not in (hole, j] (cyclically).
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        this.kLo[hole] = this.kLo[j]!;
        this.kHi[hole] = this.kHi[j]!;
        kCount[hole] = kCount[j]!;
        this.kHeld[hole] = this.kHeld[j];
        hole = j;
      }
    }
    kCount[hole] = 0;
    this.kHeld[hole] = undefined;
  }

  /** Operations in flight under this user_data, as counted (for tests and the inspector). */
  inFlight(lo: number, hi = 0): number {
    if (hi === 0 && lo < DIRECT) return this.dCount === null ? 0 : this.dCount[lo]!;
    const i = this.find(lo | 0, hi | 0, false);
    return i < 0 ? 0 : this.kCount[i]!;
  }

  /** Everything still held, slots and published alike (for the close path). */
  all(): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < this.dHeld.length; i++) spread(this.dHeld[i], out);
    for (let i = 0; i < this.kHeld.length; i++) spread(this.kHeld[i], out);
    for (let i = 0; i < this.slotN.length; i++) {
      if (this.slotN[i] === 0) continue;
      out.push(this.slotFirst[i]);
      if (this.slotN[i]! > 1) out.push(...this.slotMore[i]!);
    }
    return out;
  }

  clear(): void {
    if (this.dCount !== null) {
      this.dCount.fill(0);
      this.dHeld.fill(undefined);
    }
    this.kCount.fill(0);
    this.kHeld.fill(undefined);
    this.used = 0;
    this.size = 0;
    for (let i = 0; i < this.slotN.length; i++) this.reset(i);
  }
}
