/**
 * AsyncRing's errors: every method that returns a promise rejects, whatever
 * its arguments (throwing getters, Proxies, revoked Proxies, views that
 * lie), and never throws; every method that returns an iterator returns
 * one, whose first next() throws the refusal. A string where a flags or
 * mode number belongs is refused with a TypeError before anything reaches
 * the kernel. A failed operation's error reads as Node's do: the errno's
 * text, the path (and dest) or fd it named, and the frames of the code
 * that awaited it. Out of file descriptors, the wakers fail with an
 * IoUringError EMFILE naming the call.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as ffi from '../ffi/index.ts';
import { AsyncRing } from '../lib/async/async-ring.ts';
import * as tsuring from '../lib/index.ts';
import {
  AT_EMPTY_PATH, AT_FDCWD, IoUringError, O_CLOEXEC, O_CREAT, O_RDONLY, O_WRONLY,
} from '../lib/index.ts';
import { rejection, testResources, variants } from './async-helpers.ts';
import { compiled, scratchFiles } from './helpers.ts';

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
    'release', 'ownsPool', 'closeRing', 'startReceive', 'errorTarget', 'opCallback', 'callback',
    // The callback form (tsuring/net's writes): its own test below.
    'sendWith']);
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

describe('sendWith, the callback form', () => {
  it('hostile arguments reach done as errors, after the call returns, and never throw; a done that is not a function is a TypeError', async () => {
    const io = new AsyncRing();
    try {
      const outcomes: string[] = [];
      const calls: Promise<void>[] = [];
      for (const [what, value] of hostileValues()) {
        for (let pos = 0; pos < 4; pos++) {
          const args: unknown[] = [-1, new Uint8Array(4), 0, 4];
          args[pos] = value;
          let returned = false;
          calls.push(new Promise<void>((resolve) => {
            try {
              (io.sendWith as (...a: unknown[]) => void)(...args, (err: unknown) => {
                outcomes.push(`${what} at ${pos}: ${returned ? '' : 'called before the return, '}${err === null ? 'no error' : (err as Error).name}`);
                resolve();
              });
            } catch (err) {
              outcomes.push(`${what} at ${pos}: threw ${(err as Error).name}`);
              resolve();
            }
            returned = true;
          }));
        }
      }
      await Promise.all(calls);
      expect(outcomes.filter((o) => /threw|before the return|no error/.test(o))).toEqual([]);
      for (const bad of [undefined, null, 42, {}]) expect(() => io.sendWith(-1, new Uint8Array(1), 0, 1, bad as never)).toThrow(TypeError);
      expect(io.pending).toBe(0);
    } finally {
      await io.close();
    }
  });
});

// A child process that fills its fd table but for `spare` free slots, then
// makes an AsyncRing with `options`; prints the error's name, code and syscall.
function outOfFds(options: string, spare: number): string {
  const code = `
    import { openSync, closeSync } from 'node:fs';
    import { AsyncRing } from ${JSON.stringify(compiled('lib/async/async-ring.ts'))};
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
  return execFileSync('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" --input-type=module -e "$0"`, code], {
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

// What the error tests read of a rejection.
type NodeLike = IoUringError & { path?: string; dest?: string; fd?: number; destFd?: number; fileIndex?: number };
const failed = (p: Promise<unknown>) => rejection(p) as Promise<NodeLike>;

// The callers whose names the stacks must show: each awaits the operation,
// as code using the library does, and is called from the test.
async function openTheMissingFile(io: AsyncRing, file: string): Promise<number> {
  return await io.openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
}
async function readTheClosedFd(io: AsyncRing, fd: number): Promise<number> {
  return await io.read(fd, new Uint8Array(8), 0);
}
async function outerCaller(io: AsyncRing, fd: number): Promise<number> {
  return await readTheClosedFd(io, fd);
}
async function receiveFromTheClosedFd(io: AsyncRing, fd: number): Promise<void> {
  for await (const chunk of io.recvMultishot(fd)) chunk.release();
}
async function readTheEmptyPipe(io: AsyncRing, fd: number): Promise<number> {
  return await io.read(fd, new Uint8Array(8));
}

/** A pipe, [read end, write end]. */
function pipeFds(): [number, number] {
  const p = ffi.pipe();
  if (typeof p === 'number') throw new Error(`pipe2: ${p}`);
  return p;
}

// An fd number no file has (closed fds are reused: take one far above them).
const NO_FD = 2 ** 30;

