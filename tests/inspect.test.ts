/**
 * Seeing inside the ring: ring.snapshot() and util.inspect(ring), and the
 * trace (ring.trace(listener) and TSURING_TRACE).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import {
  AsyncRing, IoUring, IORING_OP_NOP, IORING_OP_READ, IORING_OP_TIMEOUT, IORING_SETUP_COOP_TASKRUN, IORING_SETUP_TASKRUN_FLAG,
  prepNop, prepRead, prepTimeout, type TraceEvent,
} from '../lib/index.ts';
import { compiled } from './helpers.ts';

const rings: IoUring[] = [];
afterEach(() => {
  for (const r of rings.splice(0)) r.close();
});
function open(entries = 8, options = {}): IoUring {
  const r = new IoUring(entries, options);
  rings.push(r);
  return r;
}
function nops(ring: IoUring, n: number, from = 1): void {
  for (let i = 0; i < n; i++) {
    const s = ring.getSqe()!;
    prepNop(s);
    s.userData = from + i;
  }
}

describe('snapshot', () => {
  it.each(['shared', 'mmap'] as const)('follows the indices through prepare, submit and reap (%s rings)', (memory) => {
    const ring = open(8, { memory });
    let s = ring.snapshot();
    expect(s).toMatchObject({ fd: ring.fd, memory, closed: false, inFlight: 0, kept: 0 });
    expect(s.sq).toMatchObject({ head: 0, tail: 0, mask: 7, entries: 8, ready: 0, prepared: 0, dropped: 0 });
    expect(s.cq).toMatchObject({ head: 0, tail: 0, mask: 15, entries: 16, ready: 0, overflow: 0 });
    nops(ring, 3);
    expect(ring.snapshot().sq).toMatchObject({ tail: 0, prepared: 3 });
    ring.submit();
    s = ring.snapshot();
    expect(s.sq).toMatchObject({ head: 3, tail: 3, ready: 0, prepared: 0 });
    expect(s.cq).toMatchObject({ head: 0, tail: 3, ready: 3 });
    expect(s.inFlight).toBe(3);
    ring.cqAdvance(2);
    expect(ring.snapshot()).toMatchObject({ inFlight: 1, cq: { head: 2, ready: 1 } });
  });

  it('names the setup flags and features, and counts kept memory', () => {
    const ring = open(8, { flags: IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG });
    const s = ring.snapshot();
    expect(s.flags).toEqual(expect.arrayContaining(['COOP_TASKRUN', 'TASKRUN_FLAG']));
    expect(s.features).toContain('NODROP');
    const sqe = ring.getSqe()!;
    prepTimeout(sqe, 10_000);
    sqe.userData = 9;
    ring.submit();
    expect(ring.snapshot().kept).toBe(1); // the timespec, until the TIMEOUT's CQE
  });

  it('shows CQ_OVERFLOW when completions wait in the overflow list', () => {
    const ring = open(4); // a CQ of 8
    for (let k = 0; k < 4; k++) {
      nops(ring, 4, k * 4 + 1);
      ring.submit();
    }
    const s = ring.snapshot();
    expect(s.cq!.ready).toBe(8);
    expect(s.sq!.flags).toContain('CQ_OVERFLOW');
    while (ring.cqReady() > 0) {
      ring.cqAdvance(ring.cqReady());
      ring.getEvents(); // flush the overflow list into the CQ
    }
    expect(ring.snapshot().sq!.flags).not.toContain('CQ_OVERFLOW');
    expect(ring.snapshot().inFlight).toBe(0);
  });

  it('util.inspect shows it; a closed ring says so', () => {
    const ring = open(8);
    const text = inspect(ring);
    expect(text).toMatch(/^IoUring \{/);
    expect(text).toContain(`fd: ${ring.fd}`);
    expect(text).toMatch(/entries: 8/);
    ring.close();
    expect(ring.snapshot()).toMatchObject({ closed: true, sq: null, cq: null });
    expect(inspect(ring)).toContain('closed: true');
    expect(inspect({ nested: { deeper: ring } }, { depth: 0 })).toContain('[Object]');
  });
});

describe('trace', () => {
  it('reports each SQE at submit and each CQE at reap, decoded and named, in order', () => {
    const ring = open(8);
    const events: TraceEvent[] = [];
    ring.trace((e) => events.push(e));
    const buf = new Uint8Array(16);
    nops(ring, 1, 1);
    let s = ring.getSqe()!;
    prepRead(s, 0x7ffffff0, buf, 16, 0); // an fd no file has: EBADF
    s.userData = 2;
    expect(events).toEqual([]); // nothing before the submit
    ring.submitAndWait(2);
    expect(events.map((e) => [e.kind, e.entry.op, e.entry.user_data])).toEqual([
      ['sqe', 'IORING_OP_NOP', 1],
      ['sqe', 'IORING_OP_READ', 2],
    ]);
    expect(events[1]!.entry).toMatchObject({ opcode: IORING_OP_READ, fd: 0x7ffffff0, len: 16 });
    ring.cqAdvance(ring.cqReady());
    const cqes = events.slice(2);
    expect(cqes.map((e) => [e.kind, e.entry.op, e.entry.user_data, e.entry.res])).toEqual([
      ['cqe', 'IORING_OP_NOP', 1, 0],
      ['cqe', 'IORING_OP_READ', 2, -9],
    ]);
    expect(cqes[1]!.entry).toMatchObject({ error: 'EBADF' });
    for (const e of events) expect(e.ring).toBe(ring.fd);
    const times = events.map((e) => e.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Off again: nothing more.
    ring.trace(null);
    nops(ring, 1, 3);
    ring.submitAndWait(1);
    ring.cqAdvance(1);
    expect(events.length).toBe(4);
    expect(() => ring.trace('yes' as never)).toThrow(TypeError);
  });

  it('a CQE whose SQE was not traced has no operation name; a multishot-free ring forgets finished ones', () => {
    const ring = open(8);
    nops(ring, 1, 7);
    ring.submit();
    const events: TraceEvent[] = [];
    ring.trace((e) => events.push(e));
    ring.cqAdvance(1);
    expect(events).toHaveLength(1);
    expect(events[0]!.entry.user_data).toBe(7);
    expect(events[0]!.entry.op).toBeUndefined();
  });

  it('util.inspect of an AsyncRing shows its counts and its ring', async () => {
    const io = new AsyncRing({ entries: 8 });
    try {
      const t = io.timeout(5_000);
      const text = inspect(io);
      expect(text).toMatch(/^AsyncRing \{/);
      expect(text).toMatch(/pending: 1/);
      expect(text).toMatch(/waker: '(poll|doorbell)'/);
      expect(text).toContain(`fd: ${io.ring.fd}`);
      const rejected = expect(t).rejects.toMatchObject({ code: 'ECANCELED' }); // before close() settles it
      await io.close();
      await rejected;
      expect(inspect(io)).toMatch(/closed: true/);
    } finally {
      await io.close();
    }
  });

  it('sees what an AsyncRing submits and reaps', async () => {
    const io = new AsyncRing({ entries: 8 });
    const events: TraceEvent[] = [];
    io.ring.trace((e) => events.push(e));
    try {
      await Promise.all([io.nop(), io.timeout(1)]);
      const ops = events.filter((e) => e.entry.op === 'IORING_OP_NOP' || e.entry.op === 'IORING_OP_TIMEOUT');
      expect(ops.map((e) => `${e.kind} ${e.entry.opcode}`).sort()).toEqual([
        `cqe ${IORING_OP_NOP}`, `cqe ${IORING_OP_TIMEOUT}`, `sqe ${IORING_OP_NOP}`, `sqe ${IORING_OP_TIMEOUT}`,
      ]);
    } finally {
      await io.close();
    }
  });

  const nopExample = compiled('examples/01-nop.ts');

  it('TSURING_TRACE=1 prints a line per entry to stderr, the program\'s own output untouched', () => {
    const r = spawnSync(process.execPath, [nopExample], { encoding: 'utf8', env: { ...process.env, TSURING_TRACE: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('submitted 1; completion: userData 42, res 0\n');
    const lines = r.stderr.split('\n').filter((l) => / ms {2}ring /.test(l));
    expect(lines[0]).toMatch(/SQE -> IORING_OP_NOP .*user_data=42/);
    expect(lines[1]).toMatch(/CQE <- IORING_OP_NOP user_data=42 res=0/);
  });

  it('TSURING_TRACE=1 traces a program that imports only tsuring/fs', () => {
    const r = spawnSync(process.execPath, [compiled('examples/16-fs.ts')], { encoding: 'utf8', env: { ...process.env, TSURING_TRACE: '1' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/SQE -> IORING_OP_OPENAT .*open_flags=O_WRONLY\|O_CREAT\|O_TRUNC/);
    expect(r.stderr).toMatch(/CQE <- IORING_OP_WRITE /);
  });

  it('TSURING_TRACE=json prints JSON lines', () => {
    const r = spawnSync(process.execPath, [nopExample], { encoding: 'utf8', env: { ...process.env, TSURING_TRACE: 'json' } });
    expect(r.status).toBe(0);
    const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { kind: string; time: number; entry: Record<string, unknown> });
    expect(events[0]).toMatchObject({ kind: 'sqe', entry: { op: 'IORING_OP_NOP', user_data: 42 } });
    expect(events[1]).toMatchObject({ kind: 'cqe', entry: { op: 'IORING_OP_NOP', user_data: 42, res: 0 } });
    expect(typeof events[0]!.time).toBe('number');
  });

  it('a listener that throws does not break the ring: its error surfaces as uncaught, the ring goes on', () => {
    const script = `
      import { IoUring, prepNop } from ${JSON.stringify(compiled('lib/index.ts'))};
      const ring = new IoUring(8);
      process.on('uncaughtException', (e) => console.log('uncaught', e.message));
      ring.trace(() => { throw new Error('listener broke'); });
      for (let i = 0; i < 2; i++) { const s = ring.getSqe(); prepNop(s); s.userData = i + 1; }
      ring.submitAndWait(2);
      ring.cqAdvance(ring.cqReady());
      console.log('state', JSON.stringify(ring.snapshot().sq), ring.snapshot().inFlight);
      setTimeout(() => { ring.close(); console.log('closed', ring.isClosed); }, 10);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out).toContain('"head":2,"tail":2');
    expect(out).toMatch(/state .* 0\n/);
    expect(out).toContain('closed true');
    // Two NOPs in and out, then close()'s cancel and drain NOP in and out.
    expect(out.match(/uncaught listener broke/g)).toHaveLength(8);
  });
});
