/**
 * Tests for the encoder of lib/prep/waitid.ts and its siginfo.
 *
 * First the bytes each encoder writes (from a slot filled with 0xAB) and the
 * arguments each refuses without touching the slot; then each operation run
 * for real, checked by its effect. A test the kernel or the machine can't run
 * skips with the reason in its title.
 */
import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { IoUring, IORING_OP_WAITID, ERRNO } from '../lib/index.ts';
import { prepCancel } from '../lib/prep/cancel.ts';
import { makeSiginfo, prepWaitid, readSiginfo, siginfo } from '../lib/prep/waitid.ts';
import { CLD_EXITED, P_PID, WEXITED, WNOWAIT } from '../lib/uapi/wait.ts';
import {
  at, byUserData, expectFields, note, opcodeMissing, queue, reapN, reapQuiet, run, staleSqe, itWritesFields, type FieldRow, itRefusesBeforeWriting, type Refusal,
} from './helpers.ts';

// errno values (asm-generic), as CQE results.
const { ECHILD, ECANCELED } = ERRNO;

const SIGCHLD = 17;

// --------------------------------------------------------- bytes, by encoder

describe('encoders write the SQE', () => {
  const fd = 7;
  const info = makeSiginfo();
  const rows: FieldRow[] = [
    {
      name: 'prepWaitid',
      prep: (s) => prepWaitid(s, P_PID, 1234, info, WEXITED | WNOWAIT),
      want: { opcode: IORING_OP_WAITID, fd: 1234, len: P_PID, off: at(info), fileIndex: WEXITED | WNOWAIT },
      kept: 1,
    },
  ];

  itWritesFields(rows);

  it('prepWaitid with no infop makes a 128-byte siginfo, returns it and keeps it', () => {
    using ring = new IoUring(2);
    const sqe = staleSqe(ring);
    const made = prepWaitid(sqe, P_PID, 1, undefined, WEXITED);
    expect(made.byteLength).toBe(siginfo.sizeof);
    expectFields(sqe, { opcode: IORING_OP_WAITID, fd: 1, len: P_PID, off: at(made), fileIndex: WEXITED });
    expect(sqe.kept).toBe(1);
  });
});

// ------------------------------------------------------- refused arguments

describe('encoders refuse bad arguments before writing a byte', () => {
  const bad: Refusal[] = [
    ['prepWaitid: a 64-byte siginfo', (s) => prepWaitid(s, P_PID, 1, Buffer.alloc(64), WEXITED), RangeError],
    ['prepWaitid: id 2^31', (s) => prepWaitid(s, P_PID, 2 ** 31, undefined, WEXITED), RangeError],
  ];

  itRefusesBeforeWriting(bad);
});

// ------------------------------------------------------------------ waitid

describe('waitid', () => {
  const why = opcodeMissing(IORING_OP_WAITID);

  // The test runs synchronously from spawn to CQE, so libuv's loop (which
  // reaps its children on SIGCHLD) can't turn in between.
  it.skipIf(why)(`prepWaitid with WEXITED | WNOWAIT reports a child's exit and leaves it to libuv, which still emits 'exit'${note(why)}`, async () => {
    using ring = new IoUring(4);
    const child = spawn('sh', ['-c', 'exit 3']);
    const exited = once(child, 'exit');
    const info = makeSiginfo();
    expect(run(ring, (s) => prepWaitid(s, P_PID, child.pid!, info, WEXITED | WNOWAIT))).toEqual({ userData: 1, res: 0, flags: 0 });
    expect(readSiginfo(info)).toEqual({ signo: SIGCHLD, errno: 0, code: CLD_EXITED, pid: child.pid, uid: process.getuid!(), status: 3 });
    expect(await exited).toEqual([3, null]);
  });

  it.skipIf(why)(`prepWaitid with WEXITED reaps the child: status in the siginfo, then -ECHILD${note(why)}`, () => {
    using ring = new IoUring(4);
    const child = spawn('true');
    const pid = child.pid!;
    let info: ArrayBufferView | undefined;
    expect(run(ring, (s) => { info = prepWaitid(s, P_PID, pid, undefined, WEXITED); }).res).toBe(0);
    expect(readSiginfo(info!)).toMatchObject({ signo: SIGCHLD, code: CLD_EXITED, pid, status: 0 });
    expect(run(ring, (s) => prepWaitid(s, P_PID, pid, undefined, WEXITED)).res).toBe(-ECHILD);
    // libuv's waitpid() now gets ECHILD, which it ignores: this ChildProcess
    // never emits 'exit'. Unref it so its handle doesn't hold the loop.
    child.unref();
  });

  it.skipIf(why)(`prepCancel ends a prepWaitid for a child still running with -ECANCELED${note(why)}`, async () => {
    using ring = new IoUring(4);
    const child = spawn('sleep', ['30']);
    const exited = once(child, 'exit');
    try {
      queue(ring, (s) => prepWaitid(s, P_PID, child.pid!, undefined, WEXITED), 1);
      ring.submit();
      expect(reapQuiet(ring)).toEqual([]);
      queue(ring, (s) => prepCancel(s, 1), 2);
      ring.submit();
      // As for futexes, the cancel's res is the count removed (6.18).
      expect(reapN(ring, 2).sort(byUserData)).toEqual([{ userData: 1, res: -ECANCELED, flags: 0 }, { userData: 2, res: 1, flags: 0 }]);
    } finally {
      child.kill();
    }
    expect(await exited).toEqual([null, 'SIGTERM']); // libuv reaped it: the WAITID took nothing
  });
});
