/**
 * Byte sizes and field offsets of the io_uring UAPI structs, for the
 * x86_64 / little-endian LP64 ABI.
 *
 * Pinned revision: the kernel's include/uapi/linux/io_uring.h as carried by
 * liburing at commit 3891a21ffec618a160f026eeb15bb2ad4e2b9202 (2026-04-28),
 * file src/include/liburing/io_uring.h, plus the sub-headers
 * src/include/liburing/io_uring/query.h and .../io_uring/bpf_filter.h at the
 * same commit. The last few entries (__kernel_timespec, iovec, open_how) are
 * standard Linux x86_64 layouts from other UAPI headers.
 *
 * Conventions:
 *  - one frozen object per struct, named like the C struct;
 *  - `sizeof` is sizeof(struct ...) in bytes;
 *  - every other key is a field name spelled as in C, mapped to its offset;
 *  - members of anonymous unions/structs appear flattened at their absolute
 *    offset, so union aliases share a number;
 *  - a member that is itself a named struct is listed at its offset, and that
 *    struct has its own entry here;
 *  - for arrays the key gives the offset of element 0;
 *  - flexible / zero-length trailing arrays are listed at the offset where
 *    they start (which may equal sizeof).
 *
 * @module
 */

// ---------------------------------------------------------------------------
// Submission queue entry. 64 bytes; 128 with IORING_SETUP_SQE128, where the
// extra 64 bytes continue the `cmd` area (80 bytes of command data from 48).
// ---------------------------------------------------------------------------
/**
 * `struct io_uring_sqe`, a submission queue entry: 64 bytes, 128 on
 * IORING_SETUP_SQE128 rings. Union members share an offset.
 * @enum
 */
export const io_uring_sqe = Object.freeze({
  sizeof: 64,
  opcode: 0, // __u8
  flags: 1, // __u8, IOSQE_*
  ioprio: 2, // __u16
  fd: 4, // __s32
  // union at 8 (__u64)
  off: 8,
  addr2: 8,
  cmd_op: 8, // __u32 (anonymous struct)
  __pad1: 12, // __u32
  // union at 16 (__u64)
  addr: 16,
  splice_off_in: 16,
  level: 16, // __u32 (anonymous struct)
  optname: 20, // __u32
  len: 24, // __u32
  // union at 28 (op-specific flags; poll_events is __u16, the rest 32-bit)
  rw_flags: 28,
  fsync_flags: 28,
  poll_events: 28,
  poll32_events: 28,
  sync_range_flags: 28,
  msg_flags: 28,
  timeout_flags: 28,
  accept_flags: 28,
  cancel_flags: 28,
  open_flags: 28,
  statx_flags: 28,
  fadvise_advice: 28,
  splice_flags: 28,
  rename_flags: 28,
  unlink_flags: 28,
  hardlink_flags: 28,
  xattr_flags: 28,
  msg_ring_flags: 28,
  uring_cmd_flags: 28,
  waitid_flags: 28,
  futex_flags: 28,
  install_fd_flags: 28,
  nop_flags: 28,
  pipe_flags: 28,
  user_data: 32, // __u64
  // packed union at 40 (__u16)
  buf_index: 40,
  buf_group: 40,
  personality: 42, // __u16
  // union at 44 (32-bit)
  splice_fd_in: 44, // __s32
  file_index: 44,
  zcrx_ifq_idx: 44,
  optlen: 44,
  addr_len: 44, // __u16 (anonymous struct)
  __pad3: 46, // __u16[1]
  // union at 48 (16 bytes)
  addr3: 48, // __u64 (anonymous struct)
  __pad2: 56, // __u64[1]
  attr_ptr: 48, // __u64 (anonymous struct)
  attr_type_mask: 56, // __u64
  optval: 48, // __u64
  cmd: 48, // __u8[0]: command payload for IORING_OP_URING_CMD
} as const);

