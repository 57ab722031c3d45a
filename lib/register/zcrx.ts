// IORING_REGISTER_ZCRX_IFQ: a zero-copy receive interface queue. The NIC
// writes packets straight into `area` (memory the caller gives, page
// aligned), RECV_ZC completions point into it, and the application hands
// buffers back through a refill queue in a region of its own memory. It
// needs a NIC with header split and flow steering to a dedicated queue
// (Linux 6.15), and a ring made with IORING_SETUP_DEFER_TASKRUN and
// IORING_SETUP_CQE32.

import { checkU32 } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { RingLocal } from '../ring/held.ts';
import { addressFor, allocAligned, byteLengthOf } from '../ring/memory.ts';
import { IORING_MEM_REGION_TYPE_USER, IORING_REGISTER_ZCRX_IFQ } from '../uapi/constants.ts';
import { io_uring_region_desc, io_uring_zcrx_area_reg, io_uring_zcrx_ifq_reg, io_uring_zcrx_offsets, io_uring_zcrx_rqe } from '../uapi/layout.ts';
import { registerCall } from './syscall.ts';

const PAGE = 4096;

/** What {@link registerIfq} takes: the fields of `struct io_uring_zcrx_ifq_reg` the caller chooses. */
export interface IfqOptions {
  /** The interface index (`ip link` lists them). */
  ifIdx: number;
  /** The hardware receive queue to take over. */
  rxq: number;
  /** Refill queue entries (a power of two). */
  rqEntries: number;
  /** The receive area: page-aligned memory (allocAligned), kept while the ring lives. */
  area: Uint8Array;
  /** ZCRX_REG_* flags (default 0). */
  flags?: number;
  /** Receive buffer length hint (0: the kernel's default). */
  rxBufLen?: number;
}

/** A registered zero-copy receive queue and its refill ring. */
export interface Ifq {
  /** `zcrx_id`: what RECV_ZC's `zcrx_ifq_idx` names. */
  readonly id: number;
  /** The refill queue's memory; the words at `head`/`tail` and the entries at `rqes` are byte offsets in it. */
  readonly rq: Uint8Array;
  /** Byte offset in `rq` of the refill queue's head (u32). */
  readonly head: number;
  /** Byte offset in `rq` of its tail (u32). */
  readonly tail: number;
  /** Byte offset in `rq` of its first `io_uring_zcrx_rqe`. */
  readonly rqes: number;
  /** How many refill entries there are. */
  readonly rqEntries: number;
}

// The area and the refill queue stay pinned by the kernel for the ring's life.
const held = new RingLocal<unknown[]>('zcrx memory');

/**
 * io_uring_register_ifq(3): registers a zero-copy receive queue on NIC queue
 * `rxq` of interface `ifIdx`. Throws IoUringError (EINVAL, EOPNOTSUPP or
 * ENODEV where the NIC can't do it).
 *
 * Differs from liburing: takes an object and returns the queue where liburing
 * fills the caller's struct io_uring_zcrx_ifq_reg.
 * @since Linux 6.15
 * @see io_uring_register_ifq(3)
 */
export function registerIfq(ring: IoUring, opts: IfqOptions): Ifq {
  const { ifIdx, rxq, rqEntries, area, flags = 0, rxBufLen = 0 } = opts;
  checkU32(ifIdx, 'ifIdx');
  checkU32(rxq, 'rxq');
  checkU32(flags, 'flags');
  checkU32(rxBufLen, 'rxBufLen');
  if (!Number.isInteger(rqEntries) || rqEntries < 1 || rqEntries > 32768 || (rqEntries & (rqEntries - 1)) !== 0) {
    throw new RangeError(`rqEntries must be a power of two up to 32768 (got ${rqEntries})`);
  }
  const areaLen = byteLengthOf(area, 'area');
  const areaAddr = addressFor(area, areaLen, 'area');
  if (areaAddr % PAGE !== 0 || areaLen === 0 || areaLen % PAGE !== 0) {
    throw new RangeError('area must be page-aligned whole pages (use allocAligned)');
  }
  // The refill queue: a page of header (head, tail) then the entries, as
  // the kernels before the query interface lay it out.
  const rq = allocAligned(PAGE + Math.ceil((rqEntries * io_uring_zcrx_rqe.sizeof) / PAGE) * PAGE);
  const region = new Uint8Array(new ArrayBuffer(io_uring_region_desc.sizeof));
  const rd = new DataView(region.buffer);
  rd.setBigUint64(io_uring_region_desc.user_addr, BigInt(addressFor(rq, rq.length, 'refill queue')), true);
  rd.setBigUint64(io_uring_region_desc.size, BigInt(rq.length), true);
  rd.setUint32(io_uring_region_desc.flags, IORING_MEM_REGION_TYPE_USER, true);
  const areaReg = new Uint8Array(new ArrayBuffer(io_uring_zcrx_area_reg.sizeof));
  const ad = new DataView(areaReg.buffer);
  ad.setBigUint64(io_uring_zcrx_area_reg.addr, BigInt(areaAddr), true);
  ad.setBigUint64(io_uring_zcrx_area_reg.len, BigInt(areaLen), true);
  const reg = new Uint8Array(new ArrayBuffer(io_uring_zcrx_ifq_reg.sizeof));
  const d = new DataView(reg.buffer);
  d.setUint32(io_uring_zcrx_ifq_reg.if_idx, ifIdx, true);
  d.setUint32(io_uring_zcrx_ifq_reg.if_rxq, rxq, true);
  d.setUint32(io_uring_zcrx_ifq_reg.rq_entries, rqEntries, true);
  d.setUint32(io_uring_zcrx_ifq_reg.flags, flags, true);
  d.setBigUint64(io_uring_zcrx_ifq_reg.area_ptr, BigInt(addressFor(areaReg, areaReg.length, 'area_reg')), true);
  d.setBigUint64(io_uring_zcrx_ifq_reg.region_ptr, BigInt(addressFor(region, region.length, 'region')), true);
  d.setUint32(io_uring_zcrx_ifq_reg.rx_buf_len, rxBufLen, true);
  // Held from before the call: the kernel pins both on success.
  let list = held.get(ring);
  if (list === undefined) held.set(ring, (list = []));
  list.push(area, rq);
  try {
    registerCall(ring, IORING_REGISTER_ZCRX_IFQ, reg, 1, 'register_ifq', [areaReg, region]);
  } catch (err) {
    list.splice(list.length - 2, 2);
    throw err;
  }
  const off = io_uring_zcrx_ifq_reg.offsets;
  return {
    id: d.getUint32(io_uring_zcrx_ifq_reg.zcrx_id, true),
    rq,
    head: d.getUint32(off + io_uring_zcrx_offsets.head, true),
    tail: d.getUint32(off + io_uring_zcrx_offsets.tail, true),
    rqes: d.getUint32(off + io_uring_zcrx_offsets.rqes, true),
    rqEntries: d.getUint32(io_uring_zcrx_ifq_reg.rq_entries, true),
  };
}
