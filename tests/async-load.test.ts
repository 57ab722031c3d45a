/**
 * An AsyncRing serving more connections than its CQ has entries
 * (lib/async/schedule.ts, streams.ts): each connection an acceptMultishot fd with a
 * recvMultishot loop that echoes what it receives. An armed multishot
 * operation reserves no CQ room (it may wait for data for hours); before,
 * each reserved one CQE, and once the CQ's worth were armed every new
 * operation waited, first in first out, behind ones that could never start,
 * and the server stopped.
 *
 * The 10,000-connection test needs two processes (RLIMIT_NOFILE is 20,000
 * on the project's machines, FIELD-NOTES.md): the clients are a node:net
 * child process. Loopback only (an AF_UNIX socket in a temporary
 * directory), bounded in count and time: a stall of 20 s fails it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncRing, IORING_OP_ACCEPT, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_RECV, IORING_OP_SOCKET, type BufferPool } from '../lib/index.ts';

import { clientOutcome, opcodesMissing, within } from './helpers.ts';
import { spyCqes, testResources, variants } from './async-helpers.ts';
import { SOCK_STREAM, AF_UNIX } from '../lib/uapi/net.ts';
import { MSG_BASE } from '../lib/async/user-data.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsuring-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { rings, cleanups, track, untrack } = testResources();
const missing = opcodesMissing(IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_ACCEPT, IORING_OP_RECV);

/** `p`, or a rejection after `ms`. */

/** A listening AF_UNIX stream socket made through the ring. */
async function listen(io: AsyncRing, name: string): Promise<{ fd: number; path: string }> {
  const fd = track(await io.socket(AF_UNIX, SOCK_STREAM));
  const path = join(dir, name);
  await io.bind(fd, { path });
  await io.listen(fd, 4096);
  return { fd, path };
}

/**
 * An echo server: accepts `count` connections with acceptMultishot, and on
 * each a recvMultishot loop sends back every chunk. Resolves once every
 * connection has ended and been closed, with the bytes echoed.
 */
async function echoServer(io: AsyncRing, lfd: number, count: number, pool: BufferPool): Promise<number> {
  let echoed = 0;
  const serve = async (fd: number): Promise<void> => {
    for await (const chunk of io.recvMultishot(fd, 0, { pool })) {
      const copy = chunk.data.slice();
      chunk.release();
      const n = await io.send(fd, copy);
      echoed += n;
    }
    await io.closeFd(untrack(fd));
  };
  const served: Promise<void>[] = [];
  for await (const fd of io.acceptMultishot(lfd)) {
    served.push(serve(track(fd)));
    if (served.length === count) break;
  }
  await Promise.all(served);
  return echoed;
}

describe.each(variants.map((v) => [v.name, v] as const))('%s', (_, { options, skip }) => {
  const why = skip || missing;
  const test = (title: string, fn: () => Promise<void>, timeout?: number) => it.skipIf(why !== '')(why ? `${title} (skipped: ${why})` : title, fn, timeout);

  test('64 recvMultishot loops on a ring whose CQ holds 16: every connection is echoed, every CQE handed back once, nothing left in the overflow list', async () => {
    const io = new AsyncRing({ ...options, entries: 8 });
    rings.push(io);
    const seen = spyCqes(io);
    const l = await listen(io, `small-${options.waker}-${options.flags ?? 0}`);
    const N = 64;
    const pool = io.bufferPool({ size: 64, count: 128 });
    const server = echoServer(io, l.fd, N, pool);
    const clients: net.Socket[] = [];
    const echoes: Promise<string>[] = [];
    for (let i = 0; i < N; i++) {
      const s = net.connect({ path: l.path });
      cleanups.push(() => s.destroy());
      clients.push(s);
      const msg = `client ${i} says hello`;
      echoes.push(new Promise<string>((resolve, reject) => {
        let got = '';
        s.on('data', (d) => {
          got += d.toString('latin1');
          if (got.length >= msg.length) resolve(got);
        });
        s.on('error', reject);
      }));
      s.write(msg);
    }
    const got = await within(Promise.all(echoes), 20_000, 'the echoes');
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `client ${i} says hello`));
    // With every loop armed, a single-shot operation still goes through.
    expect(await within(io.nop(), 5000, 'a nop')).toBe(0);
    for (const s of clients) s.end();
    expect(await within(server, 20_000, 'the server')).toBe(got.join('').length);
    expect(io.pending).toBe(0);
    expect(io.ring.cqHasOverflow()).toBe(false);
    // Every receive CQE delivered once: the bytes they carried are exactly what was sent.
    const received = seen.filter((c) => c.ud < MSG_BASE && (c.flags & 1) && c.res > 0).reduce((a, c) => a + c.res, 0); // IORING_CQE_F_BUFFER
    expect(received).toBe(got.join('').length);
    await within(io.close(), 5000, 'close()');
  }, 60_000);
});

