// The fuzzer's child process: runs iterations [start, end) of one seed and
// reports on fd 3, one JSON object a line, written synchronously so the
// parent knows the call in progress even when this process dies in it.
// Run by fuzz.ts as `node --expose-gc --import tsx fuzz/child.ts <json>`.
//
// Each iteration is self-contained (its own rings, fixtures and PRNG drawn
// from (seed, iteration)), so `--start I --iterations 1` replays it.

import { closeSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import * as lib from '../lib/index.ts';
import { AsyncRing, IoUring, IoUringError, Sqe } from '../lib/index.ts';
import { anything, FuzzSentinel, hostileArray, hostileNumber, lyingView, Memory, Rng, signal } from './values.ts';
import { functionSignatures, kindOf, methodSignatures, type Param, type Signature } from './signatures.ts';
import { fsPhase, fsTargets } from './fs.ts';
import { netPhase, netTargets } from './net.ts';
import { stat as ringStat } from '../lib/fs/index.ts';

interface Config {
  seed: number;
  start: number;
  end: number;
  deadline: number;
  only: string[];
  /** Target name prefixes left out (`fs.,fh.`: the tsuring/fs targets). */
  skip?: string[];
  verbose: boolean;
  tmp: string;
}

const cfg = JSON.parse(process.argv[2]!) as Config;
const root = resolve(import.meta.dirname, '..');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
// Writes past the fuzzer's file-size limit (set by the parent with ulimit -f)
// must fail with EFBIG, not kill the process.
process.on('SIGXFSZ', () => {});

function report(o: Record<string, unknown>): void {
  try { writeSync(3, JSON.stringify(o) + '\n'); } catch { /* parent gone */ }
}

// ---------------------------------------------------------------- what to call

const AT_FDCWD = -100;
const lib_ = lib as unknown as Record<string, unknown>;

/** A failure the fuzzer found: recorded, and the iteration ends. */
class Failure extends Error {
  constructor(readonly kind: string, readonly target: string, readonly desc: string, msg: string) { super(msg); }
}

// Failures after which the iteration can go on (the ring's state is still
// sound): reported once per iteration and target, and fuzzing continues so
// one common bug doesn't hide the rest.
const SOFT = new Set(['refusal-kept-slot', 'refusal-wrote-sqe', 'refusal-moved-sq', 'error-class', 'sync-throw', 'rejection-class', 'node-differs']);
let softSeen = new Set<string>();
let currentIt = 0;

function raise(f: Failure): void {
  if (!SOFT.has(f.kind)) throw f;
  const key = `${f.kind} ${f.target}`;
  if (softSeen.has(key)) return;
  softSeen.add(key);
  report({ t: 'fail', it: currentIt, kind: f.kind, target: f.target, desc: f.desc, msg: f.message });
}

// Functions that take a raw address, or that hand the kernel memory the
// library can't check by design: fuzzing them with hostile numbers would
// test the fuzzer's aim, not the library's contract.
const UNSAFE_BY_DESIGN = new Set(['prepRw', 'registerCall', 'putU64']);
// Not exported from lib/index.ts are skipped automatically (internal helpers).

const fnSigs = [...functionSignatures(root, ['lib/prep', 'lib/register']).values()]
  .filter((s) => typeof lib_[s.name] === 'function' && !UNSAFE_BY_DESIGN.has(s.name));
for (const s of fnSigs) for (const p of s.params) if (p.name === 'statxbuf' || p.name === 'infop') p.kind = 'buf';
for (const s of fnSigs) for (const p of s.params) if (s.name === 'registerIfq' && p.name === 'opts') p.kind = 'ifq';

const asyncSigs = [...methodSignatures(root, 'lib/async/async-ring.ts').values()];
// LoopRing's public methods (streams.ts).
asyncSigs.push({ name: 'bufferPool', file: 'lib/async/streams.ts', params: [{ name: 'options', type: 'object', optional: true, kind: 'poolopts' }] });
asyncSigs.push({ name: 'messages', file: 'lib/async/streams.ts', params: [] });
for (const s of asyncSigs) for (const p of s.params) if (s.name === 'closeFd' && p.name === 'fd') p.kind = 'closefd';

function mk(fn: string, name: string, type: string, optional: boolean): Param {
  return { name, type, optional, kind: kindOf(fn, name, type) };
}

// IoUring methods that take arguments (and the few without, that move indices).
const P = (name: string, kind: string, optional = false): Param => ({ name, type: kind, optional, kind });
const ringSigs: Signature[] = [
  { name: 'getSqes', params: [P('n', 'len')] },
  { name: 'sqeAt', params: [P('pos', 'num')] },
  { name: 'sqeOffset', params: [P('pos', 'num')] },
  { name: 'cqeAt', params: [P('i', 'num')] },
  { name: 'cqeOffset', params: [P('i', 'num')] },
  { name: 'cqAdvance', params: [P('n', 'len')] },
  { name: 'cqeSeen', params: [P('cqe', 'cqe')] },
  { name: 'peekCqe', params: [] },
  { name: 'peekBatchCqe', params: [P('out', 'cqearray'), P('count', 'len', true)] },
  { name: 'forEachCqe', params: [P('fn', 'cqefn')] },
  { name: 'waitCqes', params: [P('waitNr', 'len'), P('timeout', 'waittimeout', true)] },
  { name: 'waitCqeTimeout', params: [P('timeout', 'waittimeout')] },
  { name: 'waitCqeNr', params: [P('waitNr', 'len')] },
  { name: 'submitAndWait', params: [P('waitNr', 'len')] },
  { name: 'submitAndWaitTimeout', params: [P('waitNr', 'len'), P('timeout', 'waittimeout')] },
  { name: 'submitAndWaitMinTimeout', params: [P('waitNr', 'len'), P('timeout', 'waittimeout'), P('minWaitUsec', 'waitus')] },
  { name: 'submit', params: [] },
  { name: 'submitAndGetEvents', params: [] },
  { name: 'cqEventfdToggle', params: [P('enabled', 'bool')] },
  { name: 'registerRingFd', params: [] },
  { name: 'unregisterRingFd', params: [] },
  { name: 'enableRings', params: [] },
  { name: 'resizeRings', params: [P('entries', 'len'), P('options', 'resizeopts', true)] },
  { name: 'registerWaitRegion', params: [P('count', 'len')] },
  { name: 'setRegWait', params: [P('index', 'index'), P('timeout', 'timeout', true), P('minWaitUsec', 'len', true)] },
  { name: 'submitAndWaitReg', params: [P('waitNr', 'len'), P('index', 'index')] },
  { name: 'trace', params: [P('listener', 'tracefn')] },
  { name: 'snapshot', params: [] },
].map((s) => ({ ...s, file: 'lib/ring/io-uring.ts' }));

// Functions that create fds the fuzzer must close (results of a CQE).
const FD_RESULT = /^(prep(Openat2?|Open|Accept|MultishotAccept|Socket|FixedFdInstall)|openat2?|socket|accept|acceptMultishot)$/;
// Calls that wait in the kernel with no bound of their own: called only
// with a wait count already satisfied, or a value that must be refused.
const BLOCKING = new Set(['waitCqeNr', 'submitAndWait', 'submitAndWaitReg']);

function selected(name: string): boolean {
  if (cfg.skip?.some((p) => name.startsWith(p))) return false;
  return cfg.only.length === 0 || cfg.only.some((o) => name.includes(o));
}
const rawTargets = [
  ...fnSigs.map((s) => ({ name: s.name, sig: s, ring: false })),
  ...ringSigs.map((s) => ({ name: `ring.${s.name}`, sig: s, ring: true })),
].filter((t) => selected(t.name));
const asyncTargets = asyncSigs.map((s) => ({ name: `async.${s.name}`, sig: s })).filter((t) => selected(t.name));
const fsTargetNames = fsTargets(selected);
const netTargetNames = netTargets(selected);

// ---------------------------------------------------------------- fds

function listFds(): Map<number, string> {
  const m = new Map<number, string>();
  for (const f of readdirSync('/proc/self/fd')) {
    const fd = Number(f);
    try { m.set(fd, readlinkSync(`/proc/self/fd/${f}`)); } catch { /* the readdir's own fd */ }
  }
  return m;
}

function tryClose(fd: number): void { try { closeSync(fd); } catch { /* already closed */ } }

interface Fixtures {
  file: number;
  dir: number;
  devnull: number;
  pipeR: number;
  pipeW: number;
  listener: number;
  client: number;
  server: number;
  udp: number;
  closed: number;
  unixPath: string;
  all: number[];
}

/** Runs one entry on a helper ring and returns its res (for fixtures only). */
function helperOp(ring: IoUring, prep: (sqe: Sqe) => void): number {
  const sqe = ring.getSqe()!;
  prep(sqe);
  sqe.userData = 1;
  ring.submitAndWaitTimeout(1, 2000);
  const cqe = ring.peekCqe();
  if (cqe === null) throw new Error('fixture operation did not complete');
  const res = cqe.res;
  ring.cqeSeen(cqe);
  return res;
}

function makeFixtures(dir: string, it: number): Fixtures {
  const file = openSync(join(dir, 'file'), 'w+');
  writeSync(file, Buffer.alloc(8192, 0x5a));
  const dirFd = openSync(dir, 'r');
  const devnull = openSync('/dev/null', 'r+');
  const h = new IoUring(8);
  try {
    const fds = new Int32Array(2);
    const pr = helperOp(h, (s) => lib.prepPipe(s, fds, 0));
    if (pr < 0) throw new Error(`pipe: ${pr}`);
    writeSync(fds[1]!, Buffer.alloc(1024, 0x3c));
    const unixPath = join(dir, `sock-${it}`);
    const listener = helperOp(h, (s) => lib.prepSocket(s, lib.AF_UNIX, lib.SOCK_STREAM, 0));
    if (helperOp(h, (s) => lib.prepBind(s, listener, { path: unixPath })) < 0) throw new Error('bind');
    if (helperOp(h, (s) => lib.prepListen(s, listener, 16)) < 0) throw new Error('listen');
    const client = helperOp(h, (s) => lib.prepSocket(s, lib.AF_UNIX, lib.SOCK_STREAM, 0));
    if (helperOp(h, (s) => lib.prepConnect(s, client, { path: unixPath })) < 0) throw new Error('connect');
    const server = helperOp(h, (s) => lib.prepAccept(s, listener));
    if (server < 0) throw new Error('accept');
    writeSync(server, Buffer.alloc(512, 0x6b));
    writeSync(client, Buffer.alloc(512, 0x6c));
    const udp = helperOp(h, (s) => lib.prepSocket(s, lib.AF_INET, lib.SOCK_DGRAM, 0));
    if (helperOp(h, (s) => lib.prepBind(s, udp, { address: '127.0.0.1', port: 0 })) < 0) throw new Error('bind udp');
    const all = [file, dirFd, devnull, fds[0]!, fds[1]!, listener, client, server, udp];
    return { file, dir: dirFd, devnull, pipeR: fds[0]!, pipeW: fds[1]!, listener, client, server, udp, closed: 900 + (it % 97), unixPath, all };
  } finally {
    h.close();
  }
}

// ---------------------------------------------------------------- values by kind

interface Ctx {
  rng: Rng;
  mem: Memory;
  fx: Fixtures;
  dir: string;
  ring: IoUring;
  other: IoUring;
  closedRing: IoUring;
  aring: AsyncRing | null;
  bufRing: lib.BufRing | null;
  lastCell: Uint32Array | null;
  disposable: number[];
  lastCqe: unknown;
  /** Things handed out that the fuzzer drops on purpose after the call. */
  loose: { arrays: unknown[][]; };
  timers: ReturnType<typeof setTimeout>[];
}

const BUF_SIZES = [1, 4, 8, 16, 64, 100, 256, 4096, 65536];
const PATHS = ['a', 'b', 'd', 'd/x', 'file', 'e/f/g', '', '.', 'sock-x', 'ld'];

function guardedBuf(c: Ctx, len = c.rng.pick(BUF_SIZES), what = 'buf'): Uint8Array {
  return c.mem.alloc(len, what, c.rng.chance(0.2) ? 'shared' : 'plain');
}

function looseBuf(c: Ctx, len: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(len));
}

