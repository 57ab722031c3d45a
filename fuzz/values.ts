// The fuzzer's raw material: a seeded PRNG, guarded memory (canary bytes
// around every buffer handed to the library), and hostile values of every
// shape the safety contract has to survive.

/** xorshift128+ over 32-bit halves: deterministic, cheap, good enough to pick cases. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    // splitmix32 of (seed, stream), so iteration i of seed s is always the same draw.
    let x = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca6b) ^ 0x27d4eb2f) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next() | 1;
  }

  /** A uniform u32. */
  u32(): number {
    // xoshiro128**
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t; this.d = rotl(this.d, 11);
    return r;
  }
  /** An integer in [0, n). */
  int(n: number): number { return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n); }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  /** True with probability p. */
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }

/** Thrown by the fuzzer's own getters and valueOf: the user's exception, not the library's. */
export class FuzzSentinel extends Error {
  constructor(what: string) { super(`fuzz sentinel: ${what}`); this.name = 'FuzzSentinel'; }
}

// ---------------------------------------------------------------- guarded memory

interface Guarded {
  id: number;
  bytes: Uint8Array; // the whole allocation, guards included
  pre: number;
  len: number;
  post: number;
  salt: number;
  what: string;
}

function guardByte(i: number, salt: number): number {
  // Never 0x00, 0x01 or 0x02 in the low byte of a u16 pair that starts a
  // sockaddr: family 0xA5xx is no address family, so a view read from the
  // wrong place can't name a real address.
  return ((i * 31 + salt) & 0x3f) | 0xa0;
}

/**
 * Every buffer the fuzzer hands out sits in the middle of a larger one whose
 * edges hold a known pattern; `check()` finds any byte the kernel (or the
 * library) wrote outside what it was given.
 */
export class Memory {
  private live: Guarded[] = [];
  private nextId = 1;
  /** Allocations that were detached (transferred) on purpose: no longer checkable. */
  private detached = new WeakSet<ArrayBufferLike>();

  constructor(private readonly rng: Rng) {}

  /**
   * `len` payload bytes with guards either side, as a Uint8Array over the
   * middle (the payload is filled with `fill` or random bytes). `kind`
   * picks the backing: plain, shared, resizable or growable shared.
   */
  alloc(len: number, what: string, kind: 'plain' | 'shared' | 'resizable' | 'growable' = 'plain', fill?: number): Uint8Array {
    const rng = this.rng;
    const pre = 16 + 8 * rng.int(16);
    const post = 16 + 8 * rng.int(16);
    const total = pre + len + post;
    let ab: ArrayBufferLike;
    if (kind === 'shared') ab = new SharedArrayBuffer(total);
    // The max stays the current size: the fuzzer never grows them, so the
    // guards stay where they are; what matters is that they are resizable.
    else if (kind === 'resizable') ab = new (ArrayBuffer as any)(total, { maxByteLength: total + 4096 });
    else if (kind === 'growable') ab = new (SharedArrayBuffer as any)(total, { maxByteLength: total + 4096 });
    else ab = new ArrayBuffer(total);
    const bytes = new Uint8Array(ab, 0, total);
    const salt = rng.int(256);
    for (let i = 0; i < total; i++) bytes[i] = guardByte(i, salt);
    for (let i = pre; i < pre + len; i++) bytes[i] = fill ?? rng.int(256);
    this.live.push({ id: this.nextId++, bytes, pre, len, post, salt, what });
    return new Uint8Array(ab, pre, len);
  }

  /** Marks an allocation as detached on purpose (its guards can't be read any more). */
  markDetached(ab: ArrayBufferLike): void { this.detached.add(ab); }

  /** Every damaged guard, as text; empty when all are intact. */
  check(): string[] {
    const bad: string[] = [];
    for (const g of this.live) {
      const b = g.bytes;
      if (this.detached.has(b.buffer)) continue;
      if (b.byteLength === 0) continue; // detached by the library's caller (us), counted elsewhere
      const n = g.pre + g.len + g.post;
      for (let i = 0; i < n; i++) {
        if (i === g.pre) i += g.len; // the payload is the library's to write
        if (i >= n) break;
        if (b[i] !== guardByte(i, g.salt)) {
          const where = i < g.pre ? `${g.pre - i} bytes before` : `${i - (g.pre + g.len)} bytes after`;
          bad.push(`guard of buffer #${g.id} (${g.what}, ${g.len} bytes) damaged ${where} its payload: 0x${b[i]!.toString(16)}`);
          break;
        }
      }
    }
    return bad;
  }

  /** Forgets every allocation (after a check at the end of an iteration). */
  clear(): void { this.live = []; }
}

// ---------------------------------------------------------------- hostile values

/** Numbers and things that are not numbers, for any numeric parameter. */
export function hostileNumber(rng: Rng): unknown {
  switch (rng.int(34)) {
    case 0: return NaN;
    case 1: return Infinity;
    case 2: return -Infinity;
    case 3: return -0;
    case 4: return -1;
    case 5: return 0.5;
    case 6: return 1.5;
    case 7: return 2 ** 31;
    case 8: return 2 ** 32;
    case 9: return 2 ** 32 - 1;
    case 10: return 2 ** 53;
    case 11: return 2 ** 53 + 2;
    case 12: return 2 ** 64;
    case 13: return -(2 ** 31) - 1;
    case 14: return Number.MAX_VALUE;
    case 15: return Number.MIN_VALUE;
    case 16: return 1n;
    case 17: return -1n;
    case 18: return 2n ** 64n;
    case 19: return 2n ** 63n;
    case 20: return '1';
    case 21: return '0x10';
    case 22: return true;
    case 23: return null;
    case 24: return undefined;
    case 25: return {};
    case 26: return [1];
    case 27: return Symbol('fuzz');
    case 28: return () => 1;
    case 29: return { valueOf() { return 1; } };
    case 30: return { valueOf() { throw new FuzzSentinel('valueOf'); } };
    case 31: return Object(1);
    case 32: return 2 ** 16;
    default: return -(2 ** 53);
  }
}