/**
 * Protection-information attribute, pointed to by sqe->attr_ptr.
 * @enum
 */
export const io_uring_attr_pi = Object.freeze({
  sizeof: 32,
  flags: 0, // __u16
  app_tag: 2, // __u16
  len: 4, // __u32
  addr: 8, // __u64
  seed: 16, // __u64
  rsvd: 24, // __u64
} as const);

// ---------------------------------------------------------------------------
// Completion queue entry. 16 bytes; 32 with IORING_SETUP_CQE32, where
// big_cqe[] holds two extra __u64.
// ---------------------------------------------------------------------------
/**
 * `struct io_uring_cqe`, a completion queue entry: 16 bytes, 32 on
 * IORING_SETUP_CQE32 rings (big_cqe holds two more u64).
 * @enum
 */
export const io_uring_cqe = Object.freeze({
  sizeof: 16,
  user_data: 0, // __u64
  res: 8, // __s32
  flags: 12, // __u32, IORING_CQE_F_*
  big_cqe: 16, // __u64[] (flexible)
} as const);

// ---------------------------------------------------------------------------
// Ring offsets returned in io_uring_params.
// ---------------------------------------------------------------------------
/**
 * `struct io_sqring_offsets`: where the SQ ring's fields are, filled in by
 * io_uring_setup(2) in io_uring_params.sq_off.
 * @enum
 */
export const io_sqring_offsets = Object.freeze({
  sizeof: 40,
  head: 0,
  tail: 4,
  ring_mask: 8,
  ring_entries: 12,
  flags: 16,
  dropped: 20,
  array: 24,
  resv1: 28,
  user_addr: 32, // __u64, used with IORING_SETUP_NO_MMAP
} as const);

/**
 * `struct io_cqring_offsets`: where the CQ ring's fields are, filled in by
 * io_uring_setup(2) in io_uring_params.cq_off.
 * @enum
 */
export const io_cqring_offsets = Object.freeze({
  sizeof: 40,
  head: 0,
  tail: 4,
  ring_mask: 8,
  ring_entries: 12,
  overflow: 16,
  cqes: 20,
  flags: 24,
  resv1: 28,
  user_addr: 32, // __u64, used with IORING_SETUP_NO_MMAP
} as const);

/**
 * io_uring_setup(2) argument.
 * @enum
 */
export const io_uring_params = Object.freeze({
  sizeof: 120,
  sq_entries: 0,
  cq_entries: 4,
  flags: 8,
  sq_thread_cpu: 12,
  sq_thread_idle: 16,
  features: 20,
  wq_fd: 24,
  resv: 28, // __u32[3]
  sq_off: 40, // struct io_sqring_offsets
  cq_off: 80, // struct io_cqring_offsets
} as const);

// ---------------------------------------------------------------------------
// io_uring_register(2) arguments.
// ---------------------------------------------------------------------------

/**
 * Old IORING_REGISTER_FILES_UPDATE argument (superseded by io_uring_rsrc_update).
 * @enum
 */
export const io_uring_files_update = Object.freeze({
  sizeof: 16,
  offset: 0,
  resv: 4,
  fds: 8, // __aligned_u64, pointer to __s32[]
} as const);

/**
 * `struct io_uring_region_desc`: one memory region of
 * IORING_REGISTER_MEM_REGION.
 * @enum
 */
export const io_uring_region_desc = Object.freeze({
  sizeof: 64,
  user_addr: 0,
  size: 8,
  flags: 16, // IORING_MEM_REGION_TYPE_*
  id: 20,
  mmap_offset: 24,
  __resv: 32, // __u64[4]
} as const);

/**
 * IORING_REGISTER_MEM_REGION argument.
 * @enum
 */
export const io_uring_mem_region_reg = Object.freeze({
  sizeof: 32,
  region_uptr: 0, // pointer to struct io_uring_region_desc
  flags: 8, // IORING_MEM_REGION_REG_*
  __resv: 16, // __u64[2]
} as const);