function cstr(c: Ctx, s: string): string | Uint8Array {
  if (c.rng.chance(0.6)) return s;
  const b = Buffer.from(s); // cString copies and terminates it
  const v = c.mem.alloc(b.length, 'path');
  v.set(b);
  return v;
}

function validFd(c: Ctx, p: Param): number {
  const fx = c.fx;
  if (/dfd|dirfd/.test(p.name) && c.rng.chance(0.6)) return c.rng.pick([AT_FDCWD, fx.dir]);
  return c.rng.pick([fx.file, fx.file, fx.pipeR, fx.pipeW, fx.devnull, fx.client, fx.server, fx.listener, fx.udp, fx.dir, -1, fx.closed, 0]);
}

function sockaddr(c: Ctx): unknown {
  const r = c.rng;
  switch (r.int(6)) {
    case 0: return { address: '127.0.0.1', port: r.range(0, 65535) };
    case 1: return { address: '::1', port: r.range(0, 65535) };
    case 2: return { path: join(c.dir, `s${r.int(4)}`) };
    case 3: return { path: c.fx.unixPath };
    case 4: { const b = lib.makeSockaddrIn('127.0.0.1', r.range(1, 65535)); const v = c.mem.alloc(b.byteLength, 'sockaddr'); v.set(b); return v; }
    default: return { address: '127.0.0.1', port: 0 };
  }
}

