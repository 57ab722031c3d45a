/**
 * worker.terminate() with operations in flight: reads of a pipe and a socket
 * that never get data, a long timeout, and reads of a big file kept going.
 * A child process runs rounds of such workers (tests/fixtures/
 * terminate-rounds.ts); the process must survive and its fd count come back
 * to where it was.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ringUnavailable } from './helpers.ts';
import { IORING_SETUP_SQPOLL } from '../lib/index.ts';

const child = fileURLToPath(new URL('./fixtures/terminate-rounds.ts', import.meta.url));
const noSqpoll = ringUnavailable(8, { flags: IORING_SETUP_SQPOLL });

function rounds(n: number, kinds: string[]): { status: number | null; signal: string | null; report: { before: number; after: number } | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(n), ...kinds], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  return { status: r.status, signal: r.signal, report: line ? JSON.parse(line) : null, stderr: r.stderr.slice(0, 2000) };
}

describe('worker_threads terminate() with operations in flight', () => {
  it('raw rings (default, DEFER_TASKRUN): the process survives and the ring fds are closed', () => {
    const r = rounds(6, ['raw', 'raw-defer']);
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(r.report!.after).toBe(r.report!.before);
  }, 130_000);

  it.skipIf(noSqpoll)('raw SQPOLL rings: the process survives and the ring fds are closed', () => {
    const r = rounds(6, ['raw-sqpoll']);
    expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(r.report!.after).toBe(r.report!.before);
  }, 130_000);

  // Still open: a terminated worker's AsyncRing aborts the process (koffi's
  // poll callback fires while Node tears the worker down and can't call into
  // JavaScript). This test turns red when that is fixed; make it a plain it().
  it.fails('AsyncRings (default, SQPOLL, DEFER_TASKRUN): the process survives', () => {
    const r = rounds(4, ['async', 'async-defer', ...(noSqpoll ? [] : ['async-sqpoll'])]);
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.report!.after).toBe(r.report!.before);
  }, 130_000);
});
