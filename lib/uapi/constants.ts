/**
 * io_uring UAPI constants.
 *
 * Pinned revision: the kernel's include/uapi/linux/io_uring.h as carried by
 * liburing at commit 3891a21ffec618a160f026eeb15bb2ad4e2b9202 (2026-04-28),
 * file src/include/liburing/io_uring.h. The last sections also cover the two
 * sub-headers that header refers to, src/include/liburing/io_uring/query.h and
 * src/include/liburing/io_uring/bpf_filter.h at the same commit, plus
 * LIBURING_UDATA_TIMEOUT from src/include/liburing.h.
 *
 * Every value is written out as a literal (no TypeScript enums). Names keep the
 * kernel's spelling so they can be grepped against the C headers. Values that
 * are 32-bit unsigned with the top bit set are written as positive numbers
 * (0x80000000). Values that do not fit in a double exactly are bigints.
 */

// ---------------------------------------------------------------------------
// sqe->attr_type_mask: which attribute structs sqe->attr_ptr points at
// ---------------------------------------------------------------------------

/** attr_ptr carries a struct io_uring_attr_pi (protection information) */
export const IORING_RW_ATTR_FLAG_PI = 0x1;

// ---------------------------------------------------------------------------
// sqe->file_index
// ---------------------------------------------------------------------------

/** ask the kernel to pick a free direct-descriptor slot (~0U) */
export const IORING_FILE_INDEX_ALLOC = 0xffffffff;

// ---------------------------------------------------------------------------
// sqe->flags: bit numbers (enum io_uring_sqe_flags_bit) ...
// ---------------------------------------------------------------------------

/** bit number of {@link IOSQE_FIXED_FILE} */
export const IOSQE_FIXED_FILE_BIT = 0;
/** bit number of {@link IOSQE_IO_DRAIN} */
export const IOSQE_IO_DRAIN_BIT = 1;
/** bit number of {@link IOSQE_IO_LINK} */
export const IOSQE_IO_LINK_BIT = 2;
/** bit number of {@link IOSQE_IO_HARDLINK} */
export const IOSQE_IO_HARDLINK_BIT = 3;
/** bit number of {@link IOSQE_ASYNC} */
export const IOSQE_ASYNC_BIT = 4;
/** bit number of {@link IOSQE_BUFFER_SELECT} */
export const IOSQE_BUFFER_SELECT_BIT = 5;
/** bit number of {@link IOSQE_CQE_SKIP_SUCCESS} */
export const IOSQE_CQE_SKIP_SUCCESS_BIT = 6;

// ... and the corresponding masks
/** sqe->fd is an index into the registered file table */
export const IOSQE_FIXED_FILE = 0x1;
/** wait for all earlier requests to finish before starting this one */
export const IOSQE_IO_DRAIN = 0x2;
/** chain the next sqe after this one */
export const IOSQE_IO_LINK = 0x4;
/** chain the next sqe; the chain survives a failure of this one */
export const IOSQE_IO_HARDLINK = 0x8;
/** punt straight to an async worker */
export const IOSQE_ASYNC = 0x10;
/** pick a provided buffer from group sqe->buf_group */
export const IOSQE_BUFFER_SELECT = 0x20;
/** post no CQE when the request succeeds */
export const IOSQE_CQE_SKIP_SUCCESS = 0x40;

// ---------------------------------------------------------------------------
// io_uring_params->flags (io_uring_setup(2))
// ---------------------------------------------------------------------------

/** busy-poll for completions */
export const IORING_SETUP_IOPOLL = 0x1;
/** kernel thread polls the SQ */
export const IORING_SETUP_SQPOLL = 0x2;
/** sq_thread_cpu is meaningful */
export const IORING_SETUP_SQ_AFF = 0x4;
/** cq_entries is meaningful */
export const IORING_SETUP_CQSIZE = 0x8;
/** clamp ring sizes instead of failing */
export const IORING_SETUP_CLAMP = 0x10;
/** share io-wq of ring wq_fd */
export const IORING_SETUP_ATTACH_WQ = 0x20;
/** created disabled; enable via REGISTER_ENABLE_RINGS */
export const IORING_SETUP_R_DISABLED = 0x40;
/** keep submitting after a failed sqe */
export const IORING_SETUP_SUBMIT_ALL = 0x80;
/** no IPI for task work */
export const IORING_SETUP_COOP_TASKRUN = 0x100;
/** raise IORING_SQ_TASKRUN when task work pends */
export const IORING_SETUP_TASKRUN_FLAG = 0x200;
/** 128-byte SQEs */
export const IORING_SETUP_SQE128 = 0x400;
/** 32-byte CQEs */
export const IORING_SETUP_CQE32 = 0x800;
/** one task submits */
export const IORING_SETUP_SINGLE_ISSUER = 0x1000;
/** run task work only when waiting */
export const IORING_SETUP_DEFER_TASKRUN = 0x2000;
/** app supplies ring memory */
export const IORING_SETUP_NO_MMAP = 0x4000;
/** return a registered ring index, not an fd */
export const IORING_SETUP_REGISTERED_FD_ONLY = 0x8000;
/** no SQ index indirection array */
export const IORING_SETUP_NO_SQARRAY = 0x10000;
/** hybrid (sleep then poll) iopoll */
export const IORING_SETUP_HYBRID_IOPOLL = 0x20000;
/** 16- and 32-byte CQEs on one ring */
export const IORING_SETUP_CQE_MIXED = 0x40000;
/** 64- and 128-byte SQEs on one ring */
export const IORING_SETUP_SQE_MIXED = 0x80000;
/** SQEs always fetched from index 0 */
export const IORING_SETUP_SQ_REWIND = 0x100000;

// ---------------------------------------------------------------------------
// sqe->opcode (enum io_uring_op)
// ---------------------------------------------------------------------------