/**
 * IORING_REGISTER_FILES2 / IORING_REGISTER_BUFFERS2 argument.
 * @enum
 */
export const io_uring_rsrc_register = Object.freeze({
  sizeof: 32,
  nr: 0,
  flags: 4, // IORING_RSRC_REGISTER_*
  resv2: 8,
  data: 16,
  tags: 24,
} as const);

/**
 * `struct io_uring_rsrc_update`: IORING_REGISTER_FILES_UPDATE argument, and
 * the IORING_REGISTER_RING_FDS array element.
 * @enum
 */
export const io_uring_rsrc_update = Object.freeze({
  sizeof: 16,
  offset: 0,
  resv: 4,
  data: 8,
} as const);

/**
 * IORING_REGISTER_FILES_UPDATE2 / IORING_REGISTER_BUFFERS_UPDATE argument.
 * @enum
 */
export const io_uring_rsrc_update2 = Object.freeze({
  sizeof: 32,
  offset: 0,
  resv: 4,
  data: 8,
  tags: 16,
  nr: 24,
  resv2: 28,
} as const);

/**
 * `struct io_uring_probe_op`: one opcode of an io_uring_probe.
 * @enum
 */
export const io_uring_probe_op = Object.freeze({
  sizeof: 8,
  op: 0, // __u8
  resv: 1, // __u8
  flags: 2, // __u16, IO_URING_OP_*
  resv2: 4, // __u32
} as const);

/**
 * IORING_REGISTER_PROBE argument; followed by ops_len io_uring_probe_op.
 * @enum
 */
export const io_uring_probe = Object.freeze({
  sizeof: 16,
  last_op: 0, // __u8
  ops_len: 1, // __u8
  resv: 2, // __u16
  resv2: 4, // __u32[3]
  ops: 16, // struct io_uring_probe_op[] (flexible)
} as const);

/**
 * IORING_REGISTER_RESTRICTIONS array element.
 * @enum
 */
export const io_uring_restriction = Object.freeze({
  sizeof: 16,
  opcode: 0, // __u16, IORING_RESTRICTION_*
  // union at 2 (__u8)
  register_op: 2,
  sqe_op: 2,
  sqe_flags: 2,
  resv: 3, // __u8
  resv2: 4, // __u32[3]
} as const);

/**
 * `struct io_uring_task_restriction`: a restriction set's flags and count,
 * followed by its io_uring_restriction entries.
 * @enum
 */
export const io_uring_task_restriction = Object.freeze({
  sizeof: 16,
  flags: 0, // __u16
  nr_res: 2, // __u16
  resv: 4, // __u32[3]
  restrictions: 16, // struct io_uring_restriction[0]
} as const);

/**
 * IORING_REGISTER_CLOCK argument.
 * @enum
 */
export const io_uring_clock_register = Object.freeze({
  sizeof: 16,
  clockid: 0,
  __resv: 4, // __u32[3]
} as const);

/**
 * IORING_REGISTER_CLONE_BUFFERS argument.
 * @enum
 */
export const io_uring_clone_buffers = Object.freeze({
  sizeof: 32,
  src_fd: 0,
  flags: 4, // IORING_REGISTER_SRC_REGISTERED | IORING_REGISTER_DST_REPLACE
  src_off: 8,
  dst_off: 12,
  nr: 16,
  pad: 20, // __u32[3]
} as const);

/**
 * One provided buffer in a buffer ring.
 * @enum
 */
export const io_uring_buf = Object.freeze({
  sizeof: 16,
  addr: 0, // __u64
  len: 8, // __u32
  bid: 12, // __u16
  resv: 14, // __u16 (holds the ring tail in bufs[0])
} as const);

/**
 * Buffer ring: an array of io_uring_buf whose first entry's `resv` slot
 * (offset 14) doubles as the ring tail.
 * @enum
 */