describe.each(variants.map((v) => [v.name, v] as const))('errors a person can act on, %s', (_, { options, skip }) => {
  const { rings, track } = testResources();
  const { dir } = scratchFiles('async-errors-');
  const ring = () => {
    const io = new AsyncRing(options);
    rings.push(io);
    return io;
  };

  it.skipIf(skip !== '')("a path operation's error names the path, with Node's words and shape, and the caller's frames", async () => {
    const io = ring();
    const missing = path.join(dir, 'missing');
    const err = await failed(openTheMissingFile(io, missing));
    expect(err).toBeInstanceOf(IoUringError);
    expect(err.message).toBe(`ENOENT: no such file or directory, openat '${missing}'`);
    expect({ errno: err.errno, code: err.code, syscall: err.syscall, path: err.path }).toEqual({ errno: -2, code: 'ENOENT', syscall: 'openat', path: missing });
    expect('dest' in err || 'fd' in err).toBe(false);
    // The frames of the code that awaited it, not the library's reap loop
    // (vitest drops the "async " Node prints before each).
    expect(err.stack).toMatch(/^IoUringError: ENOENT: no such file or directory, openat /);
    expect(err.stack).toMatch(/at (async )?openTheMissingFile /);
    expect(err.stack).not.toMatch(/reap/);
    // A path given as bytes is named as text, as Node names a Buffer path.
    const bytesErr = await failed(io.openat(AT_FDCWD, Buffer.from(missing)));
    expect(bytesErr.path).toBe(missing);
    const st = await failed(io.statx(AT_FDCWD, missing));
    expect([st.message, st.path]).toEqual([`ENOENT: no such file or directory, statx '${missing}'`, missing]);
    const rm = await failed(io.unlinkat(AT_FDCWD, missing));
    expect(rm.message).toBe(`ENOENT: no such file or directory, unlinkat '${missing}'`);
  });

  // Found by `npm run fuzz -- --seed 1 --start 375` and `--start 246`: what
  // an operation names is looked at when its error is made, and `instanceof`
  // ran a revoked Proxy's getPrototypeOf trap there, which throws: renameat
  // threw instead of rejecting, and symlinkat's slot was never settled.
  it.skipIf(skip !== '')('a revoked Proxy (or a Proxy whose traps throw) as a path: the call rejects, never throws, and nothing stays pending', async () => {
    const io = ring();
    const revoked = () => {
      const r = Proxy.revocable(new Uint8Array(8), {});
      r.revoke();
      return r.proxy as unknown as Uint8Array;
    };
    const trapping = new Proxy(new Uint8Array(8), { getPrototypeOf() { throw new Error('trap'); } });
    const tryAll = async () => {
      for (const bad of [revoked(), trapping]) {
        const calls = [
          () => io.renameat(0, bad, -1, 'ld'),
          () => io.symlinkat(bad, 1.5, new Uint8Array(8)),
          () => io.openat(AT_FDCWD, bad),
          () => io.linkat(AT_FDCWD, 'a', AT_FDCWD, bad),
        ];
        for (const call of calls) {
          let p: Promise<unknown> | undefined;
          expect(() => { p = call(); }).not.toThrow();
          await expect(p).rejects.toBeInstanceOf(Error);
        }
      }
      expect(io.pending).toBe(0);
    };
    await tryAll();
    await io.close();
    await tryAll(); // a closed ring's refusal names the path too
  });

  it.skipIf(skip !== '')('a two-path operation names both, path and dest, as Node does for rename, link and symlink', async () => {
    const io = ring();
    const from = path.join(dir, 'nothing-here');
    const to = path.join(dir, 'no-dir', 'to');
    for (const [p, name] of [
      [io.renameat(AT_FDCWD, from, AT_FDCWD, to), 'renameat'],
      [io.linkat(AT_FDCWD, from, AT_FDCWD, to), 'linkat'],
      [io.symlinkat(from, AT_FDCWD, to), 'symlinkat'],
    ] as const) {
      const err = await failed(p);
      expect(err.message).toBe(`ENOENT: no such file or directory, ${name} '${from}' -> '${to}'`);
      expect([err.syscall, err.path, err.dest]).toEqual([name, from, to]);
    }
    const d = path.join(dir, 'twice');
    mkdirSync(d);
    const again = await failed(io.mkdirat(AT_FDCWD, d));
    expect([again.message, again.code, again.path]).toEqual([`EEXIST: file already exists, mkdirat '${d}'`, 'EEXIST', d]);
  });

  it.skipIf(skip !== '')("an fd operation names the fd (as `fd`), and the stack shows every awaiting caller", async () => {
    const io = ring();
    const err = await failed(outerCaller(io, NO_FD));
    expect(err.message).toBe(`EBADF: bad file descriptor, read (fd ${NO_FD})`);
    expect({ errno: err.errno, code: err.code, syscall: err.syscall, fd: err.fd }).toEqual({ errno: -9, code: 'EBADF', syscall: 'read', fd: NO_FD });
    expect('path' in err).toBe(false);
    expect(err.stack).toMatch(/at (async )?readTheClosedFd [^]*at (async )?outerCaller /);
    // statx of the fd itself (AT_EMPTY_PATH, ''): the fd, not an empty path.
    const st = await failed(io.statx(NO_FD, '', AT_EMPTY_PATH));
    expect([st.message, st.fd, 'path' in st]).toEqual([`EBADF: bad file descriptor, statx (fd ${NO_FD})`, NO_FD, false]);
    // Two fds: both, the second as destFd.
    const sp = await failed(io.splice(NO_FD, -1, NO_FD + 1, -1, 8));
    expect([sp.message, sp.fd, sp.destFd]).toEqual([`EBADF: bad file descriptor, splice (fd ${NO_FD} -> fd ${NO_FD + 1})`, NO_FD, NO_FD + 1]);
    // A registered file's index is not an fd: named as such.
    const fixed = await failed(io.read(3, new Uint8Array(8), 0, { fixedFile: true }));
    expect([fixed.code, fixed.fileIndex, 'fd' in fixed]).toEqual(['EBADF', 3, false]);
    expect(fixed.message).toBe('EBADF: bad file descriptor, read (fixed file 3)');
  });

  it.skipIf(skip !== '')("an errno libuv has no words for gets Linux's, and a linked timeout's error says what happened", async () => {
    const io = ring();
    const [r, w] = pipeFds();
    track(r);
    track(w);
    const err = await failed(io.read(r, new Uint8Array(8), -1, { timeout: 1 }));
    expect(err.code).toBe('ETIME');
    expect(err.message).toBe(`ETIME: timer expired, read (fd ${r}): the operation was cancelled when its linked timeout expired`);
    expect(err.fd).toBe(r);
  });

  it.skipIf(skip !== '')("a multishot operation's error and an operation cut short by close() carry the caller's frames too", async () => {
    const io = ring();
    const err = await failed(receiveFromTheClosedFd(io, NO_FD));
    expect([err.code, err.syscall, err.fd]).toEqual(['EBADF', 'recvMultishot', NO_FD]);
    expect(err.stack).toMatch(/at (async )?receiveFromTheClosedFd /);
    const [r, w] = pipeFds();
    track(r);
    track(w);
    const pending = failed(readTheEmptyPipe(io, r));
    await new Promise((done) => setImmediate(done));
    await io.close();
    const closed = await pending;
    expect([closed.code, closed.syscall, closed.fd]).toEqual(['ECANCELED', 'read', r]);
    expect(closed.message).toMatch(new RegExp(`^ECANCELED: operation canceled, read \\(fd ${r}\\): the AsyncRing was closed`));
    expect(closed.stack).toMatch(/at (async )?readTheEmptyPipe /);
  });

  it.skipIf(skip !== '')('a string (or anything but a number) for flags or mode is refused with a TypeError, and nothing reaches the kernel', async () => {
    const io = ring();
    const file = path.join(dir, 'never-made');
    const buf = new Uint8Array(8);
    const futex = new Uint32Array(new SharedArrayBuffer(4));
    const calls: [string, () => Promise<unknown> | AsyncIterableIterator<unknown>][] = [
      ["openat's flags", () => io.openat(AT_FDCWD, file, 'w' as never)],
      ["openat's mode", () => io.openat(AT_FDCWD, file, O_CREAT | O_WRONLY, '644' as never)],
      ["openat's flags as a BigInt", () => io.openat(AT_FDCWD, file, 1n as never)],
      ["openat2's how.flags", () => io.openat2(AT_FDCWD, file, { flags: 'w' as never })],
      ["openat2's how.mode", () => io.openat2(AT_FDCWD, file, { flags: O_CREAT | O_WRONLY, mode: '644' as never })],
      ["fallocate's mode", () => io.fallocate(0, '1' as never, 0, 1)],
      ["statx's flags", () => io.statx(AT_FDCWD, file, 'x' as never)],
      ["statx's mask", () => io.statx(AT_FDCWD, file, 0, 'all' as never)],
      ["unlinkat's flags", () => io.unlinkat(AT_FDCWD, file, 'dir' as never)],
      ["renameat's flags", () => io.renameat(AT_FDCWD, file, AT_FDCWD, file, 'x' as never)],
      ["mkdirat's mode", () => io.mkdirat(AT_FDCWD, file, '755' as never)],
      ["linkat's flags", () => io.linkat(AT_FDCWD, file, AT_FDCWD, file, 'x' as never)],
      ["splice's flags", () => io.splice(0, -1, 1, -1, 1, 'x' as never)],
      ["tee's flags", () => io.tee(0, 1, 1, 'x' as never)],
      ["socket's type", () => io.socket(2, 'stream' as never)],
      ["accept's flags", () => io.accept(0, 'x' as never)],
      ["send's flags", () => io.send(0, buf, 'x' as never)],
      ["recv's flags", () => io.recv(0, buf, 'x' as never)],
      ["sendmsg's flags", () => io.sendmsg(0, { iov: [buf] }, 'x' as never)],
      ["recvmsg's flags", () => io.recvmsg(0, { iov: [buf] }, 'x' as never)],
      ["sendZc's flags", () => io.sendZc(0, buf, 'x' as never)],
      ["sendZc's zcFlags", () => io.sendZc(0, buf, 0, { zcFlags: 'x' as never })],
      ["shutdown's how", () => io.shutdown(0, 'both' as never)],
      ["poll's mask", () => io.poll(0, 'in' as never)],
      ["futexWait's futexFlags", () => io.futexWait(futex, 0, { futexFlags: 'x' as never })],
      ["futexWake's mask", () => io.futexWake(futex, 1, { mask: 'x' as never })],
      ["waitid's options", () => io.waitid(0, 0, 'x' as never)],
      ["the SQE flags option", () => io.nop({ flags: 'drain' as never })],
      ["acceptMultishot's flags", () => io.acceptMultishot(0, 'x' as never)],
      ["pollMultishot's mask", () => io.pollMultishot(0, 'in' as never)],
      ["recvMultishot's flags", () => io.recvMultishot(0, 'x' as never)],
    ];
    const submitted = io.ring.snapshot().sq!.tail;
    for (const [what, call] of calls) {
      const r = call();
      const err = await (r instanceof Promise ? r : r.next()).then(() => null, (e: unknown) => e);
      expect(err, what).toBeInstanceOf(TypeError);
    }
    expect(io.pending).toBe(0);
    expect(io.ring.snapshot().sq!.tail).toBe(submitted); // no entry was published
    expect(existsSync(file)).toBe(false);
    expect(await io.nop()).toBe(0); // and the ring works on
  });
});

