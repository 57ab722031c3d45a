// Every example is a lesson, and a lesson that doesn't run teaches nothing:
// run each one as a user would and check what it prints.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IORING_OP_BIND, IORING_OP_FUTEX_WAIT, IORING_OP_LISTEN, IORING_OP_MSG_RING, IORING_OP_SEND_ZC, IORING_OP_SOCKET,
  IORING_SETUP_SQPOLL,
} from '../lib/index.ts';
import { compiled, opcodeMissing, ringUnavailable } from './helpers.ts';

const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

// The tour runs as `npm start` runs it (tsx on the TypeScript); the other
// lessons run compiled under plain node, as the package installs them
// (dist/examples), which starts in a third of the time.
function run(example: string, ...args: string[]): string {
  return runWith({}, example, ...args);
}
function runWith(env: Record<string, string>, example: string, ...args: string[]): string {
  const options = { encoding: 'utf8' as const, timeout: 60_000, env: { ...process.env, ...env } };
  if (example === '00-tour.ts') return execFileSync(tsx, [new URL(`../examples/${example}`, import.meta.url).pathname, ...args], options);
  return execFileSync(process.execPath, [compiled(`examples/${example}`), ...args], options);
}

describe('examples', () => {
  it('00-tour: the capability report in short, then three operations as decoded SQEs and CQEs', () => {
    const out = run('00-tour.ts');
    expect(out).toMatch(/^io_uring on Linux \S+ \(\w+\), Node v\d+/);
    expect(out).toMatch(/^opcodes: \d+ of \d+ supported/m);
    expect(out).toMatch(/SQ entries/);
    expect(out).toMatch(/SQE -> NOP .*user_data: 1 \}/);
    expect(out).toMatch(/SQE -> READ .*len: 24, .*user_data: 2 \}/);
    expect(out).toMatch(/SQE -> TIMEOUT .*user_data: 3 \}/);
    expect(out).toMatch(/CQE <- NOP +\{ user_data: 1, res: 0,/);
    expect(out).toMatch(/CQE <- READ +\{ user_data: 2, res: 24, bytes: 24,/);
    expect(out).toMatch(/CQE <- TIMEOUT \{ user_data: 3, res: -62, error: 'ETIME',/);
    expect(out).toContain('the READ\'s bytes: "{\\n  \\"name\\": \\"tsuring\\",');
    expect(out).toMatch(/AsyncRing: a read of 64 bytes/);
    expect(out).toMatch(/million NOPs a second/);
  });

  it('01-nop completes one NOP with its user_data', () => {
    expect(run('01-nop.ts')).toBe('submitted 1; completion: userData 42, res 0\n');
  });

  it('02-read-file reads the first 64 bytes of a file in four reads', () => {
    const file = new URL('../LICENSE', import.meta.url).pathname;
    const out = run('02-read-file.ts', file);
    expect(out).toContain(`first 64 bytes of ${file}`);
    expect(out).toContain(JSON.stringify(readFileSync(file).subarray(0, 64).toString('utf8')));
  });

  // The lessons from 03 on. Each prints what happened; the tests check the
  // values (byte counts, results, errno names), and that the temporary files
  // an example makes are gone after it.

  /**
   * Runs an example with a temporary directory of its own (TMPDIR, which
   * os.tmpdir() follows), and checks the example left nothing in it. Other
   * runs sharing /tmp can't disturb the check.
   */
  function runClean(example: string, ...args: string[]): string {
    const tmp = mkdtempSync(join(tmpdir(), 'tsuring-examples-'));
    try {
      const out = runWith({ TMPDIR: tmp }, example, ...args);
      expect(readdirSync(tmp)).toEqual([]);
      return out;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The part of `out` from the line starting with `n.` to the next numbered line. */
  function part(out: string, n: number): string {
    const m = new RegExp(`^${n}\\. [\\s\\S]*?(?=^\\d+\\. |(?![\\s\\S]))`, 'm').exec(out);
    if (m === null) throw new Error(`no part ${n} in:\n${out}`);
    return m[0];
  }

  /** The first opcode of `ops` the kernel lacks, as the probe words it ('' when it has them all). */
  const missing = (...ops: number[]) => ops.map(opcodeMissing).find((w) => w !== '') ?? '';

  it('03-write-fsync: a WRITE linked to an FSYNC lands; on a read-only fd the WRITE fails and the FSYNC is cancelled', () => {
    const out = runClean('03-write-fsync.ts');
    const [ok, bad] = out.split('the same chain on a read-only fd:') as [string, string];
    expect(ok).toContain('WRITE linked to FSYNC: 2 entries in one submit');
    expect(ok).toMatch(/WRITE res 35 \(35 bytes written\)/);
    expect(ok).toMatch(/FSYNC res 0 /);
    expect(ok).toContain('the file holds "one line, on disk before we say so\\n"');
    expect(bad).toMatch(/WRITE res -9 \(-EBADF\)/);
    expect(bad).toMatch(/FSYNC res -125 \(-ECANCELED\)/);
  });

  it('04-link-cp copies a given file with linked READ/WRITE pairs, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsuring-examples-'));
    try {
      const src = join(dir, 'src');
      const dst = join(dir, 'dst');
      const data = randomBytes(300_000); // 4 full chunks of 64 KiB and a short one
      writeFileSync(src, data);
      const out = runClean('04-link-cp.ts', src, dst);
      expect(out).toContain('copied 300000 bytes in 5 chunks of up to 64 KiB, 4 pairs in flight, 0 queued again');
      expect(out).toContain('the copy is identical to the source');
      expect(readFileSync(dst).equals(data)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('04-link-cp with no arguments copies a file of its own and removes both', () => {
    const out = runClean('04-link-cp.ts');
    expect(out).toContain('copied 1049576 bytes in 17 chunks');
    expect(out).toContain('the copy is identical to the source');
  });

  it('05-timeouts: a TIMEOUT fires -ETIME; a counted one completes 0 after two NOPs; a LINK_TIMEOUT cancels a stuck READ', () => {
    const out = runClean('05-timeouts.ts');
    expect(part(out, 1)).toMatch(/TIMEOUT\s+res -62 \(-ETIME\)/);
    const counted = part(out, 2);
    expect(counted.match(/NOP\s+res 0\n/g)).toHaveLength(2);
    expect(counted).toMatch(/TIMEOUT\s+res 0\n/);
    const linked = part(out, 3);
    expect(linked).toMatch(/READ\s+res -125 \(-ECANCELED\)/);
    expect(linked).toMatch(/LINK_TIMEOUT res -62 \(-ETIME\)/);
  });

  it('06-cancel: by user_data (0), by fd with ALL (2), ANY (2), too late (-ENOENT), already running (-EALREADY, or 0)', () => {
    const out = runClean('06-cancel.ts');
    const one = part(out, 1);
    expect(one).toContain('(no completion: the requests are still waiting)');
    expect(one).toMatch(/ASYNC_CANCEL of 1\s+res 0\n/);
    expect(one).toMatch(/READ \(user_data 1\)\s+res -125 \(-ECANCELED\)/);
    const two = part(out, 2);
    expect(two).toMatch(/ASYNC_CANCEL fd, ALL\s+res 2\n/);
    expect(two.match(/READ \(user_data [23]\)\s+res -125 \(-ECANCELED\)/g)).toHaveLength(2);
    const three = part(out, 3);
    expect(three).toMatch(/ASYNC_CANCEL ANY\s+res 2\n/);
    expect(three).toMatch(/READ \(user_data 4\)\s+res -125 \(-ECANCELED\)/);
    expect(three).toMatch(/TIMEOUT \(user_data 5\)\s+res -125 \(-ECANCELED\)/);
    const four = part(out, 4);
    expect(four).toMatch(/NOP \(user_data 6\)\s+res 0\n/);
    expect(four).toMatch(/ASYNC_CANCEL of 6\s+res -2 \(-ENOENT\)/);
    // The OPENAT blocks in an io-wq worker: the cancel finds it running
    // (-EALREADY; the open then ends interrupted: -EINTR, -ERESTARTSYS as
    // 6.18 posts it, or -ECANCELED), or, had it not started yet, cancels it.
    const five = part(out, 5);
    const cancel = Number(/ASYNC_CANCEL of 7\s+res (-?\d+)/.exec(five)![1]);
    const open = Number(/OPENAT \(user_data 7\)\s+res (-?\d+)/.exec(five)![1]);
    if (cancel === -114) expect([-4, -512, -125]).toContain(open);
    else expect([cancel, open]).toEqual([0, -125]);
  });

  it('07-registered: READ_FIXED and WRITE_FIXED through file slot 0 and buffer 0; -EFAULT outside the buffer, -EBADF once unregistered', () => {
    const out = runClean('07-registered.ts');
    expect(out).toMatch(/registered file \d+ as slot 0, then closed fd \d+/);
    expect(out).toContain('READ_FIXED  (file slot 0, buffer 0): res 36 -> "registered files skip the fd lookup\\n"');
    expect(out).toContain('WRITE_FIXED (file slot 0, buffer 0): res 37; the file now reads "registered files skip the fd lookup\\nand fixed buffers skip the page pins\\n"');
    expect(out).toContain('READ_FIXED into memory outside buffer 0: res -14 (-EFAULT)');
    expect(out).toContain('READ_FIXED from file slot 0 after unregisterFiles: res -9 (-EBADF)');
  });

  it('08-provided-buffers: a multishot RECV takes buffers 0-3 with F_MORE, ends -ENOBUFS, and goes on in a recycled buffer', () => {
    const out = runClean('08-provided-buffers.ts');
    const why = missing(IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN);
    if (why) return void expect(out).toBe(`skipped: ${why}\n`);
    expect(out).toContain('buffer group 7: 4 buffers of 32 bytes');
    ['alpha', 'bravo', 'charlie', 'delta'].forEach((w, bid) => expect(out).toContain(`RECV res ${w.length}, buffer ${bid}, F_MORE: "${w}"`));
    expect(out).toContain('buffers left in the group: 0');
    expect(out).toContain('RECV res -105 (-ENOBUFS), no buffer, no F_MORE: the receive has ended');
    expect(out).toContain('gave back buffers 0, 1, 2, 3 (4 in the group)');
    expect(out).toContain('RECV res 4, buffer 0, F_MORE: "echo"');
    expect(out).toContain('RECV res 0 (end of stream), no buffer, no F_MORE: the receive has ended');
  });

  it('09-echo-server echoes each node:net client its line through acceptMultishot, recvMultishot and send', () => {
    const out = runClean('09-echo-server.ts', '4');
    const why = missing(IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN);
    if (why) return void expect(out).toBe(`skipped: ${why}\n`);
    for (let i = 1; i <= 4; i++) expect(out).toContain(`client sent "hello from client ${i}", got back "hello from client ${i}"\n`);
    expect(out).not.toContain('WRONG');
    expect(out).toContain('served 4 connections, echoed 76 bytes');
  });

  it('10-zero-copy-send: each SEND_ZC posts its result with F_MORE, then the F_NOTIF notification; the peer gets every byte', () => {
    const out = runClean('10-zero-copy-send.ts');
    const why = missing(IORING_OP_SOCKET, IORING_OP_SEND_ZC);
    if (why) return void expect(out).toBe(`skipped: ${why}\n`);
    const lines = out.split('\n').filter((l) => l.startsWith('  '));
    expect(lines.map((l) => l.trim().split(':')[0])).toEqual(['result', 'notification', 'result', 'notification']);
    expect(out.match(/result: res 16384 bytes sent, F_MORE: a notification follows/g)).toHaveLength(2);
    expect(out.match(/notification: F_NOTIF, the buffer is ours again/g)).toHaveLength(2);
    expect(out).toContain("the server received 32768 bytes: 16384 'A's then 16384 'B's, as sent");
  });

  it('11-sqpoll: submit() enters the kernel only while the SQ thread sleeps (NEED_WAKEUP)', () => {
    const out = runClean('11-sqpoll.ts');
    const why = ringUnavailable(8, { flags: IORING_SETUP_SQPOLL });
    if (why) return void expect(out).toMatch(/^the kernel refused an SQPOLL ring: /);
    for (const n of [1, 2, 3]) expect(out).toContain(`CQE: userData ${n}, res 0; the kernel thread moved the SQ head from ${n - 1} to ${n}`);
    // Just after a submit the thread is awake: the next one is a store to memory.
    expect(part(out, 2)).toContain('NEED_WAKEUP clear: the thread is awake\n   submit() only stored the new SQ tail: no system call');
    // After sq_thread_idle with no work it sleeps, and submit() wakes it.
    expect(part(out, 3)).toContain('NEED_WAKEUP set: the thread sleeps\n   submit() saw NEED_WAKEUP and called io_uring_enter(IORING_ENTER_SQ_WAKEUP)');
  });

  it('12-msg-ring-worker: the main ring and a worker\'s ring exchange numbers through MSG_RING', () => {
    const out = runClean('12-msg-ring-worker.ts');
    const why = missing(IORING_OP_MSG_RING);
    if (why) return void expect(out).toBe(`skipped: ${why}\n`);
    const answers = [...out.matchAll(/sent (\d) to the worker; it answered (\d+), len (\d+) \(the worker's threadId is (\d+)\)/g)];
    expect(answers.map((m) => [Number(m[1]), Number(m[2])])).toEqual([[1, 1], [2, 4], [3, 9]]);
    for (const m of answers) expect(m[3]).toBe(m[4]);
    expect(out).toContain('the worker closed its ring and exited with code 0');
  });

  it('13-futex: a FUTEX_WAIT on one ring sleeps through Atomics.notify, wakes on the other ring\'s FUTEX_WAKE, and is -EAGAIN on a changed word', () => {
    const out = runClean('13-futex.ts');
    const why = missing(IORING_OP_FUTEX_WAIT);
    if (why) return void expect(out).toBe(`skipped: ${why}\n`);
    expect(part(out, 1)).toContain('no completion: it sleeps in the kernel');
    expect(part(out, 2)).toContain('Atomics.notify on the word woke 0 waiters');
    expect(part(out, 2)).toContain('still asleep');
    expect(part(out, 3)).toContain('FUTEX_WAKE on the second ring: res 1 (waiters woken)');
    expect(part(out, 3)).toContain("the first ring's FUTEX_WAIT completed: res 0");
    expect(part(out, 4)).toContain('FUTEX_WAIT for 0 while the word holds 1: res -11 (-EAGAIN) at once');
  });

  it('14-async-tour: awaited I/O, a batch in one submit, AbortSignal, linked timeout, chain() and an async iterator', () => {
    const out = runClean('14-async-tour.ts');
    expect(part(out, 1)).toContain('write: 53 bytes; read: 53 bytes, the same bytes');
    expect(part(out, 2)).toContain('8 READs prepared before the first await, one submit for all; results 4 4 4 4 4 4 4 4: "io_uring from the event loop, a "');
    expect(part(out, 3)).toContain('rejected with AbortError');
    expect(part(out, 4)).toContain('rejected with ETIME from read');
    expect(part(out, 5)).toContain('chain WRITE -> FSYNC -> READ: [8, 0, 8], read back "chained\\n"');
    expect(part(out, 5)).toContain('on a read-only fd: [-EBADF, -ECANCELED]');
    const [major, minor] = release().split('.').map(Number) as [number, number];
    if (major < 6 || (major === 6 && minor < 4)) expect(part(out, 6)).toContain('skipped: IORING_TIMEOUT_MULTISHOT needs Linux 6.4');
    else expect(part(out, 6)).toContain('ticks 1, 2, 3');
  });

  it('15-sqe-words: two NOPs and a READ written as words, decoded as an encoder\'s READ, reaped from the CQ words', () => {
    const out = run('15-sqe-words.ts');
    expect(out).toMatch(/word {2}0 opcode\|flags\|ioprio 0x16\n/); // IORING_OP_READ, no flags
    expect(out).toMatch(/word {2}2 off {17}0xb\n/);
    expect(out).toMatch(/word {2}6 len {17}0x5\n/);
    expect(out).toMatch(/word {2}8 user_data {11}0x66\n/);
    expect(out).toContain('decoded: IORING_OP_READ off=11 len=5 user_data=102\n');
    expect(out).toContain('submitted 3\n  cqe user_data=100 res=0 flags=0\n  cqe user_data=101 res=0 flags=0\n  cqe user_data=102 res=5 flags=0\n');
    expect(out).toContain('read: "words"\n');
  });

  it('16-fs: tsuring/fs in place of node:fs/promises: the same file, positioned reads, Stats, error and mkdir -p, and its temp dir gone', () => {
    const out = runClean('16-fs.ts');
    expect(part(out, 1)).toContain('writeFile then readFile: "hello from the ring\\n" (20 bytes)');
    const fh = part(out, 2);
    expect(fh).toContain('read(buf, 0, 4, 6): 4 bytes, "from"');
    expect(fh).toContain('read({ length: 3, position: 11n }): 3 bytes, "the"');
    expect(fh).toContain('read at the file position, twice: "hello "'); // the positioned reads left it at 0
    expect(fh).toContain('read at the end of the file: 0 bytes');
    expect(fh).toContain('after close(): fd -1');
    const st = part(out, 3);
    expect(st).toMatch(/stat: size 20, isFile\(\) true, isDirectory\(\) false, mode 0o[0-7]{3}\n/);
    expect(st).toContain("the same fields as node:fs/promises' stat: true; mtime equal");
    expect(st).toContain("instanceof node:fs Stats: false (tsuring/fs's own class: true)");
    const err = part(out, 4);
    expect(err).toMatch(/readFile of a missing file: ENOENT: no such file or directory, open '\/\S+\/tsuring-16-\w+\/missing\.txt'\n/);
    expect(err).toContain('code ENOENT, errno -2, syscall open, path missing.txt');
    expect(err).toContain("the same as node:fs/promises' error: true");
    expect(part(out, 5)).toContain('mkdir a/b/c recursive: made from a; again: undefined');
    expect(part(out, 5)).toContain('readdir: a, hello.txt; a/b/c holds deep.txt');
    expect(part(out, 6)).toContain('rm -r the temp dir: gone');
  });

  const netWhy = missing(IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN);
  it.skipIf(netWhy !== '')(`17-http: an HTTP/1.1 keep-alive server on tsuring/net: three GETs on one connection, pipelined requests, Connection: close${netWhy ? ` (skipped: ${netWhy})` : ''}`, () => {
    expect(runClean('17-http.ts')).toBe([
      '1. listening on 127.0.0.1, family IPv4',
      '2. GET /a: 200 "hello\\n" reused=false',
      '2. GET /b: 200 "hello\\n" reused=true', // the same connection: keep-alive
      '2. GET /c: 200 "hello\\n" reused=true',
      '2. connections so far: 1',
      '3. pipelined: 3 responses, the last says close, then end of stream',
      '4. closed: 2 connections, 6 requests',
      '',
    ].join('\n'));
  });
});
