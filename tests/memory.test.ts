// Addresses of JS memory (lib/ring/memory.ts): what a view says about itself
// is never believed. Lengths, offsets and buffers come from the engine's
// internal slots; a view is checked for detachment every time it is used;
// a buffer whose address the kernel has can't be detached by transfer().
import { describe, expect, it, afterEach } from 'vitest';
import { closeSync, writeSync } from 'node:fs';
import * as ffi from '../ffi/index.ts';
import { IoUring, bufferAddress, prepNop, prepRead, registerBuffers, registerFiles } from '../lib/index.ts';
import { forceGc, ringUnavailable } from './helpers.ts';

const noRing = ringUnavailable();
const rings: IoUring[] = [];
afterEach(() => {
  for (const r of rings.splice(0)) r.close();
});
function ring(): IoUring {
  const r = new IoUring(8);
  rings.push(r);
  return r;
}

// Each way a view can misreport itself, on a 64-byte allocation.
const liars: [string, () => ArrayBufferView][] = [
  ['an own byteLength property', () => Object.defineProperty(new Uint8Array(64), 'byteLength', { value: 65536 })],
  ['a subclass byteLength getter', () => new (class extends Uint8Array { override get byteLength() { return 65536; } })(64)],
  ['a subclass byteOffset getter', () => new (class extends Uint8Array { override get byteOffset() { return 1 << 20; } })(64)],
  ['a subclass buffer getter', () => new (class extends Uint8Array { override get buffer() { return new ArrayBuffer(65536); } })(64)],
  ['a DataView with an own byteLength', () => Object.defineProperty(new DataView(new ArrayBuffer(64)), 'byteLength', { value: 65536 })],
  ['a Buffer with an own length and byteLength', () => Object.defineProperties(Buffer.alloc(64), { byteLength: { value: 65536 }, length: { value: 65536 } })],
];

describe('views that lie', () => {
  it.skipIf(noRing)('prepRead refuses a length past the real end, whatever the view says', () => {
    const r = ring();
    for (const [name, make] of liars) {
      const sqe = r.getSqe()!;
      expect(() => prepRead(sqe, 0, make(), 65536, 0), name).toThrow(RangeError);
    }
  });

  it('the address is the real one: a lying byteOffset does not move it', () => {
    const ab = new ArrayBuffer(128);
    const honest = new Uint8Array(ab, 32, 64);
    const liar = new (class extends Uint8Array { override get byteOffset() { return 0; } })(ab, 32, 64);
    expect(bufferAddress(liar, 64)).toBe(bufferAddress(honest, 64));
  });

  it('a lie told after the first use is not believed either', () => {
    const v = new Uint8Array(64);
    bufferAddress(v, 64);
    Object.defineProperty(v, 'byteLength', { value: 1 << 20 });
    expect(() => bufferAddress(v, 1 << 20)).toThrow(RangeError);
  });

  it('a Proxy of a view is not a view', () => {
    expect(() => bufferAddress(new Proxy(new Uint8Array(64), {}), 0)).toThrow(TypeError);
  });

  it('a resizable buffer is refused even when it says it is not', () => {
    const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    const ab = new Ctor(64, { maxByteLength: 4096 });
    Object.defineProperty(ab, 'resizable', { value: false });
    expect(() => bufferAddress(new Uint8Array(ab, 0, 64), 0)).toThrow(TypeError);
  });
});