describe('the package index', () => {
  it("exports every O_* open flag of lib/uapi, O_CLOEXEC included (node:fs's constants lack it)", async () => {
    const uapi = await import('../lib/uapi/fs.ts');
    const names = Object.keys(uapi).filter((k) => k.startsWith('O_'));
    for (const n of ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_EXCL', 'O_TRUNC', 'O_APPEND', 'O_NONBLOCK', 'O_DIRECTORY', 'O_NOFOLLOW',
      'O_CLOEXEC', 'O_DIRECT', 'O_SYNC', 'O_DSYNC', 'O_PATH', 'O_TMPFILE', 'O_NOATIME', 'O_LARGEFILE']) expect(names).toContain(n);
    for (const n of names) expect((tsuring as Record<string, unknown>)[n], n).toBe((uapi as Record<string, unknown>)[n]);
    expect(O_CLOEXEC).toBe(0o2000000);
  });
});

describe('IoUringError', () => {
  it("words every errno as Node does where libuv knows it, as Linux's strerror(3) otherwise", () => {
    expect(new IoUringError(-2, 'openat', undefined, undefined, { path: '/x' }).message).toBe("ENOENT: no such file or directory, openat '/x'");
    expect(new IoUringError(77, 'io_uring_enter').message).toMatch(/^EBADFD: file descriptor in bad state, io_uring_enter: /);
    expect(new IoUringError(95, 'recv').message).toBe('EOPNOTSUPP: operation not supported, recv');
    expect(new IoUringError(512, 'openat').message).toBe('ERESTARTSYS: unknown error 512, openat');
  });
});
