// tsuring/fs beyond what tests/fs-diff.test.ts compares: what only one
// side can show (the stack's async frames, O_CLOEXEC, the ring the calls
// ran on), the Stats of one file from both sides field for field, and the
// positions Node 20 reads differently from Node 22 (bigint).

import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Buffer } from 'node:buffer';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import { AsyncRing } from '../lib/async/async-ring.ts';
import { POSIX_FADV_DONTNEED, prepFadvise } from '../lib/index.ts';
import * as ringFs from '../lib/fs/index.ts';
import { compiled } from './helpers.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/tsuring-fs-');
  writeFileSync(join(dir, 'f'), 'hello, world\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('errors', () => {
  // The error is made after the ring's completion, when no caller is on the
  // real stack: the caller's frame is there only as an async frame. (vitest
  // prints async frames without the word `async`.)
  test("a failed call's stack names its awaiting callers", async () => {
    async function loadConfig(): Promise<string> {
      return await ringFs.readFile(join(dir, 'missing.json'), 'utf8');
    }
    const err = await loadConfig().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`ENOENT: no such file or directory, open '${join(dir, 'missing.json')}'`);
    expect((err as Error).stack).toMatch(/\n\s+at (async )?loadConfig /);
  });

  test("writeFile's chained open names the path and its caller", async () => {
    async function saveState(): Promise<void> {
      await ringFs.writeFile(join(dir, 'missing', 'state.json'), '{}');
    }
    const err = (await saveState().catch((e: unknown) => e)) as Error & { syscall: string; path: string };
    expect(err.message).toBe(`ENOENT: no such file or directory, open '${join(dir, 'missing', 'state.json')}'`);
    expect([err.syscall, err.path]).toEqual(['open', join(dir, 'missing', 'state.json')]);
    expect(err.stack).toMatch(/\n\s+at (async )?saveState /);
  });

  test('a FileHandle call carries its caller too', async () => {
    const fh = await ringFs.open(join(dir, 'f'), 'r');
    async function writeThere(): Promise<unknown> {
      return await fh.write('x');
    }
    const err = (await writeThere().catch((e: unknown) => e)) as Error & { code: string };
    await fh.close();
    expect(err.code).toBe('EBADF');
    expect(err.stack).toMatch(/\n\s+at (async )?writeThere /);
  });
});

describe('Stats', () => {
  for (const bigint of [false, true]) {
    test(`of one file, from each side, field for field${bigint ? ' (bigint)' : ''}`, async () => {
      for (const p of [join(dir, 'f'), dir, '/dev/null']) {
        const a = await nodeFs.stat(p, { bigint });
        const b = await ringFs.stat(p, { bigint });
        const keys = [...new Set([...Object.keys(a), 'atime', 'mtime', 'ctime', 'birthtime'])];
        for (const k of keys) expect([k, (b as unknown as Record<string, unknown>)[k]]).toEqual([k, (a as unknown as Record<string, unknown>)[k]]);
        for (const m of ['isFile', 'isDirectory', 'isCharacterDevice', 'isBlockDevice', 'isSymbolicLink', 'isFIFO', 'isSocket'] as const) {
          expect(b[m]()).toBe(a[m]());
        }
      }
    });
  }
});