/** Prepared by {@link prepNop} (io_uring_prep_nop(3)); Linux 5.1. */
export const IORING_OP_NOP = 0;
/** Prepared by {@link prepReadv} (io_uring_prep_readv(3)); Linux 5.1. */
export const IORING_OP_READV = 1;
/** Prepared by {@link prepWritev} (io_uring_prep_writev(3)); Linux 5.1. */
export const IORING_OP_WRITEV = 2;
/** Prepared by {@link prepFsync} (io_uring_prep_fsync(3)); Linux 5.1. */
export const IORING_OP_FSYNC = 3;
/** Prepared by {@link prepReadFixed} (io_uring_prep_read_fixed(3)); Linux 5.1. */
export const IORING_OP_READ_FIXED = 4;
/** Prepared by {@link prepWriteFixed} (io_uring_prep_write_fixed(3)); Linux 5.1. */
export const IORING_OP_WRITE_FIXED = 5;
/** Prepared by {@link prepPollAdd} (io_uring_prep_poll_add(3)); Linux 5.1. */
export const IORING_OP_POLL_ADD = 6;
/** Prepared by {@link prepPollRemove} (io_uring_prep_poll_remove(3)); Linux 5.1. */
export const IORING_OP_POLL_REMOVE = 7;
/** Prepared by {@link prepSyncFileRange} (io_uring_prep_sync_file_range(3)); Linux 5.2. */
export const IORING_OP_SYNC_FILE_RANGE = 8;
/** Prepared by {@link prepSendmsg} (io_uring_prep_sendmsg(3)); Linux 5.3. */
export const IORING_OP_SENDMSG = 9;
/** Prepared by {@link prepRecvmsg} (io_uring_prep_recvmsg(3)); Linux 5.3. */
export const IORING_OP_RECVMSG = 10;
/** Prepared by {@link prepTimeout} (io_uring_prep_timeout(3)); Linux 5.4. */
export const IORING_OP_TIMEOUT = 11;
/** Prepared by {@link prepTimeoutRemove} (io_uring_prep_timeout_remove(3)); Linux 5.5. */
export const IORING_OP_TIMEOUT_REMOVE = 12;
/** Prepared by {@link prepAccept} (io_uring_prep_accept(3)); Linux 5.5. */
export const IORING_OP_ACCEPT = 13;
/** Prepared by {@link prepCancel} (io_uring_prep_cancel(3)); Linux 5.5. */
export const IORING_OP_ASYNC_CANCEL = 14;
/** Prepared by {@link prepLinkTimeout} (io_uring_prep_link_timeout(3)); Linux 5.5. */
export const IORING_OP_LINK_TIMEOUT = 15;
/** Prepared by {@link prepConnect} (io_uring_prep_connect(3)); Linux 5.5. */
export const IORING_OP_CONNECT = 16;
/** Prepared by {@link prepFallocate} (io_uring_prep_fallocate(3)); Linux 5.6. */
export const IORING_OP_FALLOCATE = 17;
/** Prepared by {@link prepOpenat} (io_uring_prep_openat(3)); Linux 5.6. */
export const IORING_OP_OPENAT = 18;
/** Prepared by {@link prepClose} (io_uring_prep_close(3)); Linux 5.6. */
export const IORING_OP_CLOSE = 19;
/** Prepared by {@link prepFilesUpdate} (io_uring_prep_files_update(3)); Linux 5.6. */
export const IORING_OP_FILES_UPDATE = 20;
/** Prepared by {@link prepStatx} (io_uring_prep_statx(3)); Linux 5.6. */
export const IORING_OP_STATX = 21;
/** Prepared by {@link prepRead} (io_uring_prep_read(3)); Linux 5.6. */
export const IORING_OP_READ = 22;
/** Prepared by {@link prepWrite} (io_uring_prep_write(3)); Linux 5.6. */
export const IORING_OP_WRITE = 23;
/** Prepared by {@link prepFadvise} (io_uring_prep_fadvise(3)); Linux 5.6. */
export const IORING_OP_FADVISE = 24;
/** Prepared by {@link prepMadvise} (io_uring_prep_madvise(3)); Linux 5.6. */
export const IORING_OP_MADVISE = 25;
/** Prepared by {@link prepSend} (io_uring_prep_send(3)); Linux 5.6. */
export const IORING_OP_SEND = 26;
/** Prepared by {@link prepRecv} (io_uring_prep_recv(3)); Linux 5.6. */
export const IORING_OP_RECV = 27;
/** Prepared by {@link prepOpenat2} (io_uring_prep_openat2(3)); Linux 5.6. */
export const IORING_OP_OPENAT2 = 28;
/** Prepared by {@link prepEpollCtl} (io_uring_prep_epoll_ctl(3)); Linux 5.6. */
export const IORING_OP_EPOLL_CTL = 29;
/** Prepared by {@link prepSplice} (io_uring_prep_splice(3)); Linux 5.7. */
export const IORING_OP_SPLICE = 30;
/** Prepared by {@link prepProvideBuffers} (io_uring_prep_provide_buffers(3)); Linux 5.7. */
export const IORING_OP_PROVIDE_BUFFERS = 31;
/** Prepared by {@link prepRemoveBuffers} (io_uring_prep_remove_buffers(3)); Linux 5.7. */
export const IORING_OP_REMOVE_BUFFERS = 32;
/** Prepared by {@link prepTee} (io_uring_prep_tee(3)); Linux 5.8. */
export const IORING_OP_TEE = 33;
/** Prepared by {@link prepShutdown} (io_uring_prep_shutdown(3)); Linux 5.11. */
export const IORING_OP_SHUTDOWN = 34;
/** Prepared by {@link prepRenameat} (io_uring_prep_renameat(3)); Linux 5.11. */
export const IORING_OP_RENAMEAT = 35;
/** Prepared by {@link prepUnlinkat} (io_uring_prep_unlinkat(3)); Linux 5.11. */
export const IORING_OP_UNLINKAT = 36;
/** Prepared by {@link prepMkdirat} (io_uring_prep_mkdirat(3)); Linux 5.15. */
export const IORING_OP_MKDIRAT = 37;
/** Prepared by {@link prepSymlinkat} (io_uring_prep_symlinkat(3)); Linux 5.15. */
export const IORING_OP_SYMLINKAT = 38;
/** Prepared by {@link prepLinkat} (io_uring_prep_linkat(3)); Linux 5.15. */
export const IORING_OP_LINKAT = 39;
/** Prepared by {@link prepMsgRing} (io_uring_prep_msg_ring(3)); Linux 5.18. */
export const IORING_OP_MSG_RING = 40;
/** Prepared by {@link prepFsetxattr} (io_uring_prep_fsetxattr(3)); Linux 5.19. */
export const IORING_OP_FSETXATTR = 41;
/** Prepared by {@link prepSetxattr} (io_uring_prep_setxattr(3)); Linux 5.19. */
export const IORING_OP_SETXATTR = 42;
/** Prepared by {@link prepFgetxattr} (io_uring_prep_fgetxattr(3)); Linux 5.19. */
export const IORING_OP_FGETXATTR = 43;
/** Prepared by {@link prepGetxattr} (io_uring_prep_getxattr(3)); Linux 5.19. */
export const IORING_OP_GETXATTR = 44;
/** Prepared by {@link prepSocket} (io_uring_prep_socket(3)); Linux 5.19. */
export const IORING_OP_SOCKET = 45;
/** Prepared by {@link prepUringCmd} (io_uring_prep_uring_cmd(3)); Linux 5.19. */
export const IORING_OP_URING_CMD = 46;
/** Prepared by {@link prepSendZc} (io_uring_prep_send_zc(3)); Linux 6.0. */
export const IORING_OP_SEND_ZC = 47;
/** Prepared by {@link prepSendmsgZc} (io_uring_prep_sendmsg_zc(3)); Linux 6.1. */
export const IORING_OP_SENDMSG_ZC = 48;
/** Prepared by {@link prepReadMultishot} (io_uring_prep_read_multishot(3)); Linux 6.7. */
export const IORING_OP_READ_MULTISHOT = 49;
/** Prepared by {@link prepWaitid} (io_uring_prep_waitid(3)); Linux 6.7. */
export const IORING_OP_WAITID = 50;
/** Prepared by {@link prepFutexWait} (io_uring_prep_futex_wait(3)); Linux 6.7. */
export const IORING_OP_FUTEX_WAIT = 51;
/** Prepared by {@link prepFutexWake} (io_uring_prep_futex_wake(3)); Linux 6.7. */
export const IORING_OP_FUTEX_WAKE = 52;
/** Prepared by {@link prepFutexWaitv} (io_uring_prep_futex_waitv(3)); Linux 6.7. */
export const IORING_OP_FUTEX_WAITV = 53;
/** Prepared by {@link prepFixedFdInstall} (io_uring_prep_fixed_fd_install(3)); Linux 6.8. */
export const IORING_OP_FIXED_FD_INSTALL = 54;
/** Prepared by {@link prepFtruncate} (io_uring_prep_ftruncate(3)); Linux 6.9. */
export const IORING_OP_FTRUNCATE = 55;
/** Prepared by {@link prepBind} (io_uring_prep_bind(3)); Linux 6.11. */
export const IORING_OP_BIND = 56;
/** Prepared by {@link prepListen} (io_uring_prep_listen(3)); Linux 6.11. */
export const IORING_OP_LISTEN = 57;
/** Prepared by {@link prepRecvZc} (io_uring_prep_recv_zc(3)); Linux 6.15. */
export const IORING_OP_RECV_ZC = 58;
/** Prepared by {@link prepEpollWait} (io_uring_prep_epoll_wait(3)); Linux 6.15. */
export const IORING_OP_EPOLL_WAIT = 59;
/** Prepared by {@link prepReadvFixed} (io_uring_prep_readv_fixed(3)); Linux 6.15. */
export const IORING_OP_READV_FIXED = 60;
/** Prepared by {@link prepWritevFixed} (io_uring_prep_writev_fixed(3)); Linux 6.15. */
export const IORING_OP_WRITEV_FIXED = 61;
/** Prepared by {@link prepPipe} (io_uring_prep_pipe(3)); Linux 6.16. */
export const IORING_OP_PIPE = 62;
/** Prepared by {@link prepNop128} (io_uring_prep_nop128(3)); Linux 6.19. */
export const IORING_OP_NOP128 = 63;
/** Prepared by {@link prepUringCmd128} (io_uring_prep_uring_cmd128(3)); Linux 6.19. */
export const IORING_OP_URING_CMD128 = 64;
/** one past the highest opcode known to this header */
export const IORING_OP_LAST = 65;