function hostileSockaddr(c: Ctx): unknown {
  const r = c.rng;
  switch (r.int(7)) {
    case 0: return { address: 'not an address', port: 1 };
    case 1: return { address: '127.0.0.1', port: r.pick([-1, 65536, 1.5, NaN, 2 ** 32]) };
    case 2: return { path: 'x'.repeat(r.pick([107, 108, 200])) };
    case 3: return lyingView(r, c.mem.alloc(16, 'sockaddr', 'plain', 0xaa), c.mem);
    case 4: return c.mem.alloc(16, 'sockaddr', 'resizable', 0xaa);
    case 5: return { get address(): string { throw new FuzzSentinel('address getter'); }, port: 1 };
    default: return anything(r);
  }
}

function hostileBuf(c: Ctx): unknown {
  const r = c.rng;
  switch (r.int(5)) {
    case 0: case 1: return lyingView(r, guardedBuf(c), c.mem);
    case 2: return c.mem.alloc(r.pick(BUF_SIZES), 'resizable buf', 'resizable');
    case 3: return c.mem.alloc(r.pick(BUF_SIZES), 'growable buf', 'growable');
    default: return anything(r);
  }
}

function iovItems(c: Ctx): ArrayBufferView[] {
  const n = c.rng.range(1, 3);
  const items: ArrayBufferView[] = [];
  const loose = c.rng.chance(0.5);
  for (let i = 0; i < n; i++) items.push(loose ? looseBuf(c, c.rng.pick([64, 256, 4096])) : guardedBuf(c));
  if (loose) c.loose.arrays.push(items);
  return items;
}

function timeoutValue(c: Ctx, forWait: boolean): unknown {
  const r = c.rng;
  if (forWait) return r.pick<unknown>([0, 1, 2, { sec: 0, nsec: 1_000_000 }, { sec: 0, nsec: 0 }]);
  return r.pick<unknown>([0, 1, 5, 1000, 60_000, { sec: 0, nsec: 1000 }, { sec: 3600, nsec: 0 }]);
}

function hostileTimeout(c: Ctx): unknown {
  const r = c.rng;
  switch (r.int(6)) {
    case 0: return { sec: -1, nsec: 0 };
    case 1: return { sec: 0, nsec: r.pick([2e9, -1, 1.5, NaN]) };
    case 2: return { sec: 2 ** 63, nsec: 0 };
    case 3: return lyingView(r, c.mem.alloc(16, 'timespec', 'plain', 0), c.mem);
    case 4: return { get sec(): number { throw new FuzzSentinel('sec getter'); }, nsec: 0 };
    default: return r.pick<unknown>([-1, NaN, Infinity, -Infinity, 1e300, 2 ** 64, 1n, '5', null, {}, Symbol('t')]);
  }
}

function opts(c: Ctx, name: string): unknown {
  const r = c.rng;
  const o: Record<string, unknown> = {};
  if (r.chance(0.3)) return undefined;
  if (r.chance(0.3)) o.signal = signal(r, (fn, ms) => { c.timers.push(setTimeout(fn, ms)); });
  if (r.chance(0.15) && !/Multishot/.test(name)) o.timeout = r.pick<unknown>([0, 1, 5, 50, { sec: 0, nsec: 1000 }]);
  if (r.chance(0.1)) o.keep = [guardedBuf(c)];
  if (r.chance(0.1)) o.flags = r.pick([lib.IOSQE_ASYNC, 0, lib.IOSQE_IO_DRAIN]);
  if (r.chance(0.1)) o.fixedFile = r.chance(0.5);
  if (r.chance(0.2)) o.length = r.pick([0, 1, 8, 64, undefined]);
  if (r.chance(0.1)) o.datasync = true;
  if (r.chance(0.1)) o.len = r.int(100);
  if (r.chance(0.1)) o.count = r.pick([1, 2, 0]);
  if (r.chance(0.1)) o.mask = r.pick([1, 0xffffffff]);
  if (r.chance(0.1) && /Multishot/.test(name)) { o.bufferSize = r.pick([64, 4096]); o.buffers = r.pick([1, 2, 16]); }
  return o;
}

function hostileOpts(c: Ctx): unknown {
  const r = c.rng;
  const key = r.pick(['signal', 'timeout', 'keep', 'flags', 'fixedFile', 'length', 'datasync', 'len', 'count', 'mask', 'futexFlags', 'zcFlags', 'pool', 'bufferSize', 'buffers', 'name']);
  switch (r.int(5)) {
    case 0: return Object.defineProperty({}, key, { enumerable: true, get() { throw new FuzzSentinel(`opts.${key} getter`); } });
    case 1: return { [key]: key === 'timeout' ? hostileTimeout(c) : key === 'length' ? r.pick([65536, 2 ** 32, -1, NaN]) : hostileNumber(r) };
    case 2: return { signal: r.pick<unknown>([{}, 'x', { aborted: true }]) };
    case 3: { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; }
    default: return anything(r);
  }
}

function prepFn(c: Ctx): unknown {
  const r = c.rng;
  const fx = c.fx;
  switch (r.int(7)) {
    case 0: return (s: Sqe) => lib.prepNop(s);
    case 1: { const b = guardedBuf(c, 64); return (s: Sqe) => lib.prepRead(s, fx.pipeR, b); }
    case 2: return () => { throw new TypeError('encoder refused'); };
    case 3: return () => { throw new FuzzSentinel('encoder threw'); };
    case 4: return (s: Sqe) => { lib.prepNop(s); lib.sqeSetFlags(s, lib.IOSQE_CQE_SKIP_SUCCESS); };
    case 5: { const b = guardedBuf(c, 64); return (s: Sqe) => lib.prepWrite(s, fx.devnull, b); }
    default: return (s: Sqe) => lib.prepTimeout(s, r.pick([1, 1000]));
  }
}