describe('FileHandle', () => {
  test('every fd has O_CLOEXEC (fdinfo flags)', async () => {
    const fh = await ringFs.open(join(dir, 'f'), 'r+');
    try {
      const flags = Number.parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fh.fd}`, 'utf8'))![1]!, 8);
      expect(flags & 0o2000000).toBe(0o2000000);
    } finally {
      await fh.close();
    }
  });

  test('a bigint position is read at, and leaves the file position', async () => {
    const fh = await ringFs.open(join(dir, 'f'), 'r');
    try {
      const b = Buffer.alloc(5);
      expect((await fh.read(b, 0, 5, 7n)).bytesRead).toBe(5);
      expect(b.toString()).toBe('world');
      await fh.read(b, 0, 5, null);
      expect(b.toString()).toBe('hello');
      await expect(fh.read(b, 0, 5, 2n ** 60n)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    } finally {
      await fh.close();
    }
  });

  test('close() waits for the calls under way, and fd is -1 after', async () => {
    const fh = await ringFs.open(join(dir, 'f'), 'r');
    const reading = fh.read(Buffer.alloc(5), 0, 5, 0);
    const closing = fh.close();
    expect((await reading).bytesRead).toBe(5);
    await closing;
    expect(fh.fd).toBe(-1);
  });
});

describe('readFile', () => {
  test('of a /proc file, whose stat size is 0, reads it all', async () => {
    expect((await ringFs.stat('/proc/self/status')).size).toBe(0);
    const s = await ringFs.readFile('/proc/self/status', 'utf8');
    expect(s).toMatch(/^Name:/);
    expect(s).toMatch(/\nPid:\s+\d+\n/);
  });

  test("a handle's readFile reads the rest from its position, past one 64 KiB chunk", async () => {
    const big = Buffer.alloc(200 * 1024, 'xyz');
    writeFileSync(join(dir, 'big'), big);
    const fh = await ringFs.open(join(dir, 'big'), 'r');
    try {
      await fh.read(Buffer.alloc(10), 0, 10);
      expect((await fh.readFile()).equals(big.subarray(10))).toBe(true);
    } finally {
      await fh.close();
    }
  });

  test('an aborted signal rejects with AbortError and its reason as cause', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const err = (await ringFs.readFile(join(dir, 'f'), { signal: ac.signal }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('AbortError');
    expect((err as Error & { code: string }).code).toBe('ABORT_ERR');
    expect((err.cause as Error).message).toBe('stop');
  });
});

describe('the ring', () => {
  test('createFs runs the same functions on a ring the caller owns, and they reject once it is closed', async () => {
    const io = new AsyncRing({ entries: 8 });
    const fs = ringFs.createFs(io);
    await fs.writeFile(join(dir, 'g'), 'on my ring');
    expect(await fs.readFile(join(dir, 'g'), 'utf8')).toBe('on my ring');
    expect(fs.readdir).toBe(nodeFs.readdir);
    await io.close();
    await expect(fs.stat(join(dir, 'g'))).rejects.toThrow();
  });

  test('what io_uring has no operation for is node:fs/promises\' own function', () => {
    for (const k of ['access', 'cp', 'opendir', 'rm', 'readdir', 'readlink', 'statfs', 'chmod', 'lchmod', 'chown', 'lchown', 'utimes', 'lutimes', 'realpath', 'mkdtemp', 'watch', 'constants'] as const) {
      expect([k, ringFs[k]]).toEqual([k, nodeFs[k]]);
    }
  });

  const run = (mode: string) => execFileSync(process.execPath, [compiled('tests/fixtures/fs-child.ts'), mode], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
  test('importing tsuring/fs keeps nothing alive', () => {
    expect(run('none')).toBe('exit\n');
  });
  test('the thread\'s ring, idle after a call, lets the process exit unclosed', () => {
    expect(run('idle')).toBe('read true\nexit\n');
  });
  test('a worker_thread gets a ring of its own, and both exit', () => {
    expect(run('worker')).toBe('worker read true\nexit\n');
  });
});

describe('the same names as node:fs/promises on the Node that runs the test', () => {
  // What user code can reach: string keys, and symbols it can name
  // (Symbol.asyncDispose, a Symbol.for one); not Node's private symbols.
  const wellKnown = new Set(Object.getOwnPropertyNames(Symbol).map((k) => (Symbol as unknown as Record<string, unknown>)[k]).filter((v) => typeof v === 'symbol'));
  const reachable = (k: string | symbol): boolean => typeof k === 'string' || wellKnown.has(k) || Symbol.keyFor(k) !== undefined;
  function members(o: object): Map<string | symbol, string> {
    const out = new Map<string | symbol, string>();
    for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const k of Reflect.ownKeys(p)) {
        if (!reachable(k) || k === 'constructor' || (typeof k === 'string' && k.startsWith('_')) || out.has(k)) continue;
        const d = Object.getOwnPropertyDescriptor(p, k)!;
        out.set(k, d.get ? 'getter' : typeof d.value);
      }
    }
    return out;
  }

  test("every export of node:fs/promises is tsuring/fs's, and the default export's keys too", () => {
    const ring = ringFs as unknown as Record<string, unknown>;
    const node = nodeFs as unknown as Record<string, unknown>;
    const missing = Object.keys(node).filter((k) => !(k in ring) || typeof ring[k] !== typeof node[k]);
    expect(missing).toEqual([]);
    const ringDefault = ring.default as Record<string, unknown>;
    expect(Object.keys(node.default as object).filter((k) => typeof ringDefault[k] !== typeof (node.default as Record<string, unknown>)[k])).toEqual([]);
    for (const k of Object.keys(ringDefault)) expect([k, ringDefault[k]]).toEqual([k, ring[k]]);
    // The names only later Node lines have are undefined where node:fs/promises lacks them.
    for (const k of ['glob', 'mkdtempDisposable']) expect([k, ring[k]]).toEqual([k, node[k]]);
  });

  test("every member of node:fs/promises' FileHandle is tsuring/fs's, of the same kind", async () => {
    const nodeFh = await nodeFs.open(join(dir, 'f'));
    const ringFh = await ringFs.open(join(dir, 'f'));
    try {
      const ring = members(ringFh);
      const node = [...members(nodeFh)].filter(([k, kind]) => ring.get(k) !== kind);
      expect(node).toEqual([]);
    } finally {
      await nodeFh.close();
      await ringFh.close();
    }
  });
});

describe('a FileHandle collected unclosed', () => {
  // As Node's FileHandle destructor (src/node_file.cc): the fd is closed;
  // Node 20 to 24 warn (each fd, and DEP0137 once), Node 26 throws
  // ERR_INVALID_STATE uncaught instead.
  const run = (mode: string) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', compiled('tests/fixtures/fs-gc-child.ts'), mode, dir], {
    encoding: 'utf8', stdio: 'pipe', timeout: 20_000,
  })) as Record<string, unknown>;
  const major = Number(process.versions.node.split('.')[0]);

  test('has its fd closed, with the warnings or the error of the Node it runs on', () => {
    const r = run('dropped');
    expect([r.opened, r.collected]).toEqual([2, 0]);
    const [a, b] = r.shown as number[];
    const gcMessage = (fd: number) => 'A FileHandle object was closed during garbage collection. This used to be allowed with a deprecation warning but is now '
      + `considered an error. Please close FileHandle objects explicitly. File descriptor: ${fd} (${join(dir, 'f')})`;
    if (major >= 26) {
      expect(r.warnings).toEqual([]);
      expect((r.uncaught as string[]).sort()).toEqual([`ERR_INVALID_STATE ${gcMessage(a!)}`, `ERR_INVALID_STATE ${gcMessage(b!)}`].sort());
    } else {
      expect(r.uncaught).toEqual([]);
      const warnings = r.warnings as string[];
      expect(warnings.filter((w) => w.startsWith('DeprecationWarning DEP0137 Closing a FileHandle object on garbage collection is deprecated.'))).toHaveLength(1);
      expect(warnings.filter((w) => w.startsWith('Warning ')).sort()).toEqual(
        [`Warning  Closing file descriptor ${a} on garbage collection`, `Warning  Closing file descriptor ${b} on garbage collection`].sort(),
      );
    }
  });

  test('closed before it is dropped, it is not closed again', () => {
    expect(run('closed')).toEqual({ collected: 0, warnings: [], uncaught: [] });
  });

  test('is not closed while a read on it waits, and is once the read is done', () => {
    const r = run('inflight');
    expect([r.opened, r.whileReading, r.read, r.collected]).toEqual([1, 1, 'data', 0]);
  });

  test('is held by a stream of its fd', () => {
    const r = run('stream');
    expect([r.whileStreaming, r.read, r.warnings, r.uncaught]).toEqual([1, 'hello, world\n', [], []]);
  });
});

describe('readFile of what is not a regular file', () => {
  // The chained read (lib/fs/fast.ts) reads once and closes: a FIFO must go
  // step by step, reading until the writer is done, or the rest is lost.
  test('a FIFO written in two pieces is read to its end, as node:fs/promises reads it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const results: string[] = [];
    for (const readFile of [nodeFs.readFile, ringFs.readFile as typeof nodeFs.readFile]) {
      const writer = spawn('sh', ['-c', `{ printf ab; sleep 0.2; printf cd; } > '${fifo}'`], { stdio: 'ignore' });
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      results.push(await readFile(fifo, 'utf8'));
      await exited;
    }
    expect(results).toEqual(['abcd', 'abcd']);
  });

  // The chain opens before it can tell a FIFO from a file, and the open is
  // the FIFO's meeting with its writer: it can't be opened a second time for
  // the same writer, so what the chain opened must be read to the end.
  test.each([
    ['a writer that is done before the read', 'printf abc', 3],
    ['a writer of more than the pipe holds', 'head -c 100000 /dev/zero', 100000],
  ])('a FIFO with %s is read from the one open, as node:fs/promises reads it', async (_, cmd, size) => {
    const fifo = join(dir, 'fifo2');
    execFileSync('mkfifo', [fifo]);
    const lengths: number[] = [];
    for (const readFile of [nodeFs.readFile, ringFs.readFile as typeof nodeFs.readFile]) {
      const writer = spawn('sh', ['-c', `${cmd} > '${fifo}'`], { stdio: 'ignore' });
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      lengths.push((await readFile(fifo)).length);
      await exited;
    }
    expect(lengths).toEqual([size, size]);
  });

  // writeFile writes over a file that exists and then cuts it to the length
  // written; a FIFO can't be cut (EINVAL), and is left as O_TRUNC leaves it.
  test('writeFile to a FIFO reaches its reader, as node:fs/promises writes it', async () => {
    const fifo = join(dir, 'fifo3');
    execFileSync('mkfifo', [fifo]);
    const got: string[] = [];
    for (const writeFile of [nodeFs.writeFile, ringFs.writeFile as typeof nodeFs.writeFile]) {
      const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      reader.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const exited = new Promise((resolve) => reader.on('exit', resolve));
      await writeFile(fifo, 'through the fifo');
      await exited;
      got.push(out);
    }
    expect(got).toEqual(['through the fifo', 'through the fifo']);
  });

  // copyFile writes over a regular file that exists and cuts it after; what
  // is not a regular file is truncated first as libuv does, which fails
  // there, and the destination is removed (Node's, and libuv's, way).
  test('copyFile onto a FIFO fails as node:fs/promises fails, and removes it', async () => {
    const src = join(dir, 'copy-src');
    writeFileSync(src, 'to a fifo');
    const seen: unknown[] = [];
    for (const copyFile of [nodeFs.copyFile, ringFs.copyFile as typeof nodeFs.copyFile]) {
      const fifo = join(dir, 'fifo4');
      execFileSync('mkfifo', [fifo]);
      const reader = spawn('cat', [fifo], { stdio: 'ignore' });
      const exited = new Promise((resolve) => reader.on('exit', resolve));
      const err = (await copyFile(src, fifo).then(() => null, (e: NodeJS.ErrnoException) => e))!;
      await exited;
      seen.push([err?.code, err?.syscall, err?.message.replaceAll(dir, '<dir>'), existsSync(fifo)]);
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]).toEqual(['EINVAL', 'copyfile', `EINVAL: invalid argument, copyfile '<dir>/copy-src' -> '<dir>/fifo4'`, false]);
  });

  // Not in the page cache, the chain's non-blocking read fails with EAGAIN,
  // and the file is read again the blocking way.
  test('a file evicted from the page cache is read whole', async () => {
    const f = join(dir, 'cold');
    const data = Buffer.alloc(40000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    writeFileSync(f, data);
    const io = new AsyncRing({});
    try {
      const fd = await io.openat(-100, f, 0);
      await io.fsync(fd);
      await io.run((sqe) => prepFadvise(sqe, fd, 0, 0, POSIX_FADV_DONTNEED));
      await io.closeFd(fd);
    } finally {
      await io.close();
    }
    expect((await ringFs.readFile(f)).equals(data)).toBe(true);
  });
});