/** Opcode number -> name without the IORING_OP_ prefix. */
export const IORING_OP_NAMES: readonly string[] = Object.freeze([
  'NOP', // 0
  'READV',
  'WRITEV',
  'FSYNC',
  'READ_FIXED',
  'WRITE_FIXED', // 5
  'POLL_ADD',
  'POLL_REMOVE',
  'SYNC_FILE_RANGE',
  'SENDMSG',
  'RECVMSG', // 10
  'TIMEOUT',
  'TIMEOUT_REMOVE',
  'ACCEPT',
  'ASYNC_CANCEL',
  'LINK_TIMEOUT', // 15
  'CONNECT',
  'FALLOCATE',
  'OPENAT',
  'CLOSE',
  'FILES_UPDATE', // 20
  'STATX',
  'READ',
  'WRITE',
  'FADVISE',
  'MADVISE', // 25
  'SEND',
  'RECV',
  'OPENAT2',
  'EPOLL_CTL',
  'SPLICE', // 30
  'PROVIDE_BUFFERS',
  'REMOVE_BUFFERS',
  'TEE',
  'SHUTDOWN',
  'RENAMEAT', // 35
  'UNLINKAT',
  'MKDIRAT',
  'SYMLINKAT',
  'LINKAT',
  'MSG_RING', // 40
  'FSETXATTR',
  'SETXATTR',
  'FGETXATTR',
  'GETXATTR',
  'SOCKET', // 45
  'URING_CMD',
  'SEND_ZC',
  'SENDMSG_ZC',
  'READ_MULTISHOT',
  'WAITID', // 50
  'FUTEX_WAIT',
  'FUTEX_WAKE',
  'FUTEX_WAITV',
  'FIXED_FD_INSTALL',
  'FTRUNCATE', // 55
  'BIND',
  'LISTEN',
  'RECV_ZC',
  'EPOLL_WAIT',
  'READV_FIXED', // 60
  'WRITEV_FIXED',
  'PIPE',
  'NOP128',
  'URING_CMD128', // 64
]);

