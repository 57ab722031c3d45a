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

const TWO32 = 4294967296;

interface Entry {
  n: number;
  items: unknown[];
}

function keyOf(lo: number, hi: number): number | bigint {
  return hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

export class KeepTable {
  private readonly slot: unknown[][];
  private readonly slotN: Int32Array;
  /** Slots holding objects not yet published. */
  pending = 0;
  private readonly live = new Map<number | bigint, Entry>();
  private readonly pool: Entry[] = [];

  constructor(slots: number) {
    this.slot = Array.from({ length: slots }, () => []);
    this.slotN = new Int32Array(slots);
  }

  /** Operations (distinct user_data values) holding memory. */
  get size(): number {
    return this.live.size;
  }

  add(index: number, obj: unknown): void {
    const n = this.slotN[index]!;
    if (n === 0) this.pending++;
    this.slot[index]![n] = obj;
    this.slotN[index] = n + 1;
  }

  /** Forgets what a slot named (the entry is being prepared afresh). */
  reset(index: number): void {
    const n = this.slotN[index]!;
    if (n === 0) return;
    const s = this.slot[index]!;
    for (let i = 0; i < n; i++) s[i] = undefined;
    this.slotN[index] = 0;
    this.pending--;
  }

  /**
   * Moves what the entries in SQ positions [from, to) named under their
   * user_data (read from the entry words; `words` per entry).
   */
  publish(sqe: Uint32Array, words: number, from: number, to: number, mask: number): void {
    for (let t = from; t !== to && this.pending > 0; t = (t + 1) >>> 0) {
      const idx = t & mask;
      const n = this.slotN[idx]!;
      if (n === 0) continue;
      const w = idx * words;
      const key = keyOf(sqe[w + 8]!, sqe[w + 9]!);
      let e = this.live.get(key);
      if (e === undefined) {
        e = this.pool.pop() ?? { n: 0, items: [] };
        this.live.set(key, e);
      }
      e.n++;
      const s = this.slot[idx]!;
      for (let i = 0; i < n; i++) {
        e.items.push(s[i]);
        s[i] = undefined;
      }
      this.slotN[idx] = 0;
      this.pending--;
    }
  }

  /** A final CQE with this user_data (low and high words) was consumed. */
  release(lo: number, hi: number): void {
    const key = keyOf(lo, hi);
    const e = this.live.get(key);
    if (e === undefined) return;
    if (--e.n > 0) return;
    this.live.delete(key);
    e.items.length = 0;
    this.pool.push(e);
  }

  /** Everything still held, slots and published alike (for the close path). */
  all(): unknown[] {
    const out: unknown[] = [];
    for (const e of this.live.values()) out.push(...e.items);
    for (let i = 0; i < this.slot.length; i++) {
      for (let j = 0; j < this.slotN[i]!; j++) out.push(this.slot[i]![j]);
    }
    return out;
  }

  clear(): void {
    this.live.clear();
    this.pool.length = 0;
    for (let i = 0; i < this.slot.length; i++) this.reset(i);
  }
}
