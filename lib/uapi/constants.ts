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

export const IOSQE_FIXED_FILE_BIT = 0;
export const IOSQE_IO_DRAIN_BIT = 1;
export const IOSQE_IO_LINK_BIT = 2;
export const IOSQE_IO_HARDLINK_BIT = 3;
export const IOSQE_ASYNC_BIT = 4;
export const IOSQE_BUFFER_SELECT_BIT = 5;
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

export const IORING_SETUP_IOPOLL = 0x1; // busy-poll for completions
export const IORING_SETUP_SQPOLL = 0x2; // kernel thread polls the SQ
export const IORING_SETUP_SQ_AFF = 0x4; // sq_thread_cpu is meaningful
export const IORING_SETUP_CQSIZE = 0x8; // cq_entries is meaningful
export const IORING_SETUP_CLAMP = 0x10; // clamp ring sizes instead of failing
export const IORING_SETUP_ATTACH_WQ = 0x20; // share io-wq of ring wq_fd
export const IORING_SETUP_R_DISABLED = 0x40; // created disabled; enable via REGISTER_ENABLE_RINGS
export const IORING_SETUP_SUBMIT_ALL = 0x80; // keep submitting after a failed sqe
export const IORING_SETUP_COOP_TASKRUN = 0x100; // no IPI for task work
export const IORING_SETUP_TASKRUN_FLAG = 0x200; // raise IORING_SQ_TASKRUN when task work pends
export const IORING_SETUP_SQE128 = 0x400; // 128-byte SQEs
export const IORING_SETUP_CQE32 = 0x800; // 32-byte CQEs
export const IORING_SETUP_SINGLE_ISSUER = 0x1000; // one task submits
export const IORING_SETUP_DEFER_TASKRUN = 0x2000; // run task work only when waiting
export const IORING_SETUP_NO_MMAP = 0x4000; // app supplies ring memory
export const IORING_SETUP_REGISTERED_FD_ONLY = 0x8000; // return a registered ring index, not an fd
export const IORING_SETUP_NO_SQARRAY = 0x10000; // no SQ index indirection array
export const IORING_SETUP_HYBRID_IOPOLL = 0x20000; // hybrid (sleep then poll) iopoll
export const IORING_SETUP_CQE_MIXED = 0x40000; // 16- and 32-byte CQEs on one ring
export const IORING_SETUP_SQE_MIXED = 0x80000; // 64- and 128-byte SQEs on one ring
export const IORING_SETUP_SQ_REWIND = 0x100000; // SQEs always fetched from index 0

// ---------------------------------------------------------------------------
// sqe->opcode (enum io_uring_op)
// ---------------------------------------------------------------------------

export const IORING_OP_NOP = 0;
export const IORING_OP_READV = 1;
export const IORING_OP_WRITEV = 2;
export const IORING_OP_FSYNC = 3;
export const IORING_OP_READ_FIXED = 4;
export const IORING_OP_WRITE_FIXED = 5;
export const IORING_OP_POLL_ADD = 6;
export const IORING_OP_POLL_REMOVE = 7;
export const IORING_OP_SYNC_FILE_RANGE = 8;
export const IORING_OP_SENDMSG = 9;
export const IORING_OP_RECVMSG = 10;
export const IORING_OP_TIMEOUT = 11;
export const IORING_OP_TIMEOUT_REMOVE = 12;
export const IORING_OP_ACCEPT = 13;
export const IORING_OP_ASYNC_CANCEL = 14;
export const IORING_OP_LINK_TIMEOUT = 15;
export const IORING_OP_CONNECT = 16;
export const IORING_OP_FALLOCATE = 17;
export const IORING_OP_OPENAT = 18;
export const IORING_OP_CLOSE = 19;
export const IORING_OP_FILES_UPDATE = 20;
export const IORING_OP_STATX = 21;
export const IORING_OP_READ = 22;
export const IORING_OP_WRITE = 23;
export const IORING_OP_FADVISE = 24;
export const IORING_OP_MADVISE = 25;
export const IORING_OP_SEND = 26;
export const IORING_OP_RECV = 27;
export const IORING_OP_OPENAT2 = 28;
export const IORING_OP_EPOLL_CTL = 29;
export const IORING_OP_SPLICE = 30;
export const IORING_OP_PROVIDE_BUFFERS = 31;
export const IORING_OP_REMOVE_BUFFERS = 32;
export const IORING_OP_TEE = 33;
export const IORING_OP_SHUTDOWN = 34;
export const IORING_OP_RENAMEAT = 35;
export const IORING_OP_UNLINKAT = 36;
export const IORING_OP_MKDIRAT = 37;
export const IORING_OP_SYMLINKAT = 38;
export const IORING_OP_LINKAT = 39;
export const IORING_OP_MSG_RING = 40;
export const IORING_OP_FSETXATTR = 41;
export const IORING_OP_SETXATTR = 42;
export const IORING_OP_FGETXATTR = 43;
export const IORING_OP_GETXATTR = 44;
export const IORING_OP_SOCKET = 45;
export const IORING_OP_URING_CMD = 46;
export const IORING_OP_SEND_ZC = 47;
export const IORING_OP_SENDMSG_ZC = 48;
export const IORING_OP_READ_MULTISHOT = 49;
export const IORING_OP_WAITID = 50;
export const IORING_OP_FUTEX_WAIT = 51;
export const IORING_OP_FUTEX_WAKE = 52;
export const IORING_OP_FUTEX_WAITV = 53;
export const IORING_OP_FIXED_FD_INSTALL = 54;
export const IORING_OP_FTRUNCATE = 55;
export const IORING_OP_BIND = 56;
export const IORING_OP_LISTEN = 57;
export const IORING_OP_RECV_ZC = 58;
export const IORING_OP_EPOLL_WAIT = 59;
export const IORING_OP_READV_FIXED = 60;
export const IORING_OP_WRITEV_FIXED = 61;
export const IORING_OP_PIPE = 62;
export const IORING_OP_NOP128 = 63;
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

