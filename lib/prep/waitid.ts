// WAITID: waitid(2) as an io_uring operation, with the siginfo it fills.
//
// In Node, libuv owns the children of child_process.spawn: on SIGCHLD its
// loop calls waitpid() for each of them and emits 'exit'. A WAITID with
// WEXITED reaps the child first when it completes before the loop turns, and
// libuv then never sees the exit (waitpid says ECHILD, which libuv ignores):
// the ChildProcess never emits 'exit' and its handle stays open. Add WNOWAIT
// to watch a child libuv owns without reaping it.

import { IORING_OP_WAITID } from '../uapi/constants.ts';
import { checkBits32, checkFd, checkLength } from '../check.ts';
import { addressFor } from '../ring/memory.ts';
import type { Sqe } from '../ring/sqe.ts';
import { rw } from './rw.ts';
import { P_ALL, P_PID, P_PGID, P_PIDFD, WNOHANG, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, CLD_KILLED, CLD_DUMPED } from '../uapi/wait.ts';

/**
 * `siginfo_t` as waitid(2) fills it for SIGCHLD (include/uapi/asm-generic/
 * siginfo.h, 64-bit): 128 bytes (SI_MAX_SIZE), of which WAITID writes these.
 * @enum
 */
export const siginfo = Object.freeze({
  sizeof: 128,
  si_signo: 0, // int: SIGCHLD
  si_errno: 4, // int
  si_code: 8, // int: CLD_*
  si_pid: 16, // pid_t (the _sigchld union member starts at 16)
  si_uid: 20, // uid_t
  si_status: 24, // int: exit code, or the signal with CLD_KILLED / CLD_DUMPED
} as const);

/** The SIGCHLD fields of a siginfo buffer filled by WAITID. */
export interface Siginfo {
  /** `si_signo`: SIGCHLD. */
  signo: number;
  /** `si_errno`: 0. */
  errno: number;
  /** `si_code`: CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, ... */
  code: number;
  /** `si_pid`: the child. */
  pid: number;
  /** `si_uid`: the child's real user id. */
  uid: number;
  /** `si_status`: the exit code, or the signal that killed or stopped it. */
  status: number;
}

/** A zeroed 128-byte siginfo buffer for prepWaitid. */
export function makeSiginfo(): Uint8Array {
  return new Uint8Array(new ArrayBuffer(siginfo.sizeof));
}

/** Decodes the SIGCHLD fields of a siginfo buffer that WAITID filled. */
export function readSiginfo(infop: ArrayBufferView): Siginfo {
  addressFor(infop, siginfo.sizeof, 'infop');
  const dv = new DataView(infop.buffer, infop.byteOffset, siginfo.sizeof);
  return {
    signo: dv.getInt32(siginfo.si_signo, true),
    errno: dv.getInt32(siginfo.si_errno, true),
    code: dv.getInt32(siginfo.si_code, true),
    pid: dv.getInt32(siginfo.si_pid, true),
    uid: dv.getUint32(siginfo.si_uid, true),
    status: dv.getInt32(siginfo.si_status, true),
  };
}

/**
 * Prepare an `IORING_OP_WAITID`: waitid(2) for the children `idtype` and `id`
 * select (P_PID and a pid, P_PGID and a group, P_PIDFD and a pidfd, P_ALL),
 * for the changes in `options` (WEXITED, WSTOPPED, WCONTINUED, with WNOWAIT
 * or WNOHANG). res is 0 with `infop` filled (readSiginfo), or -ECHILD when
 * there is no such child (another waiter reaped it: see the note at the top
 * of this file). `infop` is a 128-byte buffer you pass, or one made here;
 * either way it is returned. `flags` must be 0.
 *
 * Lifetime: `infop` is kept referenced until the CQE is consumed.
 * @since Linux 6.7
 * @see io_uring_prep_waitid(3)
 */
export function prepWaitid(sqe: Sqe, idtype: number, id: number, infop: ArrayBufferView | undefined, options: number, flags = 0): ArrayBufferView {
  checkBits32(idtype, 'idtype');
  checkFd(id, 'id');
  checkBits32(options, 'options');
  checkBits32(flags, 'flags');
  const info = infop ?? makeSiginfo();
  const addr = addressFor(info, siginfo.sizeof, 'infop');
  rw(IORING_OP_WAITID, sqe, id, 0, idtype, addr); // fd: the id; len: the idtype; off (addr2): infop
  const u = sqe.u32;
  const w = sqe.w;
  u[w + 7] = flags; // waitid_flags
  u[w + 11] = options; // file_index: the waitid options
  sqe.keep(info);
  return info;
}