// ---------------------------------------------------------------------------
// sqe->uring_cmd_flags (the top 8 bits are reserved for the kernel)
// ---------------------------------------------------------------------------

/** the command uses the registered buffer sqe->buf_index */
export const IORING_URING_CMD_FIXED = 0x1;
/** all flags userspace may set */
export const IORING_URING_CMD_MASK = 0x1;

// ---------------------------------------------------------------------------
// sqe->fsync_flags
// ---------------------------------------------------------------------------

/** fdatasync() semantics */
export const IORING_FSYNC_DATASYNC = 0x1;

// ---------------------------------------------------------------------------
// sqe->timeout_flags
// ---------------------------------------------------------------------------

/** absolute deadline, not relative */
export const IORING_TIMEOUT_ABS = 0x1;
/** TIMEOUT_REMOVE updates a timeout */
export const IORING_TIMEOUT_UPDATE = 0x2;
/** use CLOCK_BOOTTIME */
export const IORING_TIMEOUT_BOOTTIME = 0x4;
/** use CLOCK_REALTIME */
export const IORING_TIMEOUT_REALTIME = 0x8;
/** TIMEOUT_REMOVE updates a linked timeout */
export const IORING_LINK_TIMEOUT_UPDATE = 0x10;
/** expiry counts as success */
export const IORING_TIMEOUT_ETIME_SUCCESS = 0x20;
/** re-arming timeout */
export const IORING_TIMEOUT_MULTISHOT = 0x40;
/** sqe->addr holds nanoseconds, not a timespec pointer */
export const IORING_TIMEOUT_IMMEDIATE_ARG = 0x80;
/** BOOTTIME | REALTIME */
export const IORING_TIMEOUT_CLOCK_MASK = 0xc;
/** UPDATE | LINK_TIMEOUT_UPDATE */
export const IORING_TIMEOUT_UPDATE_MASK = 0x12;

// ---------------------------------------------------------------------------
// sqe->splice_flags (on top of the splice(2) SPLICE_F_* flags)
// ---------------------------------------------------------------------------

/** splice_fd_in is a registered file index (bit 31) */
export const SPLICE_F_FD_IN_FIXED = 0x80000000;

// ---------------------------------------------------------------------------
// sqe->len for IORING_OP_POLL_ADD / POLL_REMOVE (poll_events holds the mask)
// ---------------------------------------------------------------------------

/** multishot poll */
export const IORING_POLL_ADD_MULTI = 0x1;
/** update the event mask of an existing poll */
export const IORING_POLL_UPDATE_EVENTS = 0x2;
/** update user_data of an existing poll */
export const IORING_POLL_UPDATE_USER_DATA = 0x4;
/** level-triggered */
export const IORING_POLL_ADD_LEVEL = 0x8;

// ---------------------------------------------------------------------------
// sqe->cancel_flags (IORING_OP_ASYNC_CANCEL, IORING_REGISTER_SYNC_CANCEL)
// ---------------------------------------------------------------------------

/** cancel every match, not just the first */
export const IORING_ASYNC_CANCEL_ALL = 0x1;
/** match on fd instead of user_data */
export const IORING_ASYNC_CANCEL_FD = 0x2;
/** match any request */
export const IORING_ASYNC_CANCEL_ANY = 0x4;
/** fd is a registered file index */
export const IORING_ASYNC_CANCEL_FD_FIXED = 0x8;
/** match on user_data (the default) */
export const IORING_ASYNC_CANCEL_USERDATA = 0x10;
/** match on opcode */
export const IORING_ASYNC_CANCEL_OP = 0x20;

// ---------------------------------------------------------------------------
// sqe->ioprio for send/sendmsg/recv/recvmsg (and their _ZC variants)
// ---------------------------------------------------------------------------

/** arm poll before trying the transfer */
export const IORING_RECVSEND_POLL_FIRST = 0x1;
/** multishot recv */
export const IORING_RECV_MULTISHOT = 0x2;
/** use registered buffer sqe->buf_index */
export const IORING_RECVSEND_FIXED_BUF = 0x4;
/** report copy fallback in the notification CQE */
export const IORING_SEND_ZC_REPORT_USAGE = 0x8;
/** consume several provided buffers at once */
export const IORING_RECVSEND_BUNDLE = 0x10;
/** SEND/SEND_ZC take an iovec array */
export const IORING_SEND_VECTORIZED = 0x20;

// ---------------------------------------------------------------------------
// cqe->res of an IORING_CQE_F_NOTIF completion (with SEND_ZC_REPORT_USAGE)
// ---------------------------------------------------------------------------

/** data was (at least partly) copied instead of sent zero-copy (bit 31) */
export const IORING_NOTIF_USAGE_ZC_COPIED = 0x80000000;

// ---------------------------------------------------------------------------
// sqe->ioprio for IORING_OP_ACCEPT
// ---------------------------------------------------------------------------

/** multishot accept */
export const IORING_ACCEPT_MULTISHOT = 0x1;
/** fail with -EAGAIN instead of waiting */
export const IORING_ACCEPT_DONTWAIT = 0x2;
/** arm poll before the first attempt */
export const IORING_ACCEPT_POLL_FIRST = 0x4;

// ---------------------------------------------------------------------------
// sqe->addr for IORING_OP_MSG_RING: command type (enum io_uring_msg_ring_flags)
// ---------------------------------------------------------------------------