export const IORING_TIMEOUT_ABS = 0x1; // absolute deadline, not relative
export const IORING_TIMEOUT_UPDATE = 0x2; // TIMEOUT_REMOVE updates a timeout
export const IORING_TIMEOUT_BOOTTIME = 0x4; // use CLOCK_BOOTTIME
export const IORING_TIMEOUT_REALTIME = 0x8; // use CLOCK_REALTIME
export const IORING_LINK_TIMEOUT_UPDATE = 0x10; // TIMEOUT_REMOVE updates a linked timeout
export const IORING_TIMEOUT_ETIME_SUCCESS = 0x20; // expiry counts as success
export const IORING_TIMEOUT_MULTISHOT = 0x40; // re-arming timeout
export const IORING_TIMEOUT_IMMEDIATE_ARG = 0x80; // sqe->addr holds nanoseconds, not a timespec pointer
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

export const IORING_POLL_ADD_MULTI = 0x1; // multishot poll
export const IORING_POLL_UPDATE_EVENTS = 0x2; // update the event mask of an existing poll
export const IORING_POLL_UPDATE_USER_DATA = 0x4; // update user_data of an existing poll
export const IORING_POLL_ADD_LEVEL = 0x8; // level-triggered

// ---------------------------------------------------------------------------
// sqe->cancel_flags (IORING_OP_ASYNC_CANCEL, IORING_REGISTER_SYNC_CANCEL)
// ---------------------------------------------------------------------------

export const IORING_ASYNC_CANCEL_ALL = 0x1; // cancel every match, not just the first
export const IORING_ASYNC_CANCEL_FD = 0x2; // match on fd instead of user_data
export const IORING_ASYNC_CANCEL_ANY = 0x4; // match any request
export const IORING_ASYNC_CANCEL_FD_FIXED = 0x8; // fd is a registered file index
export const IORING_ASYNC_CANCEL_USERDATA = 0x10; // match on user_data (the default)
export const IORING_ASYNC_CANCEL_OP = 0x20; // match on opcode

// ---------------------------------------------------------------------------
// sqe->ioprio for send/sendmsg/recv/recvmsg (and their _ZC variants)
// ---------------------------------------------------------------------------

export const IORING_RECVSEND_POLL_FIRST = 0x1; // arm poll before trying the transfer
export const IORING_RECV_MULTISHOT = 0x2; // multishot recv
export const IORING_RECVSEND_FIXED_BUF = 0x4; // use registered buffer sqe->buf_index
export const IORING_SEND_ZC_REPORT_USAGE = 0x8; // report copy fallback in the notification CQE
export const IORING_RECVSEND_BUNDLE = 0x10; // consume several provided buffers at once
export const IORING_SEND_VECTORIZED = 0x20; // SEND/SEND_ZC take an iovec array

// ---------------------------------------------------------------------------
// cqe->res of an IORING_CQE_F_NOTIF completion (with SEND_ZC_REPORT_USAGE)
// ---------------------------------------------------------------------------

/** data was (at least partly) copied instead of sent zero-copy (bit 31) */
export const IORING_NOTIF_USAGE_ZC_COPIED = 0x80000000;

// ---------------------------------------------------------------------------
// sqe->ioprio for IORING_OP_ACCEPT
// ---------------------------------------------------------------------------

export const IORING_ACCEPT_MULTISHOT = 0x1; // multishot accept
export const IORING_ACCEPT_DONTWAIT = 0x2; // fail with -EAGAIN instead of waiting
export const IORING_ACCEPT_POLL_FIRST = 0x4; // arm poll before the first attempt

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

