// A socket destroyed while a send is in flight shuts itself down
// (shutdown(SHUT_RDWR) wakes a send waiting for room). The kernel runs a
// shutdown on an io-wq worker and looks its fd up by number there, so the
// socket's fd must not be closed before that shutdown has run: a close
// first frees the number, a new socket takes it, and the shutdown lands on
// the new socket. (Found by the fuzzer's net phase under CI load: a fresh
// connection's first write failed with EPIPE.) Here the ring's one bounded
// io-wq worker is held by an open of a FIFO that waits for its writer, so
// the shutdown waits as long as the test wants.
import { afterAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOn, createServerOn, type AddressInfo, type NetContext } from '../lib/net/index.ts';
import { AsyncRing } from '../lib/async/async-ring.ts';
import { registerIowqMaxWorkers } from '../lib/register/iowq.ts';
import { AT_FDCWD, O_CREAT, O_RDONLY } from '../lib/uapi/fs.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-fd-reuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("a destroyed socket's shutdown can't reach a socket that took its fd number", async () => {
  const io = new AsyncRing();
  const ctx: NetContext = { ring: io, pool: io.bufferPool({ size: 4096, count: 64 }) };
  const server = createServerOn(ctx, async (s) => {
    for await (const c of s) await s.write(c);
  });
  try {
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.address() as AddressInfo;
    // Hold the one bounded worker: an open that may create always goes to
    // io-wq, and a FIFO's open waits there for a writer.
    registerIowqMaxWorkers(io.ring, [1, 1]);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const held = io.openat(AT_FDCWD, fifo, O_RDONLY | O_CREAT, 0o600);
    await pause(50);

    const a = await connectOn(ctx, { port, host: '127.0.0.1' });
    const aFd = a.fd;
    // A write and a destroy in one tick: the send completes at once, and
    // destroy()'s shutdown waits behind the held worker.
    a.write(Buffer.alloc(64, 1)).catch(() => {});
    a.destroy();
    await pause(100);

    const b = await connectOn(ctx, { port, host: '127.0.0.1' });
    const bFd = b.fd;
    // Let the held worker go: the shutdown runs now.
    closeSync(openSync(fifo, 'w'));
    await io.closeFd(await held);
    await pause(100);

    let got = '';
    let failed: unknown = null;
    try {
      await b.write('still here');
      for await (const c of b) {
        got += c.toString();
        if (got.length >= 10) break;
      }
    } catch (err) {
      failed = err;
    }
    b.destroy();
    expect({ failed, got }).toEqual({ failed: null, got: 'still here' });
    // The fix keeps a's fd until its shutdown has run, so b can't have taken
    // it; without it, b took it (the number this test was written to catch).
    expect(bFd).not.toBe(aFd);
  } finally {
    await server.close().catch(() => {});
    await io.close();
  }
});
