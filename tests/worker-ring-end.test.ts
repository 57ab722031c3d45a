/**
 * A worker_thread's ring ends when its fd is closed. worker.terminate() runs
 * no JavaScript: Node closes the handle that owns the ring fd's number, and
 * then frees the worker's memory. If anything else still held the ring file
 * (a registered ring fd, a mapping of the ring fd), the ring would go on past
 * that close, its operations armed and writing into the worker's memory
 * after it was freed: an SQPOLL ring did so, and corrupted the heap.
 *
 * Each case has a worker arm a read of an empty pipe, close its ring fd as
 * Node would, and block. Bytes then written to the pipe must all still be
 * there: a byte taken is a read the ring did after its fd was closed.
 */
import { describe, it, expect } from 'vitest';
import { readSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as ffi from '../ffi/index.ts';
import { IORING_SETUP_SQPOLL } from '../lib/index.ts';
import { compiled, ringUnavailable } from './helpers.ts';

const noSqpoll = ringUnavailable(8, { flags: IORING_SETUP_SQPOLL });
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

interface Report { refused?: string; registered?: number; droppedFlags?: string[]; leaked?: number }

async function inWorker(data: Record<string, unknown>): Promise<{ report: Report; taken: number }> {
  const p = ffi.pipe(O_NONBLOCK | O_CLOEXEC);
  if (typeof p === 'number') throw new Error(`pipe: ${p}`);
  const [r, w] = p;
  const worker = new Worker(compiled('tests/fixtures/ring-end-worker.ts'), { workerData: { pipeFd: r, flags: 0, ...data } });
  try {
    const report = await new Promise<Report>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) without reporting`)));
    });
    // The kernel kills a ring in a work item of its own after the close.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const data = Buffer.alloc(1000, 0x5a);
    const wrote = writeSync(w, data);
    await new Promise((resolve) => setTimeout(resolve, 50));
    let got = 0;
    const back = Buffer.alloc(4096);
    for (;;) {
      try {
        const n = readSync(r, back, 0, back.length, null);
        if (n === 0) break;
        got += n;
      } catch {
        break; // EAGAIN: all there was
      }
    }
    return { report, taken: wrote - got };
  } finally {
    await worker.terminate();
    ffi.close(r);
    ffi.close(w);
  }
}

describe("a worker_thread's ring ends when its fd is closed", () => {
  it('a default ring: its fd is not registered, and the closed ring reads nothing more', async () => {
    const { report, taken } = await inWorker({});
    expect(report.refused).toBeNull();
    expect(report.registered).toBe(-1);
    expect(taken).toBe(0);
  });

  it.skipIf(noSqpoll)(`an SQPOLL ring: its SQ thread reads nothing more after the close${noSqpoll ? ` (skipped: ${noSqpoll})` : ''}`, async () => {
    const { report, taken } = await inWorker({ flags: IORING_SETUP_SQPOLL });
    expect(report.registered).toBe(-1);
    expect(taken).toBe(0);
  });

  it('registerRingFd() is refused with EPERM, and the ring still ends at the close', async () => {
    const { report, taken } = await inWorker({ registerRingFd: true });
    expect(report.refused).toMatch(/^IoUringError EPERM: .*in a worker_thread a ring must end when Node closes its fd/);
    expect(report.registered).toBe(-1);
    expect(taken).toBe(0);
  });

  it("memory: 'mmap' is refused: a mapping of the ring fd would keep the ring past the close", async () => {
    const { report, taken } = await inWorker({ memory: 'mmap' });
    expect(report.refused).toMatch(/^RangeError undefined: memory: 'mmap' is refused: in a worker_thread/);
    expect(taken).toBe(0);
  });

  it("a ring whose fd can't be handed to a Node socket (no fd left for it) is not made, and its fd is closed", async () => {
    const { report } = await inWorker({ noSpareFd: true });
    expect(report.refused).toMatch(/^IoUringError EMFILE: .*the ring fd is handed to a Node socket/);
    expect(report.leaked).toBe(0);
  });

  it("without a shared WebAssembly.Memory (a ulimit -v), a worker's ring is refused with ENOMEM rather than put in malloc's memory", async () => {
    const worker = new Worker(compiled('tests/fixtures/worker-no-wasm.ts'));
    try {
      const report = await new Promise<{ refused?: string; made?: boolean }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(report.refused).toMatch(/^IoUringError ENOMEM: .*a worker_thread may not put its ring in malloc's memory/);
    } finally {
      await worker.terminate();
    }
  });

  it('a kernel-mapped buffer ring (IOU_PBUF_RING_MMAP) is refused for the same reason', async () => {
    const { report, taken } = await inWorker({ mapBufRing: true });
    expect(report.refused).toMatch(/^RangeError: IOU_PBUF_RING_MMAP is refused: in a worker_thread/);
    expect(taken).toBe(0);
  });
});