export const io_uring_buf_ring = Object.freeze({
  sizeof: 16,
  // anonymous struct overlaying bufs[0]
  resv1: 0, // __u64
  resv2: 8, // __u32
  resv3: 12, // __u16
  tail: 14, // __u16
  bufs: 0, // struct io_uring_buf[0]
} as const);

/**
 * IORING_(UN)REGISTER_PBUF_RING argument.
 * @enum
 */
export const io_uring_buf_reg = Object.freeze({
  sizeof: 40,
  ring_addr: 0, // __u64
  ring_entries: 8, // __u32
  bgid: 12, // __u16
  flags: 14, // __u16, IOU_PBUF_RING_*
  min_left: 16, // __u32
  resv: 20, // __u32[5]
} as const);

/**
 * IORING_REGISTER_PBUF_STATUS argument.
 * @enum
 */
export const io_uring_buf_status = Object.freeze({
  sizeof: 40,
  buf_group: 0, // in
  head: 4, // out
  resv: 8, // __u32[8]
} as const);

/**
 * IORING_(UN)REGISTER_NAPI argument.
 * @enum
 */
export const io_uring_napi = Object.freeze({
  sizeof: 16,
  busy_poll_to: 0, // __u32
  prefer_busy_poll: 4, // __u8
  pad: 5, // __u8[3]
  resv: 8, // __u64
} as const);

/**
 * Entry of a registered wait region (IORING_ENTER_EXT_ARG_REG).
 * @enum
 */
export const io_uring_reg_wait = Object.freeze({
  sizeof: 64,
  ts: 0, // struct __kernel_timespec
  min_wait_usec: 16,
  flags: 20, // IORING_REG_WAIT_*
  sigmask: 24, // __u64
  sigmask_sz: 32,
  pad: 36, // __u32[3]
  pad2: 48, // __u64[2]
} as const);

/**
 * io_uring_enter(2) argument with IORING_ENTER_EXT_ARG.
 * @enum
 */
export const io_uring_getevents_arg = Object.freeze({
  sizeof: 24,
  sigmask: 0, // __u64
  sigmask_sz: 8, // __u32
  min_wait_usec: 12, // __u32
  ts: 16, // __u64, pointer to struct __kernel_timespec
} as const);

/**
 * IORING_REGISTER_SYNC_CANCEL argument.
 * @enum
 */
export const io_uring_sync_cancel_reg = Object.freeze({
  sizeof: 64,
  addr: 0, // __u64
  fd: 8, // __s32
  flags: 12, // __u32, IORING_ASYNC_CANCEL_*
  timeout: 16, // struct __kernel_timespec
  opcode: 32, // __u8
  pad: 33, // __u8[7]
  pad2: 40, // __u64[3]
} as const);

/**
 * IORING_REGISTER_FILE_ALLOC_RANGE argument: slots [off, off + len).
 * @enum
 */
export const io_uring_file_index_range = Object.freeze({
  sizeof: 16,
  off: 0,
  len: 4,
  resv: 8, // __u64
} as const);

/**
 * Header at the start of a multishot recvmsg buffer.
 * @enum
 */
export const io_uring_recvmsg_out = Object.freeze({
  sizeof: 16,
  namelen: 0,
  controllen: 4,
  payloadlen: 8,
  flags: 12,
} as const);

/**
 * `struct io_timespec`: seconds and nanoseconds, two u64.
 * @enum
 */
export const io_timespec = Object.freeze({
  sizeof: 16,
  tv_sec: 0, // __u64
  tv_nsec: 8, // __u64
} as const);

// ---------------------------------------------------------------------------
// Zero-copy receive.
// ---------------------------------------------------------------------------

/**
 * Refill queue entry.
 * @enum
 */
export const io_uring_zcrx_rqe = Object.freeze({
  sizeof: 16,
  off: 0, // __u64
  len: 8, // __u32
  __pad: 12, // __u32
} as const);