/** A value for `p`, valid for its kind or (when `hostile`) not. */
function value(c: Ctx, fn: string, p: Param, hostile: boolean): unknown {
  const r = c.rng;
  const k = p.kind;
  if (hostile && r.chance(0.3) && k !== 'waittimeout' && k !== 'waitus') return r.chance(0.8) ? hostileNumber(r) : anything(r);
  switch (k) {
    case 'waitus': return hostile ? r.pick<unknown>([-1, 1.5, NaN, 2 ** 32, 1n, 'x']) : r.pick([0, 1, 100]);
    case 'fd': return hostile ? r.pick<unknown>([-1, 2 ** 31 - 1, -(2 ** 31), c.fx.closed, c.ring.fd, 1.5, '3', 3n]) : validFd(c, p);
    case 'closefd': {
      if (hostile) return hostileNumber(r);
      if (r.chance(0.7)) { const fd = openSync('/dev/null', 'r'); c.disposable.push(fd); return fd; }
      return r.pick([-1, c.fx.closed, c.ring.fd]);
    }
    case 'ringfd': return hostile ? hostileNumber(r) : r.pick([c.ring.fd, c.ring.fd, c.other.fd, c.aring?.ring.fd ?? c.other.fd, c.fx.closed, c.fx.devnull, -1]);
    case 'buf': return hostile ? hostileBuf(c) : (p.optional && r.chance(0.1) ? null : guardedBuf(c));
    case 'len': return hostile ? r.pick<unknown>([65536, 2 ** 31, 2 ** 32, 2 ** 32 + 1, -1, NaN, 1.5, 2 ** 53, 1n]) : (p.optional && r.chance(0.4) ? undefined : r.pick([0, 1, 4, 8, 16, 64, r.int(65)]));
    case 'offset': return hostile ? r.pick<unknown>([-2, 2 ** 64, NaN, 1.5, 1n, '0']) : r.pick([0, 0, -1, r.int(8192), 2 ** 40]);
    case 'num': return hostile ? hostileNumber(r) : r.pick([0, 0, 1, 2, r.int(256), 1 << r.int(31), 0xffffffff]);
    case 'index': return hostile ? r.pick<unknown>([-2, 2 ** 32, 65536, NaN, 1.5]) : r.pick([0, 1, 2, 3]);
    case 'u16': return hostile ? r.pick<unknown>([65536, -1, 1.5, NaN]) : r.pick([7, 7, 0, 1, r.int(16)]);
    case 'u64': return hostile ? r.pick<unknown>([-1, 2 ** 53, -1n, 2n ** 64n, 1.5, NaN]) : r.pick<unknown>([0, 1, r.int(1e6), 2n ** 63n, 5n]);
    case 'path': {
      if (!hostile) return cstr(c, r.chance(0.2) ? join(c.dir, r.pick(PATHS)) : r.pick(PATHS));
      switch (r.int(5)) {
        case 0: return 'a\0b';
        case 1: return 'x'.repeat(r.pick([255, 256, 4096, 5000]));
        case 2: { const v = c.mem.alloc(8, 'path', 'plain', 0x61); return v; } // no NUL terminator
        case 3: return lyingView(r, c.mem.alloc(8, 'path', 'plain', 0x61), c.mem);
        default: return anything(r);
      }
    }
    case 'iov': {
      const items = iovItems(c);
      if (!hostile) return items;
      if (r.chance(0.5)) return hostileArray(r, items, () => lyingView(r, guardedBuf(c), c.mem) as ArrayBufferView);
      return r.pick<unknown>([[], [lyingView(r, guardedBuf(c), c.mem)], new Array(1025).fill(items[0]), [null], [c.mem.alloc(64, 'resizable', 'resizable')]]);
    }
    case 'msghdr': {
      const init: Record<string, unknown> = { iov: iovItems(c) };
      if (r.chance(0.4)) init.name = r.chance(0.5) ? sockaddr(c) : guardedBuf(c, 128, 'name');
      if (r.chance(0.3)) init.control = guardedBuf(c, r.pick([16, 64]), 'control');
      if (hostile) {
        const key = r.pick(['iov', 'name', 'control', 'flags']);
        init[key] = key === 'iov' ? hostileArray(r, init.iov as ArrayBufferView[], () => lyingView(r, guardedBuf(c), c.mem) as ArrayBufferView)
          : key === 'flags' ? hostileNumber(r) : hostileBuf(c);
        return init;
      }
      if (r.chance(0.4)) { try { return lib.makeMsghdr(init as unknown as lib.MsghdrInit); } catch { return init; } }
      return init;
    }
    case 'sockaddr': return hostile ? hostileSockaddr(c) : sockaddr(c);
    case 'timeout': return hostile ? hostileTimeout(c) : timeoutValue(c, false);
    case 'waittimeout': return hostile ? hostileTimeout(c) : timeoutValue(c, true);
    case 'addrlen': {
      if (hostile) return r.pick<unknown>([new Int32Array([-1]), new Float64Array(1), lyingView(r, c.mem.alloc(4, 'addrlen'), c.mem), new Uint32Array(0)]);
      if (r.chance(0.3)) return null;
      if (c.lastCell && r.chance(0.4)) return c.lastCell; // one cell shared by two calls
      const v = c.mem.alloc(4, 'addrlen', 'plain', 0);
      const cell = new Uint32Array(v.buffer, v.byteOffset, 1);
      cell[0] = r.pick([4, 16, 110, 128]);
      c.lastCell = cell;
      return cell;
    }
    case 'openhow': return hostile ? r.pick<unknown>([{ flags: 1n }, { flags: 0, mode: 'x' }, { flags: 0, resolve: -1 }, lyingView(r, c.mem.alloc(24, 'open_how', 'plain', 0), c.mem)])
      : r.pick<unknown>([{ flags: 0 }, { flags: 0o100, mode: 0o600 }, lib.makeOpenHow({ flags: 0 })]);
    case 'epoll': return hostile ? r.pick<unknown>([{ events: 1n, data: 0 }, { events: 1, data: -1 }, lyingView(r, c.mem.alloc(12, 'epoll_event'), c.mem)]) : { events: 1, data: r.int(100) };
    case 'futexv': {
      const word = c.mem.alloc(8, 'futex', 'plain', 0);
      const items = [{ uaddr: word, val: r.pick([0, 1]), flags: lib.FUTEX2_SIZE_U32 | lib.FUTEX2_PRIVATE }];
      return hostile ? hostileArray(r, items, () => ({ uaddr: lyingView(r, word, c.mem), val: 0, flags: 2 })) : items;
    }
    case 'slots': {
      const items = [c.mem.alloc(4096, 'registered', 'plain'), null];
      return hostile ? hostileArray<unknown>(r, items, () => lyingView(r, guardedBuf(c), c.mem)) : items;
    }
    case 'tags': return hostile ? hostileArray<unknown>(r, [1, 2n], () => hostileNumber(r)) : [1, 2n];
    case 'restrictions': return hostile ? hostileArray<unknown>(r, [{ opcode: 0, op: 0 }], () => ({ opcode: hostileNumber(r) })) : [{ opcode: 0, op: 0 }];
    case 'cmsgs': return hostile ? hostileArray<unknown>(r, [{ level: 1, type: 1, data: guardedBuf(c, 4) }], () => ({ level: 1, type: 1, data: lyingView(r, guardedBuf(c, 4), c.mem) }))
      : [{ level: 1, type: 1, data: guardedBuf(c, 4) }];
    case 'fdarray': return hostile ? hostileArray<unknown>(r, [c.fx.file, c.fx.devnull], () => hostileNumber(r)) : r.pick<unknown>([[c.fx.file, c.fx.devnull, -1], Int32Array.of(c.fx.pipeR)]);
    case 'i32pair': {
      const v = c.mem.alloc(8, 'int32 pair', 'plain', 0);
      const a = new Int32Array(v.buffer, v.byteOffset, 2);
      if (/FilesUpdate/.test(fn)) { a[0] = c.fx.devnull; a[1] = -1; }
      return hostile ? lyingView(r, v, c.mem) : a;
    }
    case 'pair': return hostile ? r.pick<unknown>([[1], [1, -1], [NaN, 1], 'ab']) : [r.int(4), r.int(4)];
    case 'numarray': return hostile ? hostileArray<unknown>(r, [0], () => hostileNumber(r)) : r.pick([[0], [0, 1], [1]]);
    case 'synccancel': return hostile ? r.pick<unknown>([{ userData: -1 }, { flags: 1n }, { timeout: hostileTimeout(c) }, null])
      : { userData: r.int(100), flags: r.pick([0, 1]), timeout: { sec: 0, nsec: 10_000_000 } };
    case 'napi': return hostile ? { busyPollTo: hostileNumber(r), preferBusyPoll: 1 } : { busyPollTo: r.int(100), preferBusyPoll: r.chance(0.5) };
    case 'ifq': return { ifIdx: 1, rxq: 0, rqEntries: hostile ? hostileNumber(r) : 4, area: c.mem.alloc(4096, 'ifq area') };
    case 'cqe': return hostile ? anything(r) : r.pick<unknown>([c.lastCqe ?? { flags: 0 }, { flags: 1 << 16 | 1 }, c.ring.peekCqe() ?? { flags: 0 }]);
    case 'cqearray': return hostile ? anything(r) : r.pick<unknown>([[], new Array(4), new Array(64)]);
    case 'cqefn': return r.pick<unknown>([() => {}, () => { throw new FuzzSentinel('forEachCqe callback'); }, () => c.ring.cqAdvance(1), hostile ? anything(r) : () => {}]);
    case 'tracefn': return r.pick<unknown>([null, () => {}, hostile ? anything(r) : null]);
    case 'resizeopts': return hostile ? { cqEntries: hostileNumber(r) } : r.pick<unknown>([{}, { cqEntries: r.pick([8, 16, 64]) }, undefined]);
    case 'bufring': return hostile ? anything(r) : (c.bufRing ?? {});
    case 'ring': return hostile ? r.pick<unknown>([c.closedRing, {}, null, Object.create(IoUring.prototype)]) : r.pick([c.ring, c.ring, c.ring, c.other]);
    case 'rwop': return hostile ? hostileNumber(r) : r.pick([lib.IORING_OP_READ, lib.IORING_OP_WRITE, lib.IORING_OP_NOP]);
    case 'madvice': return hostile ? r.pick<unknown>([NaN, 1.5, 1n, 'x', -1]) : r.pick([0, 1, 2, 3]);
    case 'bool': return hostile ? anything(r) : r.chance(0.5);
    case 'string': return hostile ? anything(r) : r.pick(['127.0.0.1', '::1', 'what', 'x', '']);
    case 'opts': return hostile ? hostileOpts(c) : opts(c, fn);
    case 'poolopts': return hostile ? { size: hostileNumber(r), count: hostileNumber(r) } : { size: r.pick([64, 4096]), count: r.pick([1, 4, 16]) };
    case 'msgtarget': {
      if (hostile) return r.pick<unknown>([{ asyncRingFd: c.fx.closed }, { asyncRingFd: c.ring.fd }, { asyncRingFd: 'x' }, c.closedRing, anything(r)]);
      return r.pick<unknown>([c.aring, c.aring?.messageTarget, c.ring, c.ring.fd, c.other]);
    }
    case 'prep': return hostile ? anything(r) : prepFn(c);
    case 'preps': {
      const items = [prepFn(c), prepFn(c)];
      return hostile ? hostileArray(r, items, () => anything(r)) : items;
    }
    case 'sqe': return c.ring.getSqe();
    default: return anything(r);
  }
}