/** post a CQE with res = sqe->len and user_data = sqe->off */
export const IORING_MSG_DATA = 0;
/** pass a registered file to the target ring */
export const IORING_MSG_SEND_FD = 1;

// ---------------------------------------------------------------------------
// sqe->msg_ring_flags
// ---------------------------------------------------------------------------

/** no CQE in the target ring (not for IORING_MSG_DATA) */
export const IORING_MSG_RING_CQE_SKIP = 0x1;
/** sqe->file_index is copied to the target cqe->flags */
export const IORING_MSG_RING_FLAGS_PASS = 0x2;

// ---------------------------------------------------------------------------
// sqe->install_fd_flags (IORING_OP_FIXED_FD_INSTALL)
// ---------------------------------------------------------------------------

/** installed fd is not O_CLOEXEC */
export const IORING_FIXED_FD_NO_CLOEXEC = 0x1;

// ---------------------------------------------------------------------------
// sqe->nop_flags (IORING_OP_NOP)
// ---------------------------------------------------------------------------

/** complete with the result given in the sqe */
export const IORING_NOP_INJECT_RESULT = 0x1;
/** post a 32-byte CQE */
export const IORING_NOP_CQE32 = 0x20;

// ---------------------------------------------------------------------------
// cqe->flags
// ---------------------------------------------------------------------------

/** upper 16 bits hold the buffer id */
export const IORING_CQE_F_BUFFER = 0x1;
/** the request will post more CQEs */
export const IORING_CQE_F_MORE = 0x2;
/** socket still has data after this recv */
export const IORING_CQE_F_SOCK_NONEMPTY = 0x4;
/** zero-copy send notification */
export const IORING_CQE_F_NOTIF = 0x8;
/** incrementally consumed buffer stays in use */
export const IORING_CQE_F_BUF_MORE = 0x10;
/** filler entry; ignore it */
export const IORING_CQE_F_SKIP = 0x20;
/** 32-byte CQE on a CQE_MIXED ring */
export const IORING_CQE_F_32 = 0x8000;

/** shift of the buffer id within cqe->flags */
export const IORING_CQE_BUFFER_SHIFT = 16;

// ---------------------------------------------------------------------------
// mmap(2) offsets on the ring fd (0ULL etc. in C; all fit in a number)
// ---------------------------------------------------------------------------

/** mmap offset of the SQ ring (head, tail, flags, the index array) */
export const IORING_OFF_SQ_RING = 0;
/** mmap offset of the CQ ring (head, tail, the CQEs); the SQ ring's mapping on IORING_FEAT_SINGLE_MMAP kernels */
export const IORING_OFF_CQ_RING = 0x8000000;
/** mmap offset of the SQE array */
export const IORING_OFF_SQES = 0x10000000;
/** base offset for a kernel-allocated buffer ring; OR in (bgid << IORING_OFF_PBUF_SHIFT) */
export const IORING_OFF_PBUF_RING = 0x80000000;
/** shift of the buffer group id within an IORING_OFF_PBUF_RING offset */
export const IORING_OFF_PBUF_SHIFT = 16;
/** the bits of an mmap offset that select which region it maps */
export const IORING_OFF_MMAP_MASK = 0xf8000000;

// ---------------------------------------------------------------------------
// sq_ring->flags (at sq_off.flags)
// ---------------------------------------------------------------------------

/** SQPOLL thread sleeps; enter with SQ_WAKEUP */
export const IORING_SQ_NEED_WAKEUP = 0x1;
/** completions are waiting in the overflow list */
export const IORING_SQ_CQ_OVERFLOW = 0x2;
/** task work is pending; enter the kernel */
export const IORING_SQ_TASKRUN = 0x4;

// ---------------------------------------------------------------------------
// cq_ring->flags (at cq_off.flags)
// ---------------------------------------------------------------------------

/** suppress eventfd notifications */
export const IORING_CQ_EVENTFD_DISABLED = 0x1;

// ---------------------------------------------------------------------------
// io_uring_enter(2) flags
// ---------------------------------------------------------------------------

/** wait for min_complete completions */
export const IORING_ENTER_GETEVENTS = 0x1;
/** wake the SQPOLL thread */
export const IORING_ENTER_SQ_WAKEUP = 0x2;
/** wait for SQ space (SQPOLL) */
export const IORING_ENTER_SQ_WAIT = 0x4;
/** arg is struct io_uring_getevents_arg */
export const IORING_ENTER_EXT_ARG = 0x8;
/** fd is a registered ring index */
export const IORING_ENTER_REGISTERED_RING = 0x10;
/** the timeout is absolute */
export const IORING_ENTER_ABS_TIMER = 0x20;
/** arg is an offset into the registered wait region */
export const IORING_ENTER_EXT_ARG_REG = 0x40;
/** do not account the wait as iowait */
export const IORING_ENTER_NO_IOWAIT = 0x80;

// ---------------------------------------------------------------------------
// io_uring_params->features (set by the kernel)
// ---------------------------------------------------------------------------