/**
 * Second half of a 32-byte CQE posted by IORING_OP_RECV_ZC.
 * @enum
 */
export const io_uring_zcrx_cqe = Object.freeze({
  sizeof: 16,
  off: 0, // __u64
  __pad: 8, // __u64
} as const);

/**
 * `struct io_uring_zcrx_offsets`: where a zero-copy receive refill ring's
 * fields are.
 * @enum
 */
export const io_uring_zcrx_offsets = Object.freeze({
  sizeof: 32,
  head: 0,
  tail: 4,
  rqes: 8,
  __resv2: 12,
  __resv: 16, // __u64[2]
} as const);

/**
 * `struct io_uring_zcrx_area_reg`: the memory area of a zero-copy receive
 * queue.
 * @enum
 */
export const io_uring_zcrx_area_reg = Object.freeze({
  sizeof: 48,
  addr: 0,
  len: 8,
  rq_area_token: 16,
  flags: 24, // IORING_ZCRX_AREA_*
  dmabuf_fd: 28,
  __resv2: 32, // __u64[2]
} as const);

/**
 * IORING_REGISTER_ZCRX_IFQ argument.
 * @enum
 */
export const io_uring_zcrx_ifq_reg = Object.freeze({
  sizeof: 96,
  if_idx: 0,
  if_rxq: 4,
  rq_entries: 8,
  flags: 12, // ZCRX_REG_*
  area_ptr: 16, // pointer to struct io_uring_zcrx_area_reg
  region_ptr: 24, // pointer to struct io_uring_region_desc
  offsets: 32, // struct io_uring_zcrx_offsets
  zcrx_id: 64,
  rx_buf_len: 68,
  __resv: 72, // __u64[3]
} as const);

/**
 * `struct zcrx_ctrl_flush_rq`: the ZCRX_CTRL_FLUSH_RQ payload of zcrx_ctrl.
 * @enum
 */
export const zcrx_ctrl_flush_rq = Object.freeze({
  sizeof: 48,
  __resv: 0, // __u64[6]
} as const);

/**
 * `struct zcrx_ctrl_export`: the ZCRX_CTRL_EXPORT payload of zcrx_ctrl.
 * @enum
 */
export const zcrx_ctrl_export = Object.freeze({
  sizeof: 48,
  zcrx_fd: 0,
  __resv1: 4, // __u32[11]
} as const);

/**
 * IORING_REGISTER_ZCRX_CTRL argument.
 * @enum
 */
export const zcrx_ctrl = Object.freeze({
  sizeof: 72,
  zcrx_id: 0,
  op: 4, // ZCRX_CTRL_*
  __resv: 8, // __u64[2]
  // anonymous union at 24
  zc_export: 24, // struct zcrx_ctrl_export
  zc_flush: 24, // struct zcrx_ctrl_flush_rq
} as const);

// ---------------------------------------------------------------------------
// io_uring/query.h (IORING_REGISTER_QUERY).
// ---------------------------------------------------------------------------

/**
 * Query header; chain several with next_entry.
 * @enum
 */
export const io_uring_query_hdr = Object.freeze({
  sizeof: 40,
  next_entry: 0, // __u64, pointer to the next header or 0
  query_data: 8, // __u64, pointer to the result struct
  query_op: 16, // IO_URING_QUERY_*
  size: 20, // size of the result struct
  result: 24, // __s32, 0 or -errno
  __resv: 28, // __u32[3]
} as const);

/**
 * `struct io_uring_query_opcode`: the IO_URING_QUERY_OPCODES result.
 * @enum
 */
export const io_uring_query_opcode = Object.freeze({
  sizeof: 48,
  nr_request_opcodes: 0,
  nr_register_opcodes: 4,
  feature_flags: 8, // __u64
  ring_setup_flags: 16, // __u64
  enter_flags: 24, // __u64
  sqe_flags: 32, // __u64
  nr_query_opcodes: 40,
  __pad: 44,
} as const);