// ---------------------------------------------------------------- describing calls

function show(v: unknown): string {
  try {
    if (v instanceof Sqe) return 'sqe';
    if (v instanceof IoUring) return v.isClosed ? 'closedRing' : 'ring';
    if (v instanceof AsyncRing) return 'asyncRing';
    if (typeof v === 'bigint') return `${v}n`;
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const own = Object.getOwnPropertyNames(v).filter((k) => !/^\d+$/.test(k));
      const ctor = Object.getPrototypeOf(v)?.constructor?.name ?? '?';
      const ab = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'buffer')!.get!.call(v) as ArrayBufferLike;
      const len = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')!.get!.call(v) as number;
      const kind = (ab as { resizable?: boolean }).resizable || (ab as { growable?: boolean }).growable ? ' resizable' : ab instanceof SharedArrayBuffer ? ' shared' : '';
      return `${ctor}(${len} bytes${kind}${own.length ? `, own ${own.join('/')}` : ''})`;
    }
    return inspect(v, { depth: 2, breakLength: Infinity, maxArrayLength: 4, maxStringLength: 40, showProxy: true, getters: false }).slice(0, 200);
  } catch {
    return '<uninspectable>';
  }
}

function describe(name: string, args: unknown[]): string {
  return `${name}(${args.map(show).join(', ')})`;
}

// ---------------------------------------------------------------- the checks

function allowedError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof IoUringError || e instanceof FuzzSentinel;
}