export const IORING_CQE_F_BUFFER = 0x1; // upper 16 bits hold the buffer id
export const IORING_CQE_F_MORE = 0x2; // the request will post more CQEs
export const IORING_CQE_F_SOCK_NONEMPTY = 0x4; // socket still has data after this recv
export const IORING_CQE_F_NOTIF = 0x8; // zero-copy send notification
export const IORING_CQE_F_BUF_MORE = 0x10; // incrementally consumed buffer stays in use
export const IORING_CQE_F_SKIP = 0x20; // filler entry; ignore it
export const IORING_CQE_F_32 = 0x8000; // 32-byte CQE on a CQE_MIXED ring

/** shift of the buffer id within cqe->flags */
export const IORING_CQE_BUFFER_SHIFT = 16;

// ---------------------------------------------------------------------------
// mmap(2) offsets on the ring fd (0ULL etc. in C; all fit in a number)
// ---------------------------------------------------------------------------

export const IORING_OFF_SQ_RING = 0;
export const IORING_OFF_CQ_RING = 0x8000000;
export const IORING_OFF_SQES = 0x10000000;
/** base offset for a kernel-allocated buffer ring; OR in (bgid << IORING_OFF_PBUF_SHIFT) */
export const IORING_OFF_PBUF_RING = 0x80000000;
export const IORING_OFF_PBUF_SHIFT = 16;
export const IORING_OFF_MMAP_MASK = 0xf8000000;

// ---------------------------------------------------------------------------
// sq_ring->flags (at sq_off.flags)
// ---------------------------------------------------------------------------

export const IORING_SQ_NEED_WAKEUP = 0x1; // SQPOLL thread sleeps; enter with SQ_WAKEUP
export const IORING_SQ_CQ_OVERFLOW = 0x2; // completions are waiting in the overflow list
export const IORING_SQ_TASKRUN = 0x4; // task work is pending; enter the kernel

// ---------------------------------------------------------------------------
// cq_ring->flags (at cq_off.flags)
// ---------------------------------------------------------------------------

/** suppress eventfd notifications */
export const IORING_CQ_EVENTFD_DISABLED = 0x1;

// ---------------------------------------------------------------------------
// io_uring_enter(2) flags
// ---------------------------------------------------------------------------

export const IORING_ENTER_GETEVENTS = 0x1; // wait for min_complete completions
export const IORING_ENTER_SQ_WAKEUP = 0x2; // wake the SQPOLL thread
export const IORING_ENTER_SQ_WAIT = 0x4; // wait for SQ space (SQPOLL)
export const IORING_ENTER_EXT_ARG = 0x8; // arg is struct io_uring_getevents_arg
export const IORING_ENTER_REGISTERED_RING = 0x10; // fd is a registered ring index
export const IORING_ENTER_ABS_TIMER = 0x20; // the timeout is absolute
export const IORING_ENTER_EXT_ARG_REG = 0x40; // arg is an offset into the registered wait region
export const IORING_ENTER_NO_IOWAIT = 0x80; // do not account the wait as iowait

// ---------------------------------------------------------------------------
// io_uring_params->features (set by the kernel)
// ---------------------------------------------------------------------------

export const IORING_FEAT_SINGLE_MMAP = 0x1;
export const IORING_FEAT_NODROP = 0x2;
export const IORING_FEAT_SUBMIT_STABLE = 0x4;
export const IORING_FEAT_RW_CUR_POS = 0x8;
export const IORING_FEAT_CUR_PERSONALITY = 0x10;
export const IORING_FEAT_FAST_POLL = 0x20;
export const IORING_FEAT_POLL_32BITS = 0x40;
export const IORING_FEAT_SQPOLL_NONFIXED = 0x80;
export const IORING_FEAT_EXT_ARG = 0x100;
export const IORING_FEAT_NATIVE_WORKERS = 0x200;
export const IORING_FEAT_RSRC_TAGS = 0x400;
export const IORING_FEAT_CQE_SKIP = 0x800;
export const IORING_FEAT_LINKED_FILE = 0x1000;
export const IORING_FEAT_REG_REG_RING = 0x2000;
export const IORING_FEAT_RECVSEND_BUNDLE = 0x4000;
export const IORING_FEAT_MIN_TIMEOUT = 0x8000;
export const IORING_FEAT_RW_ATTR = 0x10000;
export const IORING_FEAT_NO_IOWAIT = 0x20000;

// ---------------------------------------------------------------------------
// io_uring_register(2) opcodes (enum io_uring_register_op)
// ---------------------------------------------------------------------------