/** Anything at all. */
export function anything(rng: Rng): unknown {
  switch (rng.int(10)) {
    case 0: return 'fuzz';
    case 1: return new Uint8Array(8);
    case 2: return [];
    case 3: return new Proxy({}, { get() { throw new FuzzSentinel('proxy get'); } });
    case 4: { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; }
    case 5: return new ArrayBuffer(16);
    case 6: return new DataView(new ArrayBuffer(16));
    case 7: return Object.create(null);
    default: return hostileNumber(rng);
  }
}

const TA = [Uint8Array, Int8Array, Uint16Array, Int32Array, Uint32Array, Float64Array, BigUint64Array] as const;

/**
 * A view that lies about itself over the guarded `base` (whose length it
 * claims to be much larger, or placed elsewhere): an own byteLength /
 * byteOffset / buffer / length, a subclass getter, a Proxy of a view, a
 * revoked Proxy, a getter that throws, a DataView, a detached view.
 */
export function lyingView(rng: Rng, base: Uint8Array, mem: Memory): unknown {
  const big = rng.pick([65536, 2 ** 31, 2 ** 32 + 8, base.byteLength * 4 + 64]);
  switch (rng.int(12)) {
    case 0: { const v = new Uint8Array(base.buffer, base.byteOffset, base.byteLength); Object.defineProperty(v, 'byteLength', { value: big }); Object.defineProperty(v, 'length', { value: big }); return v; }
    case 1: { const v = new Uint8Array(base.buffer, base.byteOffset, base.byteLength); Object.defineProperty(v, 'byteOffset', { value: rng.pick([-(base.byteOffset), 2 ** 40, base.byteLength * 8, -4096]) }); return v; }
    case 2: { const v = new Uint8Array(base.buffer, base.byteOffset, base.byteLength); Object.defineProperty(v, 'buffer', { value: new ArrayBuffer(big > 2 ** 30 ? 1 << 20 : big) }); return v; }
    case 3: {
      class Lying extends Uint8Array { override get byteLength(): number { return big; } override get length(): number { return big; } }
      return new Lying(base.buffer as ArrayBuffer, base.byteOffset, base.byteLength);
    }
    case 4: {
      class Shifted extends Uint8Array { override get byteOffset(): number { return 0; } }
      return new Shifted(base.buffer as ArrayBuffer, base.byteOffset, base.byteLength);
    }
    case 5: return new Proxy(base, {});
    case 6: return new Proxy(base, { get(t, p) { if (p === 'byteLength' || p === 'length') return big; return Reflect.get(t, p); } });
    case 7: { const r = Proxy.revocable(base, {}); r.revoke(); return r.proxy; }
    case 8: { const v = new Uint8Array(base.buffer, base.byteOffset, base.byteLength); Object.defineProperty(v, 'byteLength', { get() { throw new FuzzSentinel('byteLength getter'); } }); return v; }
    case 9: return new DataView(base.buffer, base.byteOffset, base.byteLength);
    case 10: {
      const ab = new ArrayBuffer(64);
      const v = new Uint8Array(ab, 8, 32);
      structuredClone(ab, { transfer: [ab] }); // detaches ab
      mem.markDetached(ab);
      return v;
    }
    default: {
      // A differently typed view of the same guarded bytes (lengths in elements, not bytes).
      const T = rng.pick(TA);
      const n = Math.floor(base.byteLength / T.BYTES_PER_ELEMENT);
      if (base.byteOffset % T.BYTES_PER_ELEMENT !== 0) return base;
      return new T(base.buffer as ArrayBuffer, base.byteOffset, n);
    }
  }
}

/**
 * An array of `items` that misbehaves: a Proxy whose length changes between
 * reads, one whose elements differ on each read, a revoked one, a sparse one,
 * one with a throwing getter.
 */
export function hostileArray<T>(rng: Rng, items: T[], other: () => T): unknown {
  switch (rng.int(7)) {
    case 0: { let n = 0; return new Proxy(items, { get(t, p) { if (p === 'length') return (n++ % 2 === 0) ? t.length : 1024; return Reflect.get(t, p); } }); }
    case 1: { let n = 0; return new Proxy(items, { get(t, p) { if (p === 'length') return n++ === 0 ? 1024 : t.length; return Reflect.get(t, p); } }); }
    case 2: return new Proxy(items, { get(t, p) { if (typeof p === 'string' && /^\d+$/.test(p)) return other(); return Reflect.get(t, p); } });
    case 3: { const r = Proxy.revocable(items, {}); r.revoke(); return r.proxy; }
    case 4: { const a = items.slice(); (a as unknown[]).length = a.length + 3; return a; }
    case 5: { const a = items.slice(); Object.defineProperty(a, 0, { get() { throw new FuzzSentinel('element getter'); } }); return a; }
    default: { const a: unknown = { length: items.length }; items.forEach((x, i) => { (a as Record<number, T>)[i] = x; }); return a; }
  }
}

/** An AbortSignal: aborted already, aborted soon, or never. */
export function signal(rng: Rng, timers: (fn: () => void, ms: number) => void): AbortSignal | undefined {
  switch (rng.int(4)) {
    case 0: return AbortSignal.abort();
    case 1: { const c = new AbortController(); timers(() => c.abort(), rng.int(5)); return c.signal; }
    case 2: return new AbortController().signal;
    default: return undefined;
  }
}