/**
 * `struct io_uring_query_zcrx`: the IO_URING_QUERY_ZCRX result.
 * @enum
 */
export const io_uring_query_zcrx = Object.freeze({
  sizeof: 40,
  register_flags: 0, // __u64
  area_flags: 8, // __u64
  nr_ctrl_opcodes: 16,
  features: 20,
  rq_hdr_size: 24,
  rq_hdr_alignment: 28,
  __resv2: 32, // __u64
} as const);

/**
 * `struct io_uring_query_scq`: the IO_URING_QUERY_SCQ result.
 * @enum
 */
export const io_uring_query_scq = Object.freeze({
  sizeof: 16,
  hdr_size: 0, // __u64
  hdr_alignment: 8, // __u64
} as const);

// ---------------------------------------------------------------------------
// io_uring/bpf_filter.h (IORING_REGISTER_BPF_FILTER).
// ---------------------------------------------------------------------------

/**
 * Context handed to a BPF filter.
 * @enum
 */
export const io_uring_bpf_ctx = Object.freeze({
  sizeof: 40,
  user_data: 0, // __u64
  opcode: 8, // __u8
  sqe_flags: 9, // __u8
  pdu_size: 10, // __u8
  pad: 11, // __u8[5]
  // anonymous union at 16
  socket: 16, // see io_uring_bpf_ctx_socket
  open: 16, // see io_uring_bpf_ctx_open
} as const);

/**
 * Unnamed struct type of io_uring_bpf_ctx.socket (offsets relative to it).
 * @enum
 */
export const io_uring_bpf_ctx_socket = Object.freeze({
  sizeof: 12,
  family: 0,
  type: 4,
  protocol: 8,
} as const);

/**
 * Unnamed struct type of io_uring_bpf_ctx.open (offsets relative to it).
 * @enum
 */
export const io_uring_bpf_ctx_open = Object.freeze({
  sizeof: 24,
  flags: 0, // __u64
  mode: 8, // __u64
  resolve: 16, // __u64
} as const);

/**
 * `struct io_uring_bpf_filter`: one BPF filter of IORING_REGISTER_BPF_FILTER.
 * @enum
 */
export const io_uring_bpf_filter = Object.freeze({
  sizeof: 64,
  opcode: 0, // io_uring opcode being filtered
  flags: 4, // IO_URING_BPF_FILTER_*
  filter_len: 8, // number of BPF instructions
  pdu_size: 12, // __u8
  resv: 13, // __u8[3]
  filter_ptr: 16, // __u64
  resv2: 24, // __u64[5]
} as const);

/**
 * IORING_REGISTER_BPF_FILTER argument.
 * @enum
 */
export const io_uring_bpf = Object.freeze({
  sizeof: 72,
  cmd_type: 0, // __u16, IO_URING_BPF_CMD_*
  cmd_flags: 2, // __u16
  resv: 4, // __u32
  // anonymous union at 8
  filter: 8, // struct io_uring_bpf_filter
} as const);

// ---------------------------------------------------------------------------
// Other UAPI structs used alongside io_uring (standard Linux x86_64 layouts).
// ---------------------------------------------------------------------------

/**
 * <linux/time_types.h>: two __kernel_long_long fields.
 * @enum
 */
export const __kernel_timespec = Object.freeze({
  sizeof: 16,
  tv_sec: 0,
  tv_nsec: 8,
} as const);

/**
 * <sys/uio.h>: void *iov_base; size_t iov_len.
 * @enum
 */
export const iovec = Object.freeze({
  sizeof: 16,
  iov_base: 0,
  iov_len: 8,
} as const);

/**
 * <linux/openat2.h>: argument of openat2 / IORING_OP_OPENAT2.
 * @enum
 */
export const open_how = Object.freeze({
  sizeof: 24,
  flags: 0, // __u64
  mode: 8, // __u64
  resolve: 16, // __u64
} as const);