function errText(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`.slice(0, 300);
  return `non-Error thrown: ${String(e)}`;
}

function checkMemory(c: Ctx, target: string, desc: string): void {
  const bad = c.mem.check();
  if (bad.length > 0) throw new Failure('canary', target, desc, bad.slice(0, 3).join('; '));
}

function checkRingIndices(c: Ctx, target: string, desc: string): void {
  if (c.ring.isClosed) return;
  const cq = c.ring.cqReady();
  const sq = c.ring.sqReady();
  if (cq > c.ring.cqEntries) throw new Failure('cq-index', target, desc, `cqReady() is ${cq} on a CQ of ${c.ring.cqEntries}: the head moved past the tail`);
  if (sq > c.ring.sqEntries) throw new Failure('sq-index', target, desc, `sqReady() is ${sq} on an SQ of ${c.ring.sqEntries}`);
}

// ---------------------------------------------------------------- raw phase

interface Op { name: string; fdResult: boolean; pipe: Int32Array | null; }

let seq = 0;
function progress(it: number, what: string): void {
  report({ t: 'at', it, what: what.slice(0, 400) });
  if (cfg.verbose) process.stderr.write(`[${it}] ${what}\n`);
}

function reap(c: Ctx, ops: Map<number, Op[]>, protectedFds: Set<number>, target: string, desc: string): void {
  let n = 0;
  for (let cqe = c.ring.peekCqe(); cqe !== null; cqe = c.ring.peekCqe()) {
    if (++n > 4 * c.ring.cqEntries + 64) {
      throw new Failure('cq-spin', target, desc, `peekCqe() keeps returning CQEs after ${n} cqeSeen() calls (cqReady() ${c.ring.cqReady()}): the head is not moving`);
    }
    const res = cqe.res;
    const ud = cqe.u32[cqe.w + 1]! >= 0x200000 ? -1 : cqe.userData;
    c.lastCqe = { flags: cqe.flags };
    for (const op of ops.get(ud) ?? []) {
      if (op.fdResult && res >= 0 && !protectedFds.has(res)) tryClose(res);
      if (op.pipe && res === 0) { for (const fd of [op.pipe[0]!, op.pipe[1]!]) if (fd > 2 && !protectedFds.has(fd)) tryClose(fd); op.pipe = null; }
    }
    c.ring.cqeSeen(cqe);
  }
  checkRingIndices(c, target, desc);
  checkMemory(c, target, desc);
}

function callRaw(c: Ctx, it: number, t: { name: string; sig: Signature; ring: boolean }, ops: Map<number, Op[]>, protectedFds: Set<number>): void {
  const r = c.rng;
  const params = t.sig.params;
  const mode = r.int(10); // 0-5 valid, 6-8 one hostile, 9 all hostile
  const bad = mode >= 9 ? -2 : mode >= 6 ? r.int(Math.max(1, params.length)) : -1;
  const sqeParam = params.findIndex((p) => p.kind === 'sqe');
  if (sqeParam >= 0 && c.ring.sqSpaceLeft() === 0) {
    c.ring.submit();
    if (c.ring.sqSpaceLeft() === 0) return;
  }
  const readyBefore = c.ring.isClosed ? 0 : c.ring.sqReady();
  const args: unknown[] = [];
  let sqe: Sqe | null = null;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p.kind === 'sqe') { sqe = c.ring.getSqe(); args.push(sqe); continue; }
    // Trailing optional parameters are often left out, as callers do.
    if (p.optional && bad !== i && r.chance(0.3) && params.slice(i + 1).every((q) => q.optional)) break;
    args.push(value(c, t.sig.name, p, bad === -2 || bad === i));
  }
  if (t.ring && (BLOCKING.has(t.sig.name) || (t.sig.name === 'waitCqes' && args[1] === undefined))) {
    const n = args[0];
    if (typeof n === 'number' && Number.isInteger(n) && n > c.ring.cqReady()) return; // would wait for ever, by design
  }
  if (t.ring && t.sig.name === 'resizeRings' && c.ring.sqReady() > 0) c.ring.submit();
  const desc = describe(t.name, args);
  progress(it, desc);
  const snap = sqe ? sqe.u8.slice(sqe.w * 4, sqe.w * 4 + sqe.size) : null;
  // The CQ head moves only when we advance it; the tail, whenever the kernel
  // posts (an io-wq completion or a timer can land during the call).
  const cqHead = (): number => (c.ring.isClosed ? 0 : c.ring.snapshot().cq?.head ?? 0);
  const headBefore = t.sig.name === 'cqAdvance' ? cqHead() : 0;
  const cqBefore = c.ring.isClosed ? 0 : c.ring.cqReady();
  let result: unknown;
  try {
    const self = t.ring ? c.ring : null;
    const f = (t.ring ? (c.ring as unknown as Record<string, (...a: unknown[]) => unknown>)[t.sig.name] : lib_[t.sig.name]) as (...a: unknown[]) => unknown;
    result = f.apply(self, args);
  } catch (e) {
    if (e instanceof Failure) throw e;
    if (!allowedError(e)) raise(new Failure('error-class', t.name, desc, errText(e)));
    if (sqe && snap) {
      const now = sqe.u8.subarray(sqe.w * 4, sqe.w * 4 + sqe.size);
      const diff = now.findIndex((b, i) => b !== snap[i]);
      if (diff >= 0) raise(new Failure('refusal-wrote-sqe', t.name, desc, `${errText(e)}; yet SQE byte ${diff} changed (0x${snap[diff]!.toString(16)} -> 0x${now[diff]!.toString(16)}): the entry runs anyway`));
      // The refused entry keeps getSqe's unprepared mark (the bytes are
      // unchanged), so the next submit hands its slot back or neutralises it
      // (IoUring.getSqe); sqReady counts it until then.
    } else if (t.ring && !c.ring.isClosed && !(c.ring.flags & lib.IORING_SETUP_SQPOLL) && c.ring.sqReady() !== readyBefore && !/^submit|^wait|^resize/.test(t.sig.name)) {
      // (An SQPOLL thread consumes entries whenever it likes: sqReady moves by itself there.)
      raise(new Failure('refusal-moved-sq', t.name, desc, `${errText(e)}; yet sqReady() went ${readyBefore} -> ${c.ring.sqReady()}`));
    }
    if (t.ring && t.sig.name === 'cqAdvance' && !c.ring.isClosed && cqHead() !== headBefore) {
      throw new Failure('refusal-moved-cq', t.name, desc, `${errText(e)}; yet the CQ head went ${headBefore} -> ${cqHead()}`);
    }
    checkRingIndices(c, t.name, desc);
    return;
  }
  // Accepted.
  if (t.ring && t.sig.name === 'cqAdvance') {
    const n = args[0];
    // At most what had been posted by the end of the call (the tail only grows).
    const posted = c.ring.isClosed ? cqBefore : ((c.ring.snapshot().cq?.tail ?? 0) - headBefore) >>> 0;
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= posted)) {
      throw new Failure('cq-advance-accepted', t.name, desc, `cqAdvance accepted ${show(n)} with ${posted} CQEs posted; cqReady() is now ${c.ring.cqReady()}`);
    }
  }
  if (t.ring && t.sig.name === 'cqeSeen' && cqBefore === 0) {
    throw new Failure('cq-advance-accepted', t.name, desc, `cqeSeen accepted a CQE with none ready; cqReady() is now ${c.ring.cqReady()}`);
  }
  if (t.ring && t.sig.name === 'getSqes' && typeof result === 'number' && result >= 0) {
    for (let i = 0; i < (args[0] as number); i++) c.ring.sqeAt(result + i).userData = ++seq;
  }
  if (sqe) {
    const id = ++seq;
    // Sometimes share a user_data with an operation in flight (liburing's
    // tests do), never with one whose result is an fd to close.
    const fdResult = FD_RESULT.test(t.sig.name) && !/Direct/.test(t.sig.name);
    let ud = id;
    if (!fdResult && r.chance(0.15) && ops.size > 0) {
      const keys = [...ops.keys()].filter((k) => ops.get(k)!.every((o) => !o.fdResult));
      if (keys.length > 0) ud = r.pick(keys);
    }
    try { sqe.userData = ud; } catch { /* closed ring */ }
    const pipe = /^prepPipe$/.test(t.sig.name) && args[1] instanceof Int32Array ? args[1] : null;
    const list = ops.get(ud) ?? [];
    list.push({ name: t.name, fdResult, pipe });
    ops.set(ud, list);
    if (r.chance(0.15)) {
      const flags = r.pick([lib.IOSQE_IO_LINK, lib.IOSQE_ASYNC, lib.IOSQE_CQE_SKIP_SUCCESS, lib.IOSQE_FIXED_FILE, lib.IOSQE_BUFFER_SELECT, lib.IOSQE_IO_HARDLINK, lib.IOSQE_IO_DRAIN]);
      try { lib.sqeSetFlags(sqe, flags); } catch (e) { if (!allowedError(e)) raise(new Failure('error-class', 'sqeSetFlags', desc, errText(e))); }
    }
    // Misuse after the call: empty the arrays handed over, drop them, collect.
    if (c.loose.arrays.length > 0 && r.chance(0.5)) {
      for (const a of c.loose.arrays) a.length = 0;
      c.loose.arrays = [];
      gc();
      for (let i = 0; i < 8; i++) guardedBuf(c, r.pick([64, 256, 4096]), 'after gc'); // may land where the dropped buffers were
    }
  }
  c.loose.arrays = [];
  checkRingIndices(c, t.name, desc);
}

async function rawPhase(c: Ctx, it: number, protectedFds: Set<number>): Promise<void> {
  const r = c.rng;
  const ops = new Map<number, Op[]>();
  const calls = r.range(10, 40);
  let target = 'setup';
  let desc = '';
  try {
    try { c.bufRing = lib.setupBufRing(c.ring, 8, 7); } catch { c.bufRing = null; }
    if (c.bufRing) {
      for (let i = 0; i < 8; i++) lib.bufRingAdd(c.bufRing, guardedBuf(c, 256, 'buf ring'), i, c.bufRing.mask, i);
      lib.bufRingAdvance(c.bufRing, 8);
    }
    for (let i = 0; i < calls && rawTargets.length > 0; i++) {
      const t = r.pick(rawTargets);
      target = t.name;
      callRaw(c, it, t, ops, protectedFds);
      if (c.ring.isClosed) break;
      if (r.chance(0.3)) {
        desc = 'submit and reap';
        progress(it, desc);
        try { c.ring.submitAndWaitTimeout(0, 0); } catch (e) { if (!allowedError(e)) throw new Failure('error-class', 'ring.submit', desc, errText(e)); }
        progress(it, 'reap');
        reap(c, ops, protectedFds, target, desc);
      }
      if (r.chance(0.05)) gc();
    }
    desc = 'final submit and reap';
    progress(it, desc);
    if (!c.ring.isClosed) {
      try { c.ring.submit(); } catch (e) { if (!allowedError(e)) throw new Failure('error-class', 'ring.submit', desc, errText(e)); }
      for (let i = 0; i < 5; i++) {
        try { c.ring.waitCqeTimeout(2); } catch (e) { if (!allowedError(e)) throw new Failure('error-class', 'ring.waitCqeTimeout', desc, errText(e)); }
        reap(c, ops, protectedFds, target, desc);
      }
    }
  } finally {
    progress(it, 'raw ring close()');
    const t0 = performance.now();
    try {
      c.ring.close(c.rng.chance(0.1) ? (hostileNumber(c.rng) as number) : undefined);
    } catch (e) {
      if (!allowedError(e)) throw new Failure('error-class', 'ring.close', 'close()', errText(e));
      c.ring.close();
    }
    const ms = performance.now() - t0;
    // A pipe whose CQE never reached reap() (the fuzzer set CQE_SKIP_SUCCESS
    // on it, or close()'s own drain consumed it) still wrote its fds: they
    // are the caller's to close, as reap() would have, if they are pipes.
    const open = listFds();
    for (const list of ops.values()) {
      for (const op of list) {
        if (op.pipe === null) continue;
        for (const fd of [op.pipe[0]!, op.pipe[1]!]) if (fd > 2 && !protectedFds.has(fd) && open.get(fd)?.startsWith('pipe:')) tryClose(fd);
        op.pipe = null;
      }
    }
    if (ms > 6000) throw new Failure('slow-close', 'ring.close', `close() after ${target}`, `close() took ${Math.round(ms)} ms`);
  }
  checkMemory(c, 'ring.close', 'after close()');
}

// ---------------------------------------------------------------- AsyncRing phase

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

async function asyncPhase(c: Ctx, it: number): Promise<void> {
  const r = c.rng;
  const entries = r.pick([4, 8, 16, 64]);
  const opt: Record<string, unknown> = { entries };
  if (r.chance(0.3)) opt.flags = lib.IORING_SETUP_SINGLE_ISSUER | lib.IORING_SETUP_DEFER_TASKRUN;
  let aring: AsyncRing;
  try { aring = new AsyncRing(opt as never); } catch (e) { if (!allowedError(e)) throw new Failure('error-class', 'new AsyncRing', JSON.stringify(opt), errText(e)); return; }
  c.aring = aring;
  const pending: { desc: string; settled: boolean; name: string }[] = [];
  const calls = r.range(5, 25);
  const fail = (f: Failure): never => { throw f; };
  let lateError: Failure | null = null;
  const track = (name: string, desc: string, p: Promise<unknown>): void => {
    const rec = { desc, settled: false, name };
    pending.push(rec);
    p.then((v) => {
      rec.settled = true;
      if (FD_RESULT.test(name) && typeof v === 'number' && v > 2) tryClose(v);
    }, (e) => {
      rec.settled = true;
      if (!(allowedError(e) || (e instanceof DOMException && e.name === 'AbortError'))) {
        raise(new Failure('rejection-class', `async.${name}`, desc, errText(e)));
      }
    });
  };
  try {
    for (let i = 0; i < calls && asyncTargets.length > 0; i++) {
      const t = r.pick(asyncTargets);
      const params = t.sig.params;
      const mode = r.int(10);
      const bad = mode >= 9 ? -2 : mode >= 6 ? r.int(Math.max(1, params.length)) : -1;
      const args: unknown[] = [];
      for (let j = 0; j < params.length; j++) {
        const p = params[j]!;
        if (p.optional && bad !== j && r.chance(0.3) && params.slice(j + 1).every((q) => q.optional)) break;
        args.push(value(c, t.sig.name, p, bad === -2 || bad === j));
      }
      const desc = describe(t.name, args);
      progress(it, desc);
      let out: unknown;
      try {
        out = (aring as unknown as Record<string, (...a: unknown[]) => unknown>)[t.sig.name]!.apply(aring, args);
      } catch (e) {
        // bufferPool is synchronous by nature; everything else must reject.
        if (t.sig.name === 'bufferPool' || t.sig.name === 'messages') {
          if (!allowedError(e)) raise(new Failure('error-class', t.name, desc, errText(e)));
          continue;
        }
        raise(new Failure('sync-throw', t.name, desc, `threw instead of rejecting: ${errText(e)}`));
        continue;
      }
      if (out instanceof Promise) track(t.sig.name, desc, out);
      else if (out && typeof (out as AsyncIterator<unknown>).next === 'function') {
        const iter = out as AsyncIterator<unknown> & { return?: () => Promise<unknown> };
        for (let k = r.int(3); k > 0; k--) track(t.sig.name, `${desc}.next()`, iter.next());
        if (r.chance(0.3) && iter.return) track(t.sig.name, `${desc}.return()`, iter.return());
      }
      if (t.sig.name === 'bufferPool' && out && r.chance(0.5)) { try { (out as { free(): void }).free(); } catch (e) { if (!allowedError(e)) fail(new Failure('error-class', 'BufferPool.free', desc, errText(e))); } }
      if (r.chance(0.3)) await new Promise((res) => setImmediate(res));
      if (r.chance(0.1)) await sleep(r.int(3));
      if (r.chance(0.05)) gc();
      checkMemory(c, t.name, desc);
      if (aring.pending < 0) fail(new Failure('pending', t.name, desc, `pending is ${aring.pending}`));
    }
  } finally {
    progress(it, 'AsyncRing close()');
    const closed = aring.close().then(() => true, (e) => { lateError ??= new Failure('rejection-class', 'async.close', 'close()', errText(e)); return true; });
    const ok = await Promise.race([closed, sleep(8000).then(() => false)]);
    if (!ok) {
      const open = pending.filter((p) => !p.settled).map((p) => p.desc);
      throw new Failure('hang', 'async.close', 'close()', `AsyncRing.close() did not settle in 8 s; unsettled: ${open.slice(0, 4).join(' | ')}`);
    }
    for (let i = 0; i < 40 && pending.some((p) => !p.settled); i++) await sleep(50);
    const open = pending.filter((p) => !p.settled);
    if (open.length > 0) throw new Failure('hang', `async.${open[0]!.name}`, open[0]!.desc, `${open.length} operation(s) not settled 2 s after close() resolved`);
    for (const t of c.timers) clearTimeout(t);
  }
  if (lateError) throw lateError;
  checkMemory(c, 'async.close', 'after close()');
}

// ---------------------------------------------------------------- iterations

const bystanders = new Memory(new Rng(cfg.seed, -1));
for (let i = 0; i < 32; i++) bystanders.alloc([16, 64, 256, 4096][i % 4]!, 'bystander');

async function iteration(it: number): Promise<boolean> {
  const rng = new Rng(cfg.seed, it);
  currentIt = it;
  softSeen = new Set();
  const dir = join(cfg.tmp, `it-${it}`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(dir, 'd'), { recursive: true });
  process.chdir(dir);
  const before = listFds();
  const protectedFds = new Set(before.keys());
  const fx = makeFixtures(dir, it);
  for (const fd of fx.all) protectedFds.add(fd);
  const mem = new Memory(rng);
  const flags = rng.chance(0.2) ? lib.IORING_SETUP_SINGLE_ISSUER | lib.IORING_SETUP_DEFER_TASKRUN
    : rng.chance(0.05) ? lib.IORING_SETUP_SQPOLL : 0;
  const ring = new IoUring(rng.pick([2, 4, 8, 16]), { flags });
  const other = new IoUring(4);
  const closedRing = new IoUring(2);
  closedRing.close();
  const c: Ctx = { rng, mem, fx, dir, ring, other, closedRing, aring: null, bufRing: null, lastCell: null, disposable: [], lastCqe: null, loose: { arrays: [] }, timers: [] };
  let failure: Failure | null = null;
  try {
    if (rawTargets.length > 0) await rawPhase(c, it, protectedFds);
    if (asyncTargets.length > 0) await asyncPhase(c, it);
    if (fsTargetNames.length > 0) {
      await fsPhase({
        rng, mem, dir, gc, show,
        progress: (what) => progress(it, what),
        soft: (kind, target, desc, msg) => raise(new Failure(kind, target, desc, msg)),
        hard: (kind, target, desc, msg) => { throw new Failure(kind, target, desc, msg); },
      }, fsTargetNames);
    }
    if (netTargetNames.length > 0) {
      await netPhase({
        rng, mem, dir, show,
        progress: (what) => progress(it, what),
        soft: (kind, target, desc, msg) => raise(new Failure(kind, target, desc, msg)),
        hard: (kind, target, desc, msg) => { throw new Failure(kind, target, desc, msg); },
      }, netTargetNames);
    }
  } catch (e) {
    failure = e instanceof Failure ? e : new Failure('fuzzer', 'fuzzer', 'the fuzzer itself', e instanceof Error ? `${e.stack}` : String(e));
  }
  try { if (!ring.isClosed) ring.close(); } catch { /* reported above */ }
  try { other.close(); } catch { /* */ }
  for (const fd of c.disposable) tryClose(fd);
  for (const fd of fx.all) tryClose(fd);
  gc();
  if (!failure) {
    const bad = [...mem.check(), ...bystanders.check()];
    if (bad.length > 0) failure = new Failure('canary', 'end of iteration', 'all buffers after close()', bad.slice(0, 3).join('; '));
  }
  // fds: what the operations opened is the caller's (files, sockets, pipes
  // from prepPipe); a ring, an eventfd or a pipe still open is the library's.
  const after = listFds();
  const leaked: string[] = [];
  for (const [fd, what] of after) {
    if (before.has(fd)) continue;
    // node:fs/promises' own FileHandles that it left unclosed (its twin in
    // fuzz/fs.ts) are closed when collected: closing their fds here would
    // have that close a number reused by then.
    if (what.startsWith(join(dir, 'fs-node'))) continue;
    if (what.startsWith(cfg.tmp) || what.startsWith('socket:') || what === '/dev/null') { tryClose(fd); continue; }
    // Not closed: an AsyncRing that failed to close may still watch it.
    leaked.push(`${fd} -> ${what}`);
  }
  if (!failure && leaked.length > 0) failure = new Failure('fd-leak', 'end of iteration', 'all rings closed', `fds left open: ${leaked.slice(0, 6).join(', ')}`);
  process.chdir(cfg.tmp);
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* */ }
  if (failure) report({ t: 'fail', it, kind: failure.kind, target: failure.target, desc: failure.desc, msg: failure.message });
  return failure === null;
}

async function main(): Promise<void> {
  // tsuring/fs's ring is the thread's, made at its first call and kept: made
  // here, before any iteration counts the fds.
  if (fsTargetNames.length > 0) await ringStat('/');
  const fdStart = listFds().size;
  report({ t: 'targets', raw: rawTargets.length, async: asyncTargets.length, fs: fsTargetNames.length, net: netTargetNames.length });
  let it = cfg.start;
  for (; it < cfg.end && Date.now() < cfg.deadline; it++) {
    report({ t: 'start', it });
    // After a failure the library's state is suspect (a ring that did not
    // close, an fd still watched): the next iteration gets a fresh process.
    if (!(await iteration(it))) { report({ t: 'done', next: it + 1 }); process.exit(0); }
  }
  gc();
  const fdEnd = listFds().size;
  if (fdEnd > fdStart) report({ t: 'fail', it: it - 1, kind: 'fd-growth', target: 'process', desc: 'end of run', msg: `${fdEnd - fdStart} more fds open than at the start` });
  report({ t: 'done', next: it });
}

await main();
process.exit(0);
