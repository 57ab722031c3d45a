// waitid(2) constants (include/uapi/linux/wait.h), for IORING_OP_WAITID.

// idtype_t, include/uapi/linux/wait.h
export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;

// waitid(2) options, include/uapi/linux/wait.h
export const WNOHANG = 0x00000001;
export const WSTOPPED = 0x00000002;
export const WEXITED = 0x00000004;
export const WCONTINUED = 0x00000008;
/** Report the child but leave it waitable (not reaped). */
export const WNOWAIT = 0x01000000;

// siginfo si_code values for SIGCHLD, include/uapi/asm-generic/siginfo.h
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;
