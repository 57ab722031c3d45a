/**
 * AsyncRing's errors: every method that returns a promise rejects, whatever
 * its arguments (throwing getters, Proxies, revoked Proxies, views that
 * lie), and never throws; every method that returns an iterator returns
 * one, whose first next() throws the refusal. Out of file descriptors, the
 * wakers fail with an IoUringError EMFILE naming the call.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { AsyncRing } from '../lib/async/async-ring.ts';
import { variants } from './async-helpers.ts';

const boom = (): never => {
  throw new Error('hostile getter');
};

// Every option any method reads, as a getter that throws.
const OPTION_KEYS = [
  'signal', 'timeout', 'keep', 'fixedFile', 'flags', 'length', 'datasync', 'zcFlags', 'mask', 'futexFlags', 'len', 'name',
  'pool', 'bufferSize', 'buffers', 'count',
];

function hostileValues(): [string, unknown][] {
  const throwingOptions = {};
  for (const k of OPTION_KEYS) Object.defineProperty(throwingOptions, k, { get: boom, enumerable: true });
  const trapAll = new Proxy({}, {
    get: boom, has: boom, ownKeys: boom, getPrototypeOf: boom, getOwnPropertyDescriptor: boom,
  });
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const revokedArray = Proxy.revocable([], {});
  revokedArray.revoke();
  const lyingView = new Uint8Array(64);
  Object.defineProperty(lyingView, 'byteLength', { get: boom });
  class LyingView extends Uint8Array {
    override get byteLength(): number {
      return boom();
    }
  }
  const throwingSignal = { get aborted(): boolean { return false; }, addEventListener: boom, removeEventListener: () => {} };
  const keepProxy = new Proxy([1, 2], { get: (t, k) => (k === 'length' ? boom() : Reflect.get(t, k)) });
  return [
    ['options whose every getter throws', throwingOptions],
    ['a Proxy whose every trap throws', trapAll],
    ['a revoked Proxy', revoked.proxy],
    ['a revoked Proxy of an array', revokedArray.proxy],
    ['a view whose own byteLength throws', lyingView],
    ['a view whose subclass byteLength throws', new LyingView(64)],
    ['options with a signal whose addEventListener throws', { signal: throwingSignal }],
    ['options with a keep Proxy whose length throws', { keep: keepProxy }],
    ['options with a signal whose aborted throws', { signal: { get aborted(): boolean { return boom(); }, addEventListener() {}, removeEventListener() {} } }],
  ];
}

// AsyncRing's public methods (its own and LoopRing's), but close() with no
// argument (which closes the ring) and bufferPool (which returns a pool,
// and throws).
function methodNames(): string[] {
  const names = new Set<string>();
  for (let p = AsyncRing.prototype; p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (k === 'constructor' || k === 'bufferPool' || typeof d.value !== 'function') continue;
      names.add(k);
    }
  }
  // Private-by-convention helpers TypeScript hides are still on the prototype: keep the public API only.
  const internal = new Set(['op', 'chainOp', 'stream', 'take', 'refuse', 'takeRefusal', 'refused', 'promise', 'enqueue', 'need', 'live', 'newSlot',
    'userData', 'fits', 'arm', 'issue', 'watch', 'watchStored', 'cancelSlot', 'cancel', 'scheduleFlush', 'flush', 'onWake', 'reap', 'queueTurn',
    'rearmOrIdle', 'message', 'complete', 'failure', 'streamCqe', 'streamCancelled', 'room', 'stopStream', 'reissue', 'finishStream', 'endPool', 'closedError', 'settle',
    'release', 'ownsPool', 'closeRing', 'startReceive', 'errorTarget']);
  return [...names].filter((n) => !internal.has(n) && !n.startsWith('_'));
}

function isIterator(v: unknown): v is AsyncIterableIterator<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function' && !(v instanceof Promise);
}

describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { options, skip }) => {
  it.skipIf(skip !== '')('every method rejects (or hands back a failing iterator) for hostile arguments, and never throws', async () => {
    const io = new AsyncRing(options);
    const names = methodNames();
    expect(names).toContain('read');
    expect(names).toContain('recvMultishot');
    const thrown: string[] = [];
    const promises: Promise<unknown>[] = [];
    const iterators: AsyncIterableIterator<unknown>[] = [];
    for (const name of names) {
      const fn = (io as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
      for (const [what, value] of hostileValues()) {
        for (let pos = 0; pos < 7; pos++) {
          // fd-like positions before the hostile one are -1 (the kernel's to refuse), so nothing waits.
          const args: unknown[] = Array.from({ length: pos }, () => -1);
          args.push(value);
          let r: unknown;
          try {
            r = fn.apply(io, args);
          } catch (err) {
            thrown.push(`${name} with ${what} at ${pos}: ${(err as Error).message}`);
            continue;
          }
          if (r instanceof Promise) promises.push(r.then(() => 'resolved', () => 'rejected'));
          else if (isIterator(r)) iterators.push(r);
          else thrown.push(`${name} with ${what} at ${pos} returned ${typeof r}`);
        }
      }
    }
    expect(thrown).toEqual([]);
    for (const it of iterators) {
      // A refused one throws at next(); one that started (messages(), say) ends at return().
      const first = it.next().catch(() => undefined);
      await it.return?.();
      await first;
    }
    await io.close();
    const settled = await Promise.allSettled(promises);
    expect(settled.length).toBe(promises.length);
    expect(io.pending).toBe(0);
  });
});

// A child process that fills its fd table but for `spare` free slots, then
// makes an AsyncRing with `options`; prints the error's name, code and syscall.
function outOfFds(options: string, spare: number): string {
  const code = `
    import { openSync, closeSync } from 'node:fs';
    import { AsyncRing } from ${JSON.stringify(new URL('../lib/async/async-ring.ts', import.meta.url).pathname)};
    const held = [];
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
    for (let i = 0; i < ${spare}; i++) closeSync(held.pop());
    try {
      const io = new AsyncRing(${options});
      console.log('made', io.ring.fd);
    } catch (err) {
      console.log(err.name, err.code, err.syscall, err.message);
    }
    process.exit(0);
  `;
  // RLIMIT_NOFILE lowered for the child alone, so filling the table is quick.
  return execFileSync('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx --input-type=module -e "$0"`, code], {
    encoding: 'utf8', timeout: 30_000,
  }).trim();
}

describe('out of file descriptors', () => {
  const poll = variants.find((v) => v.kind === 'poll')!;
  const defer = variants.find((v) => v.kind === 'defer')!;

  it('the doorbell waker fails with IoUringError EMFILE from pipe2', () => {
    // One free fd: the ring takes it, the pipe gets none.
    const out = outOfFds(`{ waker: 'doorbell' }`, 1);
    expect(out).toMatch(/^IoUringError EMFILE pipe2 /);
  });

  it.skipIf(defer.skip !== '')(`a DEFER_TASKRUN ring's eventfd fails with IoUringError EMFILE from eventfd${defer.skip ? ` (skipped: ${defer.skip})` : ''}`, () => {
    const out = outOfFds(`{ waker: 'auto', flags: ${JSON.stringify((defer.options as { flags: number }).flags)} }`, 1);
    expect(out).toMatch(/^IoUringError EMFILE eventfd /);
  });

  it.skipIf(poll.skip !== '')('with a free fd for the eventfd too, the DEFER ring is made', () => {
    const out = outOfFds(`{ waker: 'auto', flags: ${JSON.stringify((defer.options as { flags: number }).flags)} }`, 2);
    expect(out).toMatch(/^made \d+$/);
  });
});