/** the SQ and CQ rings share one mapping (Linux 5.4) */
export const IORING_FEAT_SINGLE_MMAP = 0x1;
/** CQEs are never dropped: overflowed ones wait in the kernel (Linux 5.5) */
export const IORING_FEAT_NODROP = 0x2;
/** an SQE's data is consumed by the time submit returns (Linux 5.5) */
export const IORING_FEAT_SUBMIT_STABLE = 0x4;
/** an offset of -1 on read/write means the file position (Linux 5.6) */
export const IORING_FEAT_RW_CUR_POS = 0x8;
/** requests run with the submitter's credentials at submit time (Linux 5.6) */
export const IORING_FEAT_CUR_PERSONALITY = 0x10;
/** a request that would block is retried on readiness, not on a worker (Linux 5.7) */
export const IORING_FEAT_FAST_POLL = 0x20;
/** POLL_ADD takes 32-bit event masks (EPOLLEXCLUSIVE and friends) (Linux 5.9) */
export const IORING_FEAT_POLL_32BITS = 0x40;
/** SQPOLL rings take unregistered files (Linux 5.11) */
export const IORING_FEAT_SQPOLL_NONFIXED = 0x80;
/** io_uring_enter takes struct io_uring_getevents_arg: timed waits (Linux 5.11) */
export const IORING_FEAT_EXT_ARG = 0x100;
/** io-wq workers are threads of the submitting process (Linux 5.12) */
export const IORING_FEAT_NATIVE_WORKERS = 0x200;
/** registered files and buffers can carry tags (Linux 5.13) */
export const IORING_FEAT_RSRC_TAGS = 0x400;
/** IOSQE_CQE_SKIP_SUCCESS is supported (Linux 5.17) */
export const IORING_FEAT_CQE_SKIP = 0x800;
/** a linked request opens its file when it starts, not at submit (Linux 5.17) */
export const IORING_FEAT_LINKED_FILE = 0x1000;
/** IORING_REGISTER_* calls take a registered ring fd (Linux 6.3) */
export const IORING_FEAT_REG_REG_RING = 0x2000;
/** send and recv take IORING_RECVSEND_BUNDLE (Linux 6.10) */
export const IORING_FEAT_RECVSEND_BUNDLE = 0x4000;
/** io_uring_getevents_arg.min_wait_usec is honoured (Linux 6.12) */
export const IORING_FEAT_MIN_TIMEOUT = 0x8000;
/** read/write take attributes through sqe->attr_ptr (Linux 6.14) */
export const IORING_FEAT_RW_ATTR = 0x10000;
/** IORING_ENTER_NO_IOWAIT is supported (Linux 6.15) */
export const IORING_FEAT_NO_IOWAIT = 0x20000;

// ---------------------------------------------------------------------------
// io_uring_register(2) opcodes (enum io_uring_register_op)
// ---------------------------------------------------------------------------

/** register fixed buffers: {@link registerBuffers} */
export const IORING_REGISTER_BUFFERS = 0;
/** drop the fixed buffers: {@link unregisterBuffers} */
export const IORING_UNREGISTER_BUFFERS = 1;
/** register a fixed file table: {@link registerFiles} */
export const IORING_REGISTER_FILES = 2;
/** drop the fixed file table: {@link unregisterFiles} */
export const IORING_UNREGISTER_FILES = 3;
/** signal an eventfd on each CQE: {@link registerEventfd} */
export const IORING_REGISTER_EVENTFD = 4;
/** drop the eventfd: {@link unregisterEventfd} */
export const IORING_UNREGISTER_EVENTFD = 5;
/** replace fixed-file slots: {@link registerFilesUpdate} */
export const IORING_REGISTER_FILES_UPDATE = 6;
/** signal an eventfd only for async completions: {@link registerEventfdAsync} */
export const IORING_REGISTER_EVENTFD_ASYNC = 7;
/** ask which opcodes the kernel has: {@link registerProbe} */
export const IORING_REGISTER_PROBE = 8;
/** register the current credentials: {@link registerPersonality} */
export const IORING_REGISTER_PERSONALITY = 9;
/** drop registered credentials: {@link unregisterPersonality} */
export const IORING_UNREGISTER_PERSONALITY = 10;
/** restrict a disabled ring's opcodes and flags: {@link registerRestrictions} */
export const IORING_REGISTER_RESTRICTIONS = 11;
/** enable a ring made with IORING_SETUP_R_DISABLED: {@link enableRings} */
export const IORING_REGISTER_ENABLE_RINGS = 12;
// tagged resource variants
/** register files with tags or sparse: {@link registerFilesTags}, {@link registerFilesSparse} */
export const IORING_REGISTER_FILES2 = 13;
/** replace fixed-file slots with tags: {@link registerFilesUpdateTag} */
export const IORING_REGISTER_FILES_UPDATE2 = 14;
/** register buffers with tags or sparse: {@link registerBuffersTags}, {@link registerBuffersSparse} */
export const IORING_REGISTER_BUFFERS2 = 15;
/** replace fixed-buffer slots: {@link registerBuffersUpdateTag} */
export const IORING_REGISTER_BUFFERS_UPDATE = 16;
// io-wq CPU affinity
/** pin the io-wq workers to CPUs: {@link registerIowqAff} */
export const IORING_REGISTER_IOWQ_AFF = 17;
/** unpin the io-wq workers: {@link unregisterIowqAff} */
export const IORING_UNREGISTER_IOWQ_AFF = 18;
// io-wq worker limits
/** cap the io-wq worker counts: {@link registerIowqMaxWorkers} */
export const IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
// registered ring fds
/** register the ring's own fd, so enter skips the fd lookup: {@link IoUring.registerRingFd} */
export const IORING_REGISTER_RING_FDS = 20;
/** drop a registered ring fd: {@link IoUring.unregisterRingFd} */
export const IORING_UNREGISTER_RING_FDS = 21;
// provided-buffer rings
/** register a provided-buffer ring: {@link registerBufRing}, {@link setupBufRing} */
export const IORING_REGISTER_PBUF_RING = 22;
/** drop a provided-buffer ring: {@link unregisterBufRing} */
export const IORING_UNREGISTER_PBUF_RING = 23;
// synchronous cancel
/** cancel requests and wait for them: {@link registerSyncCancel} */
export const IORING_REGISTER_SYNC_CANCEL = 24;
// direct-descriptor allocation range
/** set the fixed-file slots the kernel allocates from: {@link registerFileAllocRange} */
export const IORING_REGISTER_FILE_ALLOC_RANGE = 25;
// buffer-ring head query
/** read a buffer ring's head: {@link bufRingHead} */
export const IORING_REGISTER_PBUF_STATUS = 26;
// NAPI busy poll
/** turn on NAPI busy polling: {@link registerNapi} */
export const IORING_REGISTER_NAPI = 27;
/** turn off NAPI busy polling: {@link unregisterNapi} */
export const IORING_UNREGISTER_NAPI = 28;
// clock used for waits
/** choose the clock of the ring's waits: {@link registerClock} */
export const IORING_REGISTER_CLOCK = 29;
// copy registered buffers from another ring
/** copy another ring's fixed buffers: {@link cloneBuffers} */
export const IORING_REGISTER_CLONE_BUFFERS = 30;
// MSG_RING without a source ring
/** post a CQE on a ring without a ring of one's own: {@link registerSyncMsg} */
export const IORING_REGISTER_SEND_MSG_RING = 31;
// zero-copy receive interface queue
/** set up a zero-copy receive queue: {@link registerIfq} */
export const IORING_REGISTER_ZCRX_IFQ = 32;
// resize the SQ/CQ rings
/** resize a ring's SQ and CQ: {@link IoUring.resizeRings} */
export const IORING_REGISTER_RESIZE_RINGS = 33;
// shared memory region (e.g. registered wait arguments)
/** register a memory region (the wait region): {@link IoUring.registerRegion} */
export const IORING_REGISTER_MEM_REGION = 34;
// capability queries (see the query section below)
/** ask the kernel what it supports: {@link registerQuery} */
export const IORING_REGISTER_QUERY = 35;
// zcrx control operations (enum zcrx_ctrl_op)
/** control a zero-copy receive instance (no wrapper here yet) */
export const IORING_REGISTER_ZCRX_CTRL = 36;
// BPF filter programs (see the bpf_filter section below)
/** attach a BPF filter to the ring's requests (no wrapper here yet) */
export const IORING_REGISTER_BPF_FILTER = 37;
/** one past the highest register opcode known to this header */
export const IORING_REGISTER_LAST = 38;
/** OR into the opcode when the fd argument is a registered ring index (1U << 31) */
export const IORING_REGISTER_USE_REGISTERED_RING = 0x80000000;

