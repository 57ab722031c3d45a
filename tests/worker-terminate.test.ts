/**
 * worker.terminate() with operations in flight: reads of a pipe and a socket
 * that never get data, a long timeout, and reads of a big file kept going.
 * A child process runs rounds of such workers (tests/fixtures/
 * terminate-rounds.ts); the process must survive, its fd count come back
 * to where it was, and data written to the pipe and the socket after
 * terminate() must all still be there (a byte taken is a read completed
 * into the dead worker's freed heap).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { compiled, ringUnavailable } from './helpers.ts';
import { IORING_SETUP_SQPOLL } from '../lib/index.ts';

const noSqpoll = ringUnavailable(8, { flags: IORING_SETUP_SQPOLL });

function rounds(n: number, kinds: string[]): { status: number | null; signal: string | null; report: { before: number; after: number; stolen: number } | null; stderr: string } {
  const r = spawnSync(process.execPath, [compiled('tests/fixtures/terminate-rounds.ts'), String(n), ...kinds], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  return { status: r.status, signal: r.signal, report: line ? JSON.parse(line) : null, stderr: r.stderr.slice(0, 2000) };
}

describe('worker_threads terminate() with operations in flight', () => {
  function survives(n: number, kinds: string[]): void {
    const r = rounds(n, kinds);
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(r.report!.after).toBe(r.report!.before);
    expect(r.report!.stolen).toBe(0);
  }

  // A worker may not map its ring (tests/worker-ring-end.test.ts): the
  // mapping would keep the ring alive after its fd is closed.
  it('raw rings (default, DEFER_TASKRUN): the process survives, nothing is read into freed memory, the ring fds are closed', () => {
    survives(6, ['raw', 'raw-defer']);
  }, 130_000);

  it.skipIf(noSqpoll)('raw SQPOLL rings: the process survives, nothing is read into freed memory, the ring fds are closed', () => {
    survives(6, ['raw-sqpoll']);
  }, 130_000);

  // Before the eventfd waker, this aborted the process in every run: koffi's
  // uv_poll on the ring fd is no Node handle, and the worker's teardown met it
  // beside the socket that owns the same fd number.
  it('AsyncRings (default, doorbell waker, SQPOLL, DEFER_TASKRUN): the process survives, nothing is read into freed memory, the ring fds are closed', () => {
    survives(4, ['async', 'async-doorbell', 'async-defer', ...(noSqpoll ? [] : ['async-sqpoll'])]);
  }, 130_000);
});
