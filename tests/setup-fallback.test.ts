// RELIABILITY 9: a setup flag the kernel refuses. Where the library chose the
// flag (NO_MMAP for a SharedArrayBuffer ring, NO_SQARRAY), it retries without
// it and says what it dropped; where the user asked for it, the refusal is
// thrown. This kernel takes both flags, so an older one is played by wrapping
// io_uring_setup: it answers EINVAL when the flags include a refused bit,
// just as a kernel before 6.5 (NO_MMAP) or 6.6 (NO_SQARRAY) does.

import { afterEach, describe, expect, it, vi } from 'vitest';

const refused = { bits: 0 };
vi.mock('../ffi/index.ts', async (importOriginal) => {
  const ffi = await importOriginal<typeof import('../ffi/index.ts')>();
  return {
    ...ffi,
    ioUringSetup(entries: number, paramsAddr: number): number {
      const flags = new DataView(ffi.view(paramsAddr, 120)).getUint32(8, true); // io_uring_params.flags
      if (flags & refused.bits) return -22;
      return ffi.ioUringSetup(entries, paramsAddr);
    },
  };
});

// A shared WebAssembly.Memory that can't be had (address space refused: a
// ulimit -v, say), played by a constructor that throws while `on` is set.
// Installed before the library loads, which takes the constructor then.
const wasmRefused = { on: false };
const wasm = globalThis as unknown as { WebAssembly: { Memory: new (d: object) => object } };
const RealMemory = wasm.WebAssembly.Memory;
wasm.WebAssembly.Memory = function Memory(d: object) {
  if (wasmRefused.on) throw new RangeError('WebAssembly.Memory(): could not allocate memory');
  return new RealMemory(d);
} as unknown as new (d: object) => object;

const { IoUring, IoUringError, prepNop, IORING_SETUP_NO_MMAP, IORING_SETUP_NO_SQARRAY } = await import('../lib/index.ts');
const { runOne, openFds } = await import('./helpers.ts');
const { addressOf } = await import('../ffi/index.ts');

afterEach(() => {
  refused.bits = 0;
  wasmRefused.on = false;
});

// The ring's memory as share() hands it to a worker, and its address.
function memoryOf(ring: InstanceType<typeof IoUring>): { bytes: number; address: number } {
  const { memory } = ring.share();
  return { bytes: memory.byteLength, address: addressOf(new Uint8Array(memory)) };
}

// Timers close() sets, counted with only setTimeout faked.
function timersSetBy(close: () => void): number {
  vi.useFakeTimers({ toFake: ['setTimeout'] });
  try {
    const before = vi.getTimerCount();
    close();
    return vi.getTimerCount() - before;
  } finally {
    vi.useRealTimers();
  }
}

describe('ring memory', () => {
  it("is a shared WebAssembly.Memory (64 KiB pages, mmapped: never malloc's), and close() lets it go at once", () => {
    const ring = new IoUring(8);
    expect(ring.memory).toBe('shared');
    const { bytes, address } = memoryOf(ring);
    expect(bytes % 65536).toBe(0);
    expect(address % 65536).toBe(0);
    expect(runOne(ring, prepNop, 3)).toEqual({ res: 0, flags: 0, userData: 3 });
    expect(timersSetBy(() => ring.close())).toBe(0);
  });

  it("without one (address space refused): an ordinary SharedArrayBuffer, page-aligned inside, and close() holds it past the kernel's teardown", () => {
    wasmRefused.on = true;
    const ring = new IoUring(8);
    expect(ring.memory).toBe('shared');
    expect(ring.droppedFlags).toEqual([]);
    expect(memoryOf(ring).bytes % 65536).not.toBe(0);
    expect(runOne(ring, prepNop, 4)).toEqual({ res: 0, flags: 0, userData: 4 });
    expect(timersSetBy(() => ring.close())).toBe(1);
  });
});

describe('9. setup flags the kernel refuses', () => {
  it('NO_SQARRAY refused: dropped, said so, and the ring works', () => {
    refused.bits = IORING_SETUP_NO_SQARRAY;
    using ring = new IoUring(8);
    expect(ring.droppedFlags).toEqual(['NO_SQARRAY']);
    expect(ring.flags & IORING_SETUP_NO_SQARRAY).toBe(0);
    expect(ring.memory).toBe('shared');
    expect(runOne(ring, prepNop, 5)).toEqual({ res: 0, flags: 0, userData: 5 });
  });

  it('NO_MMAP refused (a kernel before 6.5): an mmapped ring, said so, and it works', () => {
    refused.bits = IORING_SETUP_NO_MMAP;
    using ring = new IoUring(8);
    expect(ring.droppedFlags).toEqual(['NO_MMAP']);
    expect(ring.memory).toBe('mmap');
    expect(ring.flags & IORING_SETUP_NO_SQARRAY).toBe(IORING_SETUP_NO_SQARRAY);
    expect(runOne(ring, prepNop, 6)).toEqual({ res: 0, flags: 0, userData: 6 });
  });

  it('both refused (a kernel before 6.5): a plain mmapped ring', () => {
    refused.bits = IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY;
    using ring = new IoUring(8);
    expect([...ring.droppedFlags].sort()).toEqual(['NO_MMAP', 'NO_SQARRAY']);
    expect(ring.flags & (IORING_SETUP_NO_MMAP | IORING_SETUP_NO_SQARRAY)).toBe(0);
    expect(runOne(ring, prepNop, 7).res).toBe(0);
  });

  it('asked for by the user, the refusal is thrown, and no fd is left behind', () => {
    refused.bits = IORING_SETUP_NO_SQARRAY;
    const before = openFds();
    expect(() => new IoUring(8, { flags: IORING_SETUP_NO_SQARRAY })).toThrow(expect.objectContaining({ name: 'IoUringError', code: 'EINVAL', syscall: 'io_uring_setup' }));
    refused.bits = IORING_SETUP_NO_MMAP;
    expect(() => new IoUring(8, { memory: 'shared' })).toThrow(IoUringError);
    expect(openFds()).toBe(before);
  });
});
