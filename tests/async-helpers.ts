// What the AsyncRing test files share: the ring variants every test runs
// on, cleanup of the rings and fds a test opens, and small byte helpers.

import { afterEach, expect } from 'vitest';
import { closeSync } from 'node:fs';
import * as ffi from '../ffi/index.ts';
import { AsyncRing, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, type AsyncRingOptions } from '../lib/index.ts';
import { forceGc, ringUnavailable } from './helpers.ts';

export const DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
export const noPoll = ffi.pollFunction() === undefined ? 'this koffi has no node.poll' : '';
export const noDefer = ringUnavailable(8, { flags: DEFER });

export interface Variant {
  name: string;
  kind: 'poll' | 'doorbell' | 'defer';
  options: AsyncRingOptions;
  /** Why this variant can't run here, or ''. */
  skip: string;
}

/** The wakers and ring kinds every AsyncRing test runs on (named with the skip reason, if any). */
export const variants: Variant[] = ([
  { name: 'poll waker', kind: 'poll', options: { waker: 'poll' }, skip: noPoll },
  { name: 'doorbell waker', kind: 'doorbell', options: { waker: 'doorbell' }, skip: '' },
  { name: 'poll waker, SINGLE_ISSUER | DEFER_TASKRUN ring', kind: 'defer', options: { waker: 'poll', flags: DEFER }, skip: noPoll || noDefer },
] as Variant[]).map((v) => ({ ...v, name: v.skip ? `${v.name} (skipped: ${v.skip})` : v.name }));

/**
 * Rings, fds and cleanups a test opens, let go after each test: the rings
 * closed first (settling anything still pending), then the fds, then the
 * cleanups. A test that closes one of its fds itself untracks it first:
 * closing a number twice could close whatever reused it.
 */
export function testResources(): {
  rings: AsyncRing[];
  cleanups: (() => void)[];
  track: (fd: number) => number;
  untrack: (fd: number) => number;
} {
  const rings: AsyncRing[] = [];
  const fds = new Set<number>();
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const io of rings.splice(0)) await io.close();
    for (const fd of fds) closeSync(fd);
    fds.clear();
    for (const c of cleanups.splice(0)) c();
  });
  return {
    rings,
    cleanups,
    track(fd) {
      expect(Number.isInteger(fd) && fd >= 0).toBe(true);
      fds.add(fd);
      return fd;
    },
    untrack(fd) {
      fds.delete(fd);
      return fd;
    },
  };
}

export const hex = (v: ArrayBufferView): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
export const text = (v: ArrayBufferView): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const tick = (): Promise<void> => new Promise<void>((r) => setImmediate(r));
export async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

/** What the tests read of a rejection. */
export type Failure = Error & { code?: string; errno?: number; syscall?: string; cause?: unknown };

/** The error `p` rejects with (a resolution fails the test). */
export function rejection(p: Promise<unknown>): Promise<Failure> {
  return p.then((v) => { throw new Error(`expected a rejection, got ${String(v)}`); }, (e: unknown) => e as Failure);
}

/** How `p` settled: 'ok <value>' or the error's name. */
export function outcome(p: Promise<unknown>): Promise<string> {
  return p.then((v) => `ok ${String(v)}`, (e: unknown) => (e as Error).name);
}

/** A CQE as the AsyncRing saw it. */
export interface SeenCqe { ud: number; res: number; flags: number }

/**
 * Records every CQE the AsyncRing reaps, in order: what the kernel posted,
 * to check against what the promises say. Whatever way a reaper reads the
 * CQ, it hands each CQE back through `ring.cqAdvance`, so that is where
 * they are read.
 */
export function spyCqes(io: AsyncRing): SeenCqe[] {
  const seen: SeenCqe[] = [];
  const ring = io.ring;
  const cqAdvance = ring.cqAdvance.bind(ring);
  ring.cqAdvance = (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = ring.cqeAt(i);
      if (c !== null) seen.push({ ud: Number(c.userDataBig), res: c.res, flags: c.flags });
    }
    cqAdvance(n);
  };
  return seen;
}

/** Whether the WeakRef's target goes within `rounds` collections (each in a new turn, so no deref keeps it). */
export async function collected(ref: WeakRef<object>, rounds = 10): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    await tick();
    forceGc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}