describe('detachment, checked at every use', () => {
  it.skipIf(noRing)('a WebAssembly.Memory view seen once is refused after the memory grows', () => {
    const r = ring();
    // WebAssembly.Memory, which this package's TypeScript libs do not declare.
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer; grow(n: number): number } } };
    const mem = new wasm.Memory({ initial: 1, maximum: 4 });
    const view = new Uint8Array(mem.buffer, 0, 4096);
    expect(bufferAddress(view, 4096)).toBeGreaterThan(0); // seen once, while attached
    mem.grow(1); // detaches the old buffer
    const sqe = r.getSqe()!;
    expect(() => prepRead(sqe, 0, view, 4096, 0)).toThrow(/detached/);
  });

  it.skipIf(noRing)('a read in flight into a WebAssembly.Memory lands in the memory after it grows, and the grow does not abort the process', () => {
    // From Node 24, a wasm memory's buffer that was marked untransferable
    // aborts the process when the memory grows; the library must not mark
    // it. The grow detaches the old buffer but keeps the memory in place, so
    // the kernel's write still reaches the memory, seen through the new one.
    const r = ring();
    const p = ffi.pipe();
    if (typeof p === 'number') throw new Error(`pipe: ${p}`);
    const [rd, wr] = p;
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(n: number): number } } };
    const mem = new wasm.Memory({ initial: 1 });
    prepRead(r.getSqe()!, rd, new Uint8Array(mem.buffer, 100, 5), 5, -1);
    r.submit();
    mem.grow(1);
    writeSync(wr, 'hello');
    r.waitCqe();
    expect(r.peekCqe()!.res).toBe(5);
    r.cqAdvance(1);
    expect(Buffer.from(mem.buffer, 100, 5).toString()).toBe('hello');
    expect(mem.buffer.byteLength).toBe(2 * 65536);
    closeSync(rd);
    closeSync(wr);
  });

  it('transfer() of a buffer the kernel has an address for is refused', () => {
    const b = new Uint8Array(64);
    bufferAddress(b, 64);
    const ab = b.buffer as ArrayBuffer & { transfer?: () => ArrayBuffer };
    if (typeof ab.transfer !== 'function') {
      // Node 20 has no transfer(); postMessage transfers are copies (markAsUntransferable).
      expect(ab.transfer).toBeUndefined();
      return;
    }
    expect(() => ab.transfer!()).toThrow(TypeError);
    expect(b.byteLength).toBe(64);
    expect((new ArrayBuffer(8) as ArrayBuffer & { transfer(): ArrayBuffer }).transfer().byteLength).toBe(8);
  });
});

describe('arrays read once', () => {
  it.skipIf(noRing)('registerBuffers keeps the buffers it registered, not the caller\'s array', () => {
    const r = ring();
    const list = [new Uint8Array(4096), new Uint8Array(4096)];
    let reads = 0;
    // Reads of index 0 after the first hand back a different buffer: what is
    // kept must be the buffer that was registered.
    const tricky = new Proxy(list, {
      get(t, k, rcv) {
        if (k === '0' && reads++ > 0) return new Uint8Array(4096);
        return Reflect.get(t, k, rcv);
      },
    });
    registerBuffers(r, tricky);
    expect(reads).toBe(1);
  });

  it.skipIf(noRing)('registerFiles reads the count once: a growing Proxy does not make the kernel read past the copy', () => {
    const r = ring();
    let lengthReads = 0;
    const fds = new Proxy([-1, -1], {
      get(t, k, rcv) {
        if (k === 'length') return lengthReads++ === 0 ? 2 : 1 << 20;
        return Reflect.get(t, k, rcv);
      },
    });
    registerFiles(r, fds);
    expect(lengthReads).toBe(1);
  });
});

describe('memory held per operation, whatever user_data the caller picks', () => {
  it.skipIf(noRing)('a NOP sharing a read\'s user_data does not let the read\'s buffer go at its own CQE', async () => {
    const r = ring();
    const p = ffi.pipe();
    if (typeof p === 'number') throw new Error(`pipe: ${p}`);
    const [rd, wr] = p;
    // Made in a function of its own, so no local of this one keeps it.
    const ref = ((): WeakRef<Uint8Array> => {
      const buf = new Uint8Array(4096);
      prepRead(r.getSqe()!, rd, buf, 4096, -1);
      r.sqeAt(0).userData = 5;
      return new WeakRef(buf);
    })();
    const nop = r.getSqe()!;
    prepNop(nop);
    nop.userData = 5;
    r.submitAndWait(1);
    expect(r.cqReady()).toBe(1); // the NOP's; the read waits for data
    r.cqAdvance(1);
    // WeakRefs hold their target until the end of the job: collect after it.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      forceGc();
    }
    expect(ref.deref()).toBeDefined();
    writeSync(wr, 'x');
    const cqe = r.waitCqe();
    expect(cqe.res).toBe(1);
    r.cqAdvance(1);
    closeSync(rd);
    closeSync(wr);
  });
});

describe('cqAdvance takes only a count of ready CQEs', () => {
  it.skipIf(noRing)('refuses strings, fractions, NaN, Infinity, negatives and more than cqReady()', () => {
    const r = ring();
    prepNop(r.getSqe()!);
    r.submitAndWait(1);
    for (const bad of ['1', 1.5, NaN, Infinity, -1, 2, 1n, {}] as unknown[]) {
      expect(() => r.cqAdvance(bad as number), String(bad)).toThrow(RangeError);
    }
    expect(r.cqReady()).toBe(1);
    r.cqAdvance(1);
    expect(r.cqReady()).toBe(0);
  });
});
