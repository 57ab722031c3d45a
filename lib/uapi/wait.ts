// waitid(2) constants (include/uapi/linux/wait.h), for IORING_OP_WAITID.

// idtype_t, include/uapi/linux/wait.h
/** waitid: any child */
export const P_ALL = 0;
/** waitid: the child with this pid */
export const P_PID = 1;
/** waitid: any child in this process group */
export const P_PGID = 2;
/** waitid: the child this pidfd names (Linux 5.4) */
export const P_PIDFD = 3;

// waitid(2) options, include/uapi/linux/wait.h
/** waitid: return at once if no child has changed state */
export const WNOHANG = 0x00000001;
/** waitid: report children stopped by a signal */
export const WSTOPPED = 0x00000002;
/** waitid: report children that exited */
export const WEXITED = 0x00000004;
/** waitid: report stopped children resumed by SIGCONT */
export const WCONTINUED = 0x00000008;
/** Report the child but leave it waitable (not reaped). */
export const WNOWAIT = 0x01000000;

// siginfo si_code values for SIGCHLD, include/uapi/asm-generic/siginfo.h
/** si_code: the child exited */
export const CLD_EXITED = 1;
/** si_code: the child was killed by a signal */
export const CLD_KILLED = 2;
/** si_code: the child was killed and dumped core */
export const CLD_DUMPED = 3;
/** si_code: a traced child trapped */
export const CLD_TRAPPED = 4;
/** si_code: the child stopped */
export const CLD_STOPPED = 5;
/** si_code: the stopped child continued */
export const CLD_CONTINUED = 6;