/** Register opcode number -> name without the IORING_ prefix. */
export const IORING_REGISTER_OP_NAMES: readonly string[] = Object.freeze([
  'REGISTER_BUFFERS', // 0
  'UNREGISTER_BUFFERS',
  'REGISTER_FILES',
  'UNREGISTER_FILES',
  'REGISTER_EVENTFD',
  'UNREGISTER_EVENTFD', // 5
  'REGISTER_FILES_UPDATE',
  'REGISTER_EVENTFD_ASYNC',
  'REGISTER_PROBE',
  'REGISTER_PERSONALITY',
  'UNREGISTER_PERSONALITY', // 10
  'REGISTER_RESTRICTIONS',
  'REGISTER_ENABLE_RINGS',
  'REGISTER_FILES2',
  'REGISTER_FILES_UPDATE2',
  'REGISTER_BUFFERS2', // 15
  'REGISTER_BUFFERS_UPDATE',
  'REGISTER_IOWQ_AFF',
  'UNREGISTER_IOWQ_AFF',
  'REGISTER_IOWQ_MAX_WORKERS',
  'REGISTER_RING_FDS', // 20
  'UNREGISTER_RING_FDS',
  'REGISTER_PBUF_RING',
  'UNREGISTER_PBUF_RING',
  'REGISTER_SYNC_CANCEL',
  'REGISTER_FILE_ALLOC_RANGE', // 25
  'REGISTER_PBUF_STATUS',
  'REGISTER_NAPI',
  'UNREGISTER_NAPI',
  'REGISTER_CLOCK',
  'REGISTER_CLONE_BUFFERS', // 30
  'REGISTER_SEND_MSG_RING',
  'REGISTER_ZCRX_IFQ',
  'REGISTER_RESIZE_RINGS',
  'REGISTER_MEM_REGION',
  'REGISTER_QUERY', // 35
  'REGISTER_ZCRX_CTRL',
  'REGISTER_BPF_FILTER', // 37
]);

// ---------------------------------------------------------------------------
// io-wq worker classes: index into the IORING_REGISTER_IOWQ_MAX_WORKERS array
// (enum io_wq_type)
// ---------------------------------------------------------------------------

/** index of the bounded workers (file I/O) in the IORING_REGISTER_IOWQ_MAX_WORKERS array */
export const IO_WQ_BOUND = 0;
/** index of the unbounded workers (sockets, waits) in the IORING_REGISTER_IOWQ_MAX_WORKERS array */
export const IO_WQ_UNBOUND = 1;

// ---------------------------------------------------------------------------
// io_uring_region_desc->flags
// ---------------------------------------------------------------------------

/** the region uses caller memory at user_addr */
export const IORING_MEM_REGION_TYPE_USER = 1;

// ---------------------------------------------------------------------------
// io_uring_mem_region_reg->flags
// ---------------------------------------------------------------------------

/** the region holds struct io_uring_reg_wait entries (IORING_ENTER_EXT_ARG_REG) */
export const IORING_MEM_REGION_REG_WAIT_ARG = 1;

// ---------------------------------------------------------------------------
// io_uring_rsrc_register->flags
// ---------------------------------------------------------------------------

/** register an empty table of nr slots; data must be 0 */
export const IORING_RSRC_REGISTER_SPARSE = 0x1;

// ---------------------------------------------------------------------------
// fd value inside a files-update array
// ---------------------------------------------------------------------------

/** leave this slot unchanged */
export const IORING_REGISTER_FILES_SKIP = -2;

// ---------------------------------------------------------------------------
// io_uring_probe_op->flags
// ---------------------------------------------------------------------------

/** the kernel implements this opcode */
export const IO_URING_OP_SUPPORTED = 0x1;

// ---------------------------------------------------------------------------
// io_uring_clone_buffers->flags
// ---------------------------------------------------------------------------

/** src_fd is a registered ring index */
export const IORING_REGISTER_SRC_REGISTERED = 0x1;
/** replace existing buffers in the destination range */
export const IORING_REGISTER_DST_REPLACE = 0x2;

// ---------------------------------------------------------------------------
// io_uring_buf_reg->flags (enum io_uring_register_pbuf_ring_flags)
// ---------------------------------------------------------------------------