export const IORING_REGISTER_BUFFERS = 0;
export const IORING_UNREGISTER_BUFFERS = 1;
export const IORING_REGISTER_FILES = 2;
export const IORING_UNREGISTER_FILES = 3;
export const IORING_REGISTER_EVENTFD = 4;
export const IORING_UNREGISTER_EVENTFD = 5;
export const IORING_REGISTER_FILES_UPDATE = 6;
export const IORING_REGISTER_EVENTFD_ASYNC = 7;
export const IORING_REGISTER_PROBE = 8;
export const IORING_REGISTER_PERSONALITY = 9;
export const IORING_UNREGISTER_PERSONALITY = 10;
export const IORING_REGISTER_RESTRICTIONS = 11;
export const IORING_REGISTER_ENABLE_RINGS = 12;
// tagged resource variants
export const IORING_REGISTER_FILES2 = 13;
export const IORING_REGISTER_FILES_UPDATE2 = 14;
export const IORING_REGISTER_BUFFERS2 = 15;
export const IORING_REGISTER_BUFFERS_UPDATE = 16;
// io-wq CPU affinity
export const IORING_REGISTER_IOWQ_AFF = 17;
export const IORING_UNREGISTER_IOWQ_AFF = 18;
// io-wq worker limits
export const IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
// registered ring fds
export const IORING_REGISTER_RING_FDS = 20;
export const IORING_UNREGISTER_RING_FDS = 21;
// provided-buffer rings
export const IORING_REGISTER_PBUF_RING = 22;
export const IORING_UNREGISTER_PBUF_RING = 23;
// synchronous cancel
export const IORING_REGISTER_SYNC_CANCEL = 24;
// direct-descriptor allocation range
export const IORING_REGISTER_FILE_ALLOC_RANGE = 25;
// buffer-ring head query
export const IORING_REGISTER_PBUF_STATUS = 26;
// NAPI busy poll
export const IORING_REGISTER_NAPI = 27;
export const IORING_UNREGISTER_NAPI = 28;
// clock used for waits
export const IORING_REGISTER_CLOCK = 29;
// copy registered buffers from another ring
export const IORING_REGISTER_CLONE_BUFFERS = 30;
// MSG_RING without a source ring
export const IORING_REGISTER_SEND_MSG_RING = 31;
// zero-copy receive interface queue
export const IORING_REGISTER_ZCRX_IFQ = 32;
// resize the SQ/CQ rings
export const IORING_REGISTER_RESIZE_RINGS = 33;
// shared memory region (e.g. registered wait arguments)
export const IORING_REGISTER_MEM_REGION = 34;
// capability queries (see the query section below)
export const IORING_REGISTER_QUERY = 35;
// zcrx control operations (enum zcrx_ctrl_op)
export const IORING_REGISTER_ZCRX_CTRL = 36;
// BPF filter programs (see the bpf_filter section below)
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

export const IO_WQ_BOUND = 0;
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

export const IORING_RESTRICTION_REGISTER_OP = 0; // allow a register opcode
export const IORING_RESTRICTION_SQE_OP = 1; // allow an sqe opcode
export const IORING_RESTRICTION_SQE_FLAGS_ALLOWED = 2; // allow these sqe flags
export const IORING_RESTRICTION_SQE_FLAGS_REQUIRED = 3; // require these sqe flags
export const IORING_RESTRICTION_LAST = 4;

// ---------------------------------------------------------------------------
// io_uring_reg_wait->flags
// ---------------------------------------------------------------------------

/** the ts field is valid */
export const IORING_REG_WAIT_TS = 0x1;

// ---------------------------------------------------------------------------
// sqe->cmd_op for IORING_OP_URING_CMD on a socket (enum io_uring_socket_op)
// ---------------------------------------------------------------------------

export const SOCKET_URING_OP_SIOCINQ = 0;
export const SOCKET_URING_OP_SIOCOUTQ = 1;
export const SOCKET_URING_OP_GETSOCKOPT = 2;
export const SOCKET_URING_OP_SETSOCKOPT = 3;
export const SOCKET_URING_OP_TX_TIMESTAMP = 4;
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
export const ZCRX_CTRL_FLUSH_RQ = 0; // flush the refill queue
export const ZCRX_CTRL_EXPORT = 1; // export the instance as an fd
export const __ZCRX_CTRL_LAST = 2;

// ---------------------------------------------------------------------------
// io_uring/query.h: io_uring_query_hdr->query_op (IORING_REGISTER_QUERY)
// ---------------------------------------------------------------------------

export const IO_URING_QUERY_OPCODES = 0; // struct io_uring_query_opcode
export const IO_URING_QUERY_ZCRX = 1; // struct io_uring_query_zcrx
export const IO_URING_QUERY_SCQ = 2; // struct io_uring_query_scq
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