// The clients: `TOTAL` connections, at most `CONC` connecting at once (a
// connect the listen backlog refuses with EAGAIN is tried again), each
// sending one line and reading its echo; once every one has, a second line
// on every connection at once. Prints progress lines; `ok` when done.
const clientScript = `
const net = require('net');
const path = process.env.LOAD_PATH, total = Number(process.env.LOAD_TOTAL), conc = Number(process.env.LOAD_CONC);
const socks = new Array(total), want = new Array(total), got = new Array(total).fill('');
let started = 0, connecting = 0, connected = 0, round = 1, echoed = 0;
const line = (i) => (round === 1 ? 'first ' : 'second ') + i + '\\n';
function check(i) {
  if (got[i].length < want[i].length) return;
  if (got[i] !== want[i]) { console.log('error echo ' + i + ' ' + JSON.stringify(got[i])); process.exit(1); }
  got[i] = '';
  if (++echoed === total) next();
}
function next() {
  console.log('round ' + round + ' ' + echoed);
  echoed = 0;
  if (round === 2) { console.log('ok'); for (const s of socks) s.destroy(); process.exit(0); }
  round = 2;
  for (let i = 0; i < total; i++) { want[i] = line(i); socks[i].write(want[i]); }
}
function open(i) {
  connecting++;
  const s = net.connect({ path });
  s.on('connect', () => {
    connecting--; connected++; socks[i] = s;
    want[i] = line(i); s.write(want[i]);
    more();
  });
  s.on('data', (d) => { got[i] += d.toString('latin1'); check(i); });
  s.on('error', (e) => {
    if (!socks[i] && (e.code === 'EAGAIN' || e.code === 'ECONNREFUSED')) { connecting--; setTimeout(() => open(i), 5); return; }
    console.log('error ' + i + ' ' + e.code); process.exit(1);
  });
}
function more() { while (connecting < conc && started < total) open(started++); }
setInterval(() => console.log('progress ' + connected + ' ' + echoed), 500);
more();
`;

describe('a default AsyncRing', () => {
  const title = 'serves 10,000 connections, each with its own recvMultishot loop, from another process';
  it.skipIf(missing !== '')(missing ? `${title} (skipped: ${missing})` : title, async () => {
    const io = new AsyncRing(); // default options: 256 entries, a CQ of 512
    rings.push(io);
    const TOTAL = 10_000;
    const l = await listen(io, 'large');
    const pool = io.bufferPool({ size: 64, count: 16384 }); // a buffer for every connection at once
    const server = echoServer(io, l.fd, TOTAL, pool);
    const child = spawn(process.execPath, ['-e', clientScript], {
      env: { ...process.env, LOAD_PATH: l.path, LOAD_TOTAL: String(TOTAL), LOAD_CONC: '256' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    const lines: string[] = [];
    const finished = clientOutcome(child, lines, () => `the server has ${io.pending} operations pending`);
    expect(await within(finished, 150_000, 'the clients')).toBe('ok');
    expect(lines.filter((x) => x.startsWith('round'))).toEqual([`round 1 ${TOTAL}`, `round 2 ${TOTAL}`]);
    // Both lines of every connection, echoed once.
    const bytes = Array.from({ length: TOTAL }, (_, i) => `first ${i}\n`.length + `second ${i}\n`.length).reduce((a, b) => a + b, 0);
    expect(await within(server, 60_000, 'the server')).toBe(bytes);
    expect(io.pending).toBe(0);
    expect(io.ring.cqHasOverflow()).toBe(false);
    await within(io.close(), 20_000, 'close()');
  }, 240_000);
});