/** kernel allocates the ring; mmap it at IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT */
export const IOU_PBUF_RING_MMAP = 1;
/** buffers may be consumed incrementally (IORING_CQE_F_BUF_MORE) */
export const IOU_PBUF_RING_INC = 2;

// ---------------------------------------------------------------------------
// io_uring_restriction->opcode (enum io_uring_register_restriction_op)
// ---------------------------------------------------------------------------

/** allow a register opcode */
export const IORING_RESTRICTION_REGISTER_OP = 0;
/** allow an sqe opcode */
export const IORING_RESTRICTION_SQE_OP = 1;
/** allow these sqe flags */
export const IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2;
/** require these sqe flags */
export const IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3;
/** one past the last restriction opcode */
export const IORING_RESTRICTION_LAST = 4;

// ---------------------------------------------------------------------------
// io_uring_reg_wait->flags
// ---------------------------------------------------------------------------

/** the ts field is valid */
export const IORING_REG_WAIT_TS = 0x1;

// ---------------------------------------------------------------------------
// sqe->cmd_op for IORING_OP_URING_CMD on a socket (enum io_uring_socket_op)
// ---------------------------------------------------------------------------

/** bytes waiting to be read on the socket (ioctl SIOCINQ) */
export const SOCKET_URING_OP_SIOCINQ = 0;
/** bytes not yet sent on the socket (ioctl SIOCOUTQ) */
export const SOCKET_URING_OP_SIOCOUTQ = 1;
/** getsockopt(2): {@link prepCmdSock} */
export const SOCKET_URING_OP_GETSOCKOPT = 2;
/** setsockopt(2): {@link prepCmdSock} */
export const SOCKET_URING_OP_SETSOCKOPT = 3;
/** read the socket's transmit timestamps as CQEs */
export const SOCKET_URING_OP_TX_TIMESTAMP = 4;
/** getsockname(2) or getpeername(2): {@link prepCmdGetsockname} */
export const SOCKET_URING_OP_GETSOCKNAME = 5;

// ---------------------------------------------------------------------------
// cqe->flags of SOCKET_URING_OP_TX_TIMESTAMP completions
// ---------------------------------------------------------------------------

/** bit of the "hardware timestamp" flag */
export const IORING_TIMESTAMP_HW_SHIFT = 16;
/** first bit of the timestamp type (IORING_TIMESTAMP_HW_SHIFT + 1) */
export const IORING_TIMESTAMP_TYPE_SHIFT = 17;
/** the timestamp came from hardware (1 << IORING_TIMESTAMP_HW_SHIFT) */
export const IORING_CQE_F_TSTAMP_HW = 0x10000;

// ---------------------------------------------------------------------------
// Zero-copy receive: offsets in io_uring_zcrx_rqe->off / io_uring_zcrx_cqe->off
// ---------------------------------------------------------------------------

/** the area id is stored from this bit of the 64-bit offset upward */
export const IORING_ZCRX_AREA_SHIFT = 48;
/**
 * ~((1ULL << 48) - 1): selects the area-id bits of a 64-bit offset. It is
 * a bigint because the value (about 1.8e19) is above 2^53 and cannot be
 * represented exactly as a JavaScript number.
 */
export const IORING_ZCRX_AREA_MASK = 0xffff000000000000n;

// io_uring_zcrx_area_reg->flags (enum io_uring_zcrx_area_flags)
/** the area is a dma-buf given by dmabuf_fd */
export const IORING_ZCRX_AREA_DMABUF = 1;

// io_uring_zcrx_ifq_reg->flags (enum zcrx_reg_flags)
/** import an existing zcrx instance */
export const ZCRX_REG_IMPORT = 1;
/** no net device; data is always copied */
export const ZCRX_REG_NODEV = 2;

// io_uring_query_zcrx->features (enum zcrx_features)
/** rx_buf_len in io_uring_zcrx_ifq_reg is honoured */
export const ZCRX_FEATURE_RX_PAGE_SIZE = 0x1;

// zcrx_ctrl->op, for IORING_REGISTER_ZCRX_CTRL (enum zcrx_ctrl_op)
/** flush the refill queue */
export const ZCRX_CTRL_FLUSH_RQ = 0;
/** export the instance as an fd */
export const ZCRX_CTRL_EXPORT = 1;
/** one past the last zcrx_ctrl op */
export const __ZCRX_CTRL_LAST = 2;

// ---------------------------------------------------------------------------
// io_uring/query.h: io_uring_query_hdr->query_op (IORING_REGISTER_QUERY)
// ---------------------------------------------------------------------------

/** struct io_uring_query_opcode */
export const IO_URING_QUERY_OPCODES = 0;
/** struct io_uring_query_zcrx */
export const IO_URING_QUERY_ZCRX = 1;
/** struct io_uring_query_scq */
export const IO_URING_QUERY_SCQ = 2;
/** one past the last query op */
export const __IO_URING_QUERY_MAX = 3;

// ---------------------------------------------------------------------------
// io_uring/bpf_filter.h (IORING_REGISTER_BPF_FILTER)
// ---------------------------------------------------------------------------

// io_uring_bpf_filter->flags
/** opcodes without a filter get a deny filter */
export const IO_URING_BPF_FILTER_DENY_REST = 1;
/** fail if kernel and caller disagree on pdu_size */
export const IO_URING_BPF_FILTER_SZ_STRICT = 2;

// io_uring_bpf->cmd_type
/** install the filter in io_uring_bpf.filter */
export const IO_URING_BPF_CMD_FILTER = 1;

// ---------------------------------------------------------------------------
// liburing.h (same pinned commit)
// ---------------------------------------------------------------------------

/**
 * user_data that liburing puts on its internal timeout SQEs, ((__u64) -1).
 * A bigint because 2^64 - 1 is not exactly representable as a number.
 */
export const LIBURING_UDATA_TIMEOUT = 0xffffffffffffffffn;
