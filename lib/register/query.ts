// What the running kernel's io_uring knows, asked without a ring
// (IORING_REGISTER_QUERY, Linux 6.18): the generic query and the three
// IO_URING_QUERY_* results the pinned header describes.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkIntRange, checkU32 } from '../check.ts';
import { IoUringError } from '../errors.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { addressFor } from '../ring/memory.ts';
import { IORING_REGISTER_QUERY, IO_URING_QUERY_OPCODES, IO_URING_QUERY_SCQ, IO_URING_QUERY_ZCRX } from '../uapi/constants.ts';
import { io_uring_query_hdr, io_uring_query_opcode, io_uring_query_scq, io_uring_query_zcrx } from '../uapi/layout.ts';
import { registerCall, registerRingless } from './syscall.ts';

/**
 * io_uring_register_query(3) for one query: runs IO_URING_QUERY_* `queryOp`
 * with a result struct of `size` bytes and returns those bytes (zero past
 * what the kernel knows how to fill). Ringless unless `ring` is given. Throws
 * IoUringError EOPNOTSUPP for a query the kernel does not know, EINVAL when
 * it has no IORING_REGISTER_QUERY (before Linux 6.18).
 * Differs from liburing: one query, its result returned; not a header chain.
 * @since Linux 6.18
 * @see io_uring_register_query(3)
 */
export function registerQuery(queryOp: number, size: number, ring?: IoUring): Uint8Array {
  checkU32(queryOp, 'queryOp');
  checkIntRange(size, 1, 1 << 20, 'size');
  const data = new Uint8Array(new ArrayBuffer(size));
  const hdr = new Uint8Array(new ArrayBuffer(io_uring_query_hdr.sizeof));
  const dv = new DataView(hdr.buffer);
  dv.setBigUint64(io_uring_query_hdr.query_data, BigInt(addressFor(data, size, 'query data')), true);
  dv.setUint32(io_uring_query_hdr.query_op, queryOp, true);
  dv.setUint32(io_uring_query_hdr.size, size, true);
  const call = `register_query (query_op ${queryOp})`;
  if (ring === undefined) registerRingless(IORING_REGISTER_QUERY, hdr, 0, call, [data]);
  else registerCall(ring, IORING_REGISTER_QUERY, hdr, 0, call, [data]);
  const result = dv.getInt32(io_uring_query_hdr.result, true);
  if (result < 0) throw new IoUringError(result, 'io_uring_register', call);
  return data;
}

/** What IO_URING_QUERY_OPCODES reports (`struct io_uring_query_opcode`). */
export interface QueryOpcodes {
  /** IORING_OP_* opcodes the kernel knows: IORING_OP_LAST, so the highest is one less. */
  nrRequestOpcodes: number;
  /** io_uring_register opcodes it knows (IORING_REGISTER_LAST). */
  nrRegisterOpcodes: number;
  /** Every IORING_FEAT_* bit it can report. */
  featureFlags: bigint;
  /** Every IORING_SETUP_* flag it accepts. */
  ringSetupFlags: bigint;
  /** Every IORING_ENTER_* flag it accepts. */
  enterFlags: bigint;
  /** Every IOSQE_* flag it accepts. */
  sqeFlags: bigint;
  /** IO_URING_QUERY_* queries it knows. */
  nrQueryOpcodes: number;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_OPCODES: what the running kernel's
 * io_uring knows, without a ring.
 * @since Linux 6.18
 * @see io_uring_register_query(3)
 */
export function queryOpcodes(ring?: IoUring): QueryOpcodes {
  const d = registerQuery(IO_URING_QUERY_OPCODES, io_uring_query_opcode.sizeof, ring);
  const dv = new DataView(d.buffer);
  const L = io_uring_query_opcode;
  return {
    nrRequestOpcodes: dv.getUint32(L.nr_request_opcodes, true),
    nrRegisterOpcodes: dv.getUint32(L.nr_register_opcodes, true),
    featureFlags: dv.getBigUint64(L.feature_flags, true),
    ringSetupFlags: dv.getBigUint64(L.ring_setup_flags, true),
    enterFlags: dv.getBigUint64(L.enter_flags, true),
    sqeFlags: dv.getBigUint64(L.sqe_flags, true),
    nrQueryOpcodes: dv.getUint32(L.nr_query_opcodes, true),
  };
}

/** What IO_URING_QUERY_ZCRX reports (`struct io_uring_query_zcrx`). */
export interface QueryZcrx {
  /** `register_flags`: the ZCRX_REG_* flags the kernel takes. */
  registerFlags: bigint;
  /** `area_flags`: the IORING_ZCRX_AREA_* flags the kernel takes. */
  areaFlags: bigint;
  /** `nr_ctrl_opcodes`: how many ZCRX_CTRL_* ops there are. */
  nrCtrlOpcodes: number;
  /** `features`: ZCRX_FEATURE_* bits. */
  features: number;
  /** `rq_hdr_size`: the refill ring header's size. */
  rqHdrSize: number;
  /** `rq_hdr_alignment`: its alignment. */
  rqHdrAlignment: number;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_ZCRX: the zero-copy receive
 * features (EOPNOTSUPP where the kernel has not this query).
 * @see io_uring_register_query(3)
 */
export function queryZcrx(ring?: IoUring): QueryZcrx {
  const d = registerQuery(IO_URING_QUERY_ZCRX, io_uring_query_zcrx.sizeof, ring);
  const dv = new DataView(d.buffer);
  const L = io_uring_query_zcrx;
  return {
    registerFlags: dv.getBigUint64(L.register_flags, true),
    areaFlags: dv.getBigUint64(L.area_flags, true),
    nrCtrlOpcodes: dv.getUint32(L.nr_ctrl_opcodes, true),
    features: dv.getUint32(L.features, true),
    rqHdrSize: dv.getUint32(L.rq_hdr_size, true),
    rqHdrAlignment: dv.getUint32(L.rq_hdr_alignment, true),
  };
}

/** What IO_URING_QUERY_SCQ reports (`struct io_uring_query_scq`). */
export interface QueryScq {
  /** Bytes of the SQ/CQ rings' header. */
  hdrSize: bigint;
  /** Its alignment. */
  hdrAlignment: bigint;
}

/**
 * IORING_REGISTER_QUERY for IO_URING_QUERY_SCQ: the SQ/CQ ring header layout
 * (EOPNOTSUPP where the kernel has not this query).
 * @see io_uring_register_query(3)
 */
export function queryScq(ring?: IoUring): QueryScq {
  const d = registerQuery(IO_URING_QUERY_SCQ, io_uring_query_scq.sizeof, ring);
  const dv = new DataView(d.buffer);
  return {
    hdrSize: dv.getBigUint64(io_uring_query_scq.hdr_size, true),
    hdrAlignment: dv.getBigUint64(io_uring_query_scq.hdr_alignment, true),
  };
}
