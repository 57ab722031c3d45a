/**
 * Tests for lib/uapi/constants.ts and lib/uapi/layout.ts.
 *
 * Pinned revision: the kernel's include/uapi/linux/io_uring.h as carried by
 * liburing at commit 3891a21ffec618a160f026eeb15bb2ad4e2b9202 (2026-04-28),
 * with its sub-headers io_uring/query.h and io_uring/bpf_filter.h.
 *
 *  a) every struct in layout.ts is re-declared here with koffi from the C
 *     field types, and koffi's sizeof/offsetof must match layout.ts;
 *  b) constants are compared with the machine's own (older) copy of
 *     /usr/include/linux/io_uring.h, parsed at test time;
 *  c) table-driven expectations for key numbers of the pinned header.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import koffi from 'koffi';
import type { TypeObject } from 'koffi';
import * as C from '../lib/uapi/constants.ts';
import * as L from '../lib/uapi/layout.ts';
import { flagNames } from '../lib/uapi/names.ts';

type Layout = Readonly<Record<string, number>>;
const layouts = L as unknown as Record<string, Layout>;
const consts = C as unknown as Record<string, unknown>;

// ===========================================================================
// a) koffi cross-check of layout.ts
// ===========================================================================

// C scalar types used by the headers (x86_64).
const u8 = 'uint8_t';
const u16 = 'uint16_t';
const u32 = 'uint32_t';
const u64 = 'uint64_t';
const s32 = 'int32_t';
/** __aligned_u64: a __u64 with 8-byte alignment forced. */
const aligned_u64: [number, string] = [8, 'uint64_t'];
/** __kernel_rwf_t is a plain int. */
const kernel_rwf_t = 'int';

const arr = (t: string | TypeObject, n: number): TypeObject => koffi.array(t, n);

/*
 * koffi has no anonymous members, no zero-length and no flexible arrays. So:
 *  - an anonymous struct/union member is declared under a name starting with
 *    ANON and its members are flattened into the parent at the test's side;
 *  - a flexible or zero-length array `T x[]` / `T x[0]` is declared as `T
 *    x[1]`. Inside a union whose other members are at least as large this
 *    does not change the layout. At the end of a struct it only affects
 *    sizeof, which C defines as the flexible member's offset rounded up to
 *    the struct's alignment; such members are listed in `flexTail`.
 * All koffi types here are anonymous, so no global type names are taken.
 */
const ANON = '_anon_';
/** one element standing in for a flexible / zero-length array */
const FLEX = 1;

type Def = Record<string, string | TypeObject | [number, string | TypeObject]>;
const struct = (def: Def): TypeObject => koffi.struct(def);
const union = (def: Def): TypeObject => koffi.union(def);

interface Decl {
  type: TypeObject;
  /** name of a trailing flexible / zero-length array member */
  flexTail?: string;
}

// Named structs that are embedded in others: declared once and reused.
const k_kernel_timespec = struct({ tv_sec: 'int64_t', tv_nsec: 'int64_t' });
const k_io_sqring_offsets = struct({
  head: u32, tail: u32, ring_mask: u32, ring_entries: u32,
  flags: u32, dropped: u32, array: u32, resv1: u32, user_addr: u64,
});
const k_io_cqring_offsets = struct({
  head: u32, tail: u32, ring_mask: u32, ring_entries: u32,
  overflow: u32, cqes: u32, flags: u32, resv1: u32, user_addr: u64,
});
const k_io_uring_probe_op = struct({ op: u8, resv: u8, flags: u16, resv2: u32 });
const k_io_uring_restriction = struct({
  opcode: u16,
  [`${ANON}u0`]: union({ register_op: u8, sqe_op: u8, sqe_flags: u8 }),
  resv: u8,
  resv2: arr(u32, 3),
});
const k_io_uring_buf = struct({ addr: u64, len: u32, bid: u16, resv: u16 });
const k_io_uring_zcrx_offsets = struct({
  head: u32, tail: u32, rqes: u32, __resv2: u32, __resv: arr(u64, 2),
});
const k_zcrx_ctrl_flush_rq = struct({ __resv: arr(u64, 6) });
const k_zcrx_ctrl_export = struct({ zcrx_fd: u32, __resv1: arr(u32, 11) });
const k_bpf_ctx_socket = struct({ family: u32, type: u32, protocol: u32 });
const k_bpf_ctx_open = struct({ flags: u64, mode: u64, resolve: u64 });
const k_io_uring_bpf_filter = struct({
  opcode: u32, flags: u32, filter_len: u32, pdu_size: u8, resv: arr(u8, 3),
  filter_ptr: u64, resv2: arr(u64, 5),
});

const decls: Record<string, Decl> = {
  io_uring_sqe: {
    type: struct({
      opcode: u8,
      flags: u8,
      ioprio: u16,
      fd: s32,
      [`${ANON}u0`]: union({
        off: u64,
        addr2: u64,
        [`${ANON}s0`]: struct({ cmd_op: u32, __pad1: u32 }),
      }),
      [`${ANON}u1`]: union({
        addr: u64,
        splice_off_in: u64,
        [`${ANON}s1`]: struct({ level: u32, optname: u32 }),
      }),
      len: u32,
      [`${ANON}u2`]: union({
        rw_flags: kernel_rwf_t,
        fsync_flags: u32,
        poll_events: u16,
        poll32_events: u32,
        sync_range_flags: u32,
        msg_flags: u32,
        timeout_flags: u32,
        accept_flags: u32,
        cancel_flags: u32,
        open_flags: u32,
        statx_flags: u32,
        fadvise_advice: u32,
        splice_flags: u32,
        rename_flags: u32,
        unlink_flags: u32,
        hardlink_flags: u32,
        xattr_flags: u32,
        msg_ring_flags: u32,
        uring_cmd_flags: u32,
        waitid_flags: u32,
        futex_flags: u32,
        install_fd_flags: u32,
        nop_flags: u32,
        pipe_flags: u32,
      }),
      user_data: u64,
      // union { ... } __attribute__((packed)): every member aligned to 1
      [`${ANON}u3`]: union({ buf_index: [1, u16], buf_group: [1, u16] }),
      personality: u16,
      [`${ANON}u4`]: union({
        splice_fd_in: s32,
        file_index: u32,
        zcrx_ifq_idx: u32,
        optlen: u32,
        [`${ANON}s2`]: struct({ addr_len: u16, __pad3: arr(u16, 1) }),
      }),
      [`${ANON}u5`]: union({
        [`${ANON}s3`]: struct({ addr3: u64, __pad2: arr(u64, 1) }),
        [`${ANON}s4`]: struct({ attr_ptr: u64, attr_type_mask: u64 }),
        optval: u64,
        cmd: arr(u8, FLEX), // __u8 cmd[0]
      }),
    }),
  },
  io_uring_attr_pi: {
    type: struct({ flags: u16, app_tag: u16, len: u32, addr: u64, seed: u64, rsvd: u64 }),
  },
  io_uring_cqe: {
    type: struct({ user_data: u64, res: s32, flags: u32, big_cqe: arr(u64, FLEX) }),
    flexTail: 'big_cqe',
  },
  io_sqring_offsets: { type: k_io_sqring_offsets },
  io_cqring_offsets: { type: k_io_cqring_offsets },
  io_uring_params: {
    type: struct({
      sq_entries: u32, cq_entries: u32, flags: u32, sq_thread_cpu: u32,
      sq_thread_idle: u32, features: u32, wq_fd: u32, resv: arr(u32, 3),
      sq_off: k_io_sqring_offsets, cq_off: k_io_cqring_offsets,
    }),
  },
  io_uring_files_update: {
    type: struct({ offset: u32, resv: u32, fds: aligned_u64 }),
  },
  io_uring_region_desc: {
    type: struct({
      user_addr: u64, size: u64, flags: u32, id: u32, mmap_offset: u64, __resv: arr(u64, 4),
    }),
  },
  io_uring_mem_region_reg: {
    type: struct({ region_uptr: u64, flags: u64, __resv: arr(u64, 2) }),
  },
  io_uring_rsrc_register: {
    type: struct({ nr: u32, flags: u32, resv2: u64, data: aligned_u64, tags: aligned_u64 }),
  },
  io_uring_rsrc_update: {
    type: struct({ offset: u32, resv: u32, data: aligned_u64 }),
  },
  io_uring_rsrc_update2: {
    type: struct({
      offset: u32, resv: u32, data: aligned_u64, tags: aligned_u64, nr: u32, resv2: u32,
    }),
  },
  io_uring_probe_op: { type: k_io_uring_probe_op },
  io_uring_probe: {
    type: struct({
      last_op: u8, ops_len: u8, resv: u16, resv2: arr(u32, 3),
      ops: arr(k_io_uring_probe_op, FLEX),
    }),
    flexTail: 'ops',
  },
  io_uring_restriction: { type: k_io_uring_restriction },
  io_uring_task_restriction: {
    type: struct({
      flags: u16, nr_res: u16, resv: arr(u32, 3),
      restrictions: arr(k_io_uring_restriction, FLEX),
    }),
    flexTail: 'restrictions',
  },
  io_uring_clock_register: {
    type: struct({ clockid: u32, __resv: arr(u32, 3) }),
  },
  io_uring_clone_buffers: {
    type: struct({
      src_fd: u32, flags: u32, src_off: u32, dst_off: u32, nr: u32, pad: arr(u32, 3),
    }),
  },
  io_uring_buf: { type: k_io_uring_buf },
  io_uring_buf_ring: {
    type: struct({
      [`${ANON}u0`]: union({
        [`${ANON}s0`]: struct({ resv1: u64, resv2: u32, resv3: u16, tail: u16 }),
        bufs: arr(k_io_uring_buf, FLEX), // struct io_uring_buf bufs[0]
      }),
    }),
  },
  io_uring_buf_reg: {
    type: struct({
      ring_addr: u64, ring_entries: u32, bgid: u16, flags: u16, min_left: u32, resv: arr(u32, 5),
    }),
  },
  io_uring_buf_status: {
    type: struct({ buf_group: u32, head: u32, resv: arr(u32, 8) }),
  },
  io_uring_napi: {
    type: struct({ busy_poll_to: u32, prefer_busy_poll: u8, pad: arr(u8, 3), resv: u64 }),
  },
  io_uring_reg_wait: {
    type: struct({
      ts: k_kernel_timespec, min_wait_usec: u32, flags: u32, sigmask: u64,
      sigmask_sz: u32, pad: arr(u32, 3), pad2: arr(u64, 2),
    }),
  },
  io_uring_getevents_arg: {
    type: struct({ sigmask: u64, sigmask_sz: u32, min_wait_usec: u32, ts: u64 }),
  },
  io_uring_sync_cancel_reg: {
    type: struct({
      addr: u64, fd: s32, flags: u32, timeout: k_kernel_timespec,
      opcode: u8, pad: arr(u8, 7), pad2: arr(u64, 3),
    }),
  },
  io_uring_file_index_range: {
    type: struct({ off: u32, len: u32, resv: u64 }),
  },
  io_uring_recvmsg_out: {
    type: struct({ namelen: u32, controllen: u32, payloadlen: u32, flags: u32 }),
  },
  io_timespec: { type: struct({ tv_sec: u64, tv_nsec: u64 }) },
  io_uring_zcrx_rqe: { type: struct({ off: u64, len: u32, __pad: u32 }) },
  io_uring_zcrx_cqe: { type: struct({ off: u64, __pad: u64 }) },
  io_uring_zcrx_offsets: { type: k_io_uring_zcrx_offsets },
  io_uring_zcrx_area_reg: {
    type: struct({
      addr: u64, len: u64, rq_area_token: u64, flags: u32, dmabuf_fd: u32, __resv2: arr(u64, 2),
    }),
  },
  io_uring_zcrx_ifq_reg: {
    type: struct({
      if_idx: u32, if_rxq: u32, rq_entries: u32, flags: u32,
      area_ptr: u64, region_ptr: u64,
      offsets: k_io_uring_zcrx_offsets,
      zcrx_id: u32, rx_buf_len: u32, __resv: arr(u64, 3),
    }),
  },
  zcrx_ctrl_flush_rq: { type: k_zcrx_ctrl_flush_rq },
  zcrx_ctrl_export: { type: k_zcrx_ctrl_export },
  zcrx_ctrl: {
    type: struct({
      zcrx_id: u32, op: u32, __resv: arr(u64, 2),
      [`${ANON}u0`]: union({ zc_export: k_zcrx_ctrl_export, zc_flush: k_zcrx_ctrl_flush_rq }),
    }),
  },
  // io_uring/query.h
  io_uring_query_hdr: {
    type: struct({
      next_entry: u64, query_data: u64, query_op: u32, size: u32, result: s32, __resv: arr(u32, 3),
    }),
  },
  io_uring_query_opcode: {
    type: struct({
      nr_request_opcodes: u32, nr_register_opcodes: u32, feature_flags: u64,
      ring_setup_flags: u64, enter_flags: u64, sqe_flags: u64, nr_query_opcodes: u32, __pad: u32,
    }),
  },
  io_uring_query_zcrx: {
    type: struct({
      register_flags: u64, area_flags: u64, nr_ctrl_opcodes: u32, features: u32,
      rq_hdr_size: u32, rq_hdr_alignment: u32, __resv2: u64,
    }),
  },
  io_uring_query_scq: { type: struct({ hdr_size: u64, hdr_alignment: u64 }) },
  // io_uring/bpf_filter.h
  io_uring_bpf_ctx: {
    type: struct({
      user_data: u64, opcode: u8, sqe_flags: u8, pdu_size: u8, pad: arr(u8, 5),
      [`${ANON}u0`]: union({ socket: k_bpf_ctx_socket, open: k_bpf_ctx_open }),
    }),
  },
  io_uring_bpf_ctx_socket: { type: k_bpf_ctx_socket },
  io_uring_bpf_ctx_open: { type: k_bpf_ctx_open },
  io_uring_bpf_filter: { type: k_io_uring_bpf_filter },
  io_uring_bpf: {
    type: struct({
      cmd_type: u16, cmd_flags: u16, resv: u32,
      [`${ANON}u0`]: union({ filter: k_io_uring_bpf_filter }),
    }),
  },
  // other UAPI headers
  __kernel_timespec: { type: k_kernel_timespec },
  iovec: { type: struct({ iov_base: 'void *', iov_len: 'size_t' }) },
  open_how: { type: struct({ flags: u64, mode: u64, resolve: u64 }) },
};

/** Named-member offsets of a koffi type, with anonymous members flattened. */
function flatten(t: TypeObject, base = 0, out = new Map<string, number>()): Map<string, number> {
  const members = t.members;
  if (!members) throw new Error(`type ${t.name} has no members`);
  for (const name of Object.keys(members)) {
    // koffi.offsetof() only accepts structs; for a union use the member
    // offset koffi reports in its type description (0 for every member).
    const rel = t.primitive === 'Union' ? members[name]!.offset : koffi.offsetof(t, name);
    const off = base + rel;
    if (name.startsWith(ANON)) {
      flatten(members[name]!.type, off, out);
    } else {
      if (out.has(name)) throw new Error(`duplicate member ${name}`);
      out.set(name, off);
    }
  }
  return out;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** C sizeof for the declaration (see the FLEX comment above). */
function cSizeof(d: Decl): number {
  if (d.flexTail === undefined) return koffi.sizeof(d.type);
  return alignUp(koffi.offsetof(d.type, d.flexTail), koffi.alignof(d.type));
}

describe('layout.ts matches koffi (x86_64 C ABI)', () => {
  it('koffi sees the x86_64 sizes this file assumes', () => {
    expect(koffi.sizeof('void *')).toBe(8);
    expect(koffi.sizeof('size_t')).toBe(8);
    expect(koffi.alignof(u64)).toBe(8);
    expect(koffi.sizeof(kernel_rwf_t)).toBe(4);
  });

  it('every layout export has a koffi declaration and vice versa', () => {
    expect(Object.keys(decls).sort()).toEqual(Object.keys(layouts).sort());
  });

  it('the stand-in for flexible arrays behaves as assumed', () => {
    // A flexible tail must not count towards sizeof: struct { u64; s32; u32; u64[] } is 16.
    expect(cSizeof(decls.io_uring_cqe!)).toBe(16);
    expect(koffi.sizeof(decls.io_uring_cqe!.type)).toBe(24);
  });

  for (const [name, decl] of Object.entries(decls)) {
    describe(name, () => {
      const layout = layouts[name];

      it('sizeof', () => {
        expect(layout).toBeDefined();
        expect(layout!.sizeof).toBe(cSizeof(decl));
      });

      it('every layout field has the koffi offset (union aliases included)', () => {
        const offsets = flatten(decl.type);
        const fields = Object.keys(layout!).filter((k) => k !== 'sizeof');
        expect(fields.length).toBeGreaterThan(0);
        for (const f of fields) {
          expect(offsets.has(f), `${name}.${f} is not a member of the C struct`).toBe(true);
          expect(layout![f], `${name}.${f}`).toBe(offsets.get(f));
        }
      });

      it('every C member is listed in layout', () => {
        const offsets = flatten(decl.type);
        for (const m of offsets.keys()) {
          expect(Object.hasOwn(layout!, m), `${name}.${m} missing from layout.ts`).toBe(true);
        }
      });
    });
  }

  it('embedded named structs have the size of their own layout entry', () => {
    const embedded: Array<[string, string, string]> = [
      ['io_uring_params', 'sq_off', 'io_sqring_offsets'],
      ['io_uring_params', 'cq_off', 'io_cqring_offsets'],
      ['io_uring_reg_wait', 'ts', '__kernel_timespec'],
      ['io_uring_sync_cancel_reg', 'timeout', '__kernel_timespec'],
      ['io_uring_zcrx_ifq_reg', 'offsets', 'io_uring_zcrx_offsets'],
      ['zcrx_ctrl', 'zc_export', 'zcrx_ctrl_export'],
      ['zcrx_ctrl', 'zc_flush', 'zcrx_ctrl_flush_rq'],
      ['io_uring_bpf_ctx', 'socket', 'io_uring_bpf_ctx_socket'],
      ['io_uring_bpf_ctx', 'open', 'io_uring_bpf_ctx_open'],
      ['io_uring_bpf', 'filter', 'io_uring_bpf_filter'],
    ];
    for (const [outer, field, inner] of embedded) {
      const o = layouts[outer]!;
      const i = layouts[inner]!;
      expect(o[field], `${outer}.${field}`).toBeTypeOf('number');
      expect(o[field]! + i.sizeof!, `${outer}.${field} fits`).toBeLessThanOrEqual(o.sizeof!);
    }
    // the flexible arrays hold elements of these structs
    expect(L.io_uring_probe.ops).toBe(L.io_uring_probe.sizeof);
    expect(L.io_uring_task_restriction.restrictions).toBe(L.io_uring_task_restriction.sizeof);
    expect(L.io_uring_buf_ring.sizeof).toBe(L.io_uring_buf.sizeof);
  });

  it('layout objects are frozen and offsets lie within the struct', () => {
    for (const [name, layout] of Object.entries(layouts)) {
      expect(Object.isFrozen(layout), name).toBe(true);
      for (const [f, v] of Object.entries(layout)) {
        expect(Number.isInteger(v), `${name}.${f}`).toBe(true);
        expect(v, `${name}.${f}`).toBeGreaterThanOrEqual(0);
        expect(v, `${name}.${f}`).toBeLessThanOrEqual(layout.sizeof!);
      }
    }
  });
});

// ===========================================================================
// b) constants vs. the system's /usr/include/linux/io_uring.h
// ===========================================================================

/** A C integer value with just enough type information for ~ and <<. */
interface CVal {
  v: bigint;
  bits: 32 | 64;
  unsigned: boolean;
}

const CAST_TYPES: Record<string, Omit<CVal, 'v'>> = {
  __u8: { bits: 32, unsigned: false }, // promoted to int
  __u16: { bits: 32, unsigned: false },
  __u32: { bits: 32, unsigned: true },
  __s32: { bits: 32, unsigned: false },
  __u64: { bits: 64, unsigned: true },
  __s64: { bits: 64, unsigned: false },
};

function wrap(x: CVal): CVal {
  const v = x.unsigned ? BigInt.asUintN(x.bits, x.v) : BigInt.asIntN(x.bits, x.v);
  return { ...x, v };
}

function common(a: CVal, b: CVal): Omit<CVal, 'v'> {
  if (a.bits !== b.bits) return a.bits > b.bits ? { bits: a.bits, unsigned: a.unsigned } : { bits: b.bits, unsigned: b.unsigned };
  return { bits: a.bits, unsigned: a.unsigned || b.unsigned };
}

/**
 * Evaluates the small C constant expressions found in UAPI headers:
 * integer literals with U/L suffixes, names already known, parentheses,
 * casts to __uNN/__sNN, unary ~ - +, and binary << >> + - & | ^.
 * Returns undefined for anything else.
 */
function evalC(expr: string, known: Map<string, CVal>): CVal | undefined {
  const toks = expr.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()~+\-|&^]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const next = (): string | undefined => toks[i++];

  function primary(): CVal | undefined {
    const t = next();
    if (t === undefined) return undefined;
    if (t === '(') {
      const maybeType = peek();
      if (maybeType !== undefined && Object.hasOwn(CAST_TYPES, maybeType) && toks[i + 1] === ')') {
        i += 2;
        const operand = unary();
        return operand && wrap({ ...CAST_TYPES[maybeType]!, v: operand.v });
      }
      const inner = binary(0);
      if (next() !== ')') return undefined;
      return inner;
    }
    const num = /^(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)$/.exec(t);
    if (num) {
      const suffix = num[2]!.toLowerCase();
      const v = BigInt(num[1]!);
      const bits = suffix.includes('l') || v > 0xffffffffn ? 64 : 32;
      const unsigned = suffix.includes('u') || (bits === 32 && v > 0x7fffffffn);
      return { v, bits, unsigned };
    }
    if (/^[A-Za-z_]\w*$/.test(t)) return known.get(t);
    return undefined;
  }

  function unary(): CVal | undefined {
    const t = peek();
    if (t === '~' || t === '-' || t === '+') {
      i++;
      const x = unary();
      if (!x) return undefined;
      if (t === '~') return wrap({ ...x, v: ~x.v });
      if (t === '-') return wrap({ ...x, v: -x.v });
      return x;
    }
    return primary();
  }

  const PREC: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5 };

  function binary(minPrec: number): CVal | undefined {
    let lhs = unary();
    while (lhs) {
      const op = peek();
      const p = op === undefined ? undefined : PREC[op];
      if (p === undefined || p < minPrec) break;
      i++;
      const rhs = binary(p + 1);
      if (!rhs) return undefined;
      if (op === '<<') lhs = wrap({ ...lhs, v: lhs.v << rhs.v });
      else if (op === '>>') lhs = wrap({ ...lhs, v: lhs.v >> rhs.v });
      else {
        const t = common(lhs, rhs);
        const v = op === '|' ? lhs.v | rhs.v : op === '&' ? lhs.v & rhs.v : op === '^' ? lhs.v ^ rhs.v
          : op === '+' ? lhs.v + rhs.v : lhs.v - rhs.v;
        lhs = wrap({ ...t, v });
      }
    }
    return lhs;
  }

  const result = binary(0);
  return i === toks.length ? result : undefined;
}

interface ParsedHeader {
  values: Map<string, bigint>;
  /** #define NAME value lines whose value could not be evaluated */
  unparsed: string[];
}

/** Collects every object-like #define and every enum constant of a header. */
function parseHeader(text: string): ParsedHeader {
  const src = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\\\n/g, ' ');

  // Pending items in source order; resolved in passes so that forward
  // references between defines still work.
  type Item = { kind: 'define'; name: string; expr: string } | { kind: 'enum'; entries: string[] };
  const items: Array<{ pos: number; item: Item }> = [];
  for (const m of src.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(\(?)(.*)$/gm)) {
    const expr = m[3]!.trim();
    if (m[2] === '(' || expr === '') continue; // function-like macro or include guard
    items.push({ pos: m.index!, item: { kind: 'define', name: m[1]!, expr } });
  }
  for (const m of src.matchAll(/\benum\s*\w*\s*\{([^}]*)\}/g)) {
    const entries = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    items.push({ pos: m.index!, item: { kind: 'enum', entries } });
  }
  items.sort((a, b) => a.pos - b.pos);

  const known = new Map<string, CVal>();
  const pendingDefines = new Map<string, string>();
  for (const { item } of items) {
    if (item.kind === 'define') {
      pendingDefines.set(item.name, item.expr);
      continue;
    }
    let last: CVal | undefined;
    for (const e of item.entries) {
      const eq = /^(\w+)\s*(?:=\s*([\s\S]+))?$/.exec(e);
      if (!eq) throw new Error(`cannot parse enum entry: ${e}`);
      const val: CVal | undefined = eq[2] !== undefined
        ? evalC(eq[2], known)
        : last === undefined ? { v: 0n, bits: 32, unsigned: false } : { ...last, v: last.v + 1n };
      if (!val) throw new Error(`cannot evaluate enum entry: ${e}`);
      known.set(eq[1]!, val);
      last = val;
    }
  }
  // Defines may refer to each other and to enum constants; iterate to a fixpoint.
  let progress = true;
  while (progress && pendingDefines.size > 0) {
    progress = false;
    for (const [name, expr] of pendingDefines) {
      const val = evalC(expr, known);
      if (val) {
        known.set(name, val);
        pendingDefines.delete(name);
        progress = true;
      }
    }
  }
  const values = new Map<string, bigint>();
  for (const [k, v] of known) values.set(k, v.v);
  return { values, unparsed: [...pendingDefines].map(([k, v]) => `${k} ${v}`) };
}

describe('header expression parser', () => {
  const parsed = parseHeader(`
    #define A (1U << 31)
    #define B (A | C)
    enum { X, Y = 5, Z, W = 1U << 31 };
    #define C 0x10ULL
    #define D (~0U)
    #define E (-2)
    #define F (~(((__u64)1 << 48) - 1))
    #define G ((__u32)1 << 16)
    #define GUARD
    #define fn(x) (x)
  `);
  it('evaluates the forms used in UAPI headers', () => {
    expect(Object.fromEntries(parsed.values)).toEqual({
      X: 0n, Y: 5n, Z: 6n, W: 0x80000000n,
      A: 0x80000000n, B: 0x80000010n, C: 0x10n, D: 0xffffffffn, E: -2n,
      F: 0xffff000000000000n, G: 0x10000n,
    });
    expect(parsed.unparsed).toEqual([]);
  });
  it('reports what it cannot evaluate', () => {
    expect(parseHeader('#define H (sizeof(int))').unparsed).toEqual(['H (sizeof(int))']);
  });
});

const SYSTEM_HEADER = '/usr/include/linux/io_uring.h';
const haveSystemHeader = existsSync(SYSTEM_HEADER);

/**
 * One-past-the-end sentinels: they grow whenever the kernel adds an entry, so
 * the newer pinned header must have a value at least as large, not an equal one.
 */
const GROWING_SENTINELS = new Set(['IORING_OP_LAST', 'IORING_REGISTER_LAST', 'IORING_RESTRICTION_LAST']);

/**
 * Names in the old header that the pinned header no longer defines, because
 * they were renamed or dropped. Any other missing name fails the test.
 * (Empty at the pinned revision: every name of the 6.1 header survives.)
 */
const RENAMED_OR_DROPPED: ReadonlyMap<string, string> = new Map<string, string>([]);

describe('constants.ts vs the system io_uring.h', () => {
  it.skipIf(!haveSystemHeader)(
    haveSystemHeader
      ? `agrees with every name in ${SYSTEM_HEADER}`
      : `agrees with every name in ${SYSTEM_HEADER} (skipped: that file is not present on this machine)`,
    () => {
      const { values, unparsed } = parseHeader(readFileSync(SYSTEM_HEADER, 'utf8'));
      expect(unparsed, 'defines the parser could not evaluate').toEqual([]);

      let compared = 0;
      const missing: string[] = [];
      const mismatched: string[] = [];
      for (const [name, sysValue] of values) {
        if (!(name in consts)) {
          if (!RENAMED_OR_DROPPED.has(name)) missing.push(name);
          continue;
        }
        const ours = consts[name];
        expect(typeof ours === 'number' || typeof ours === 'bigint', name).toBe(true);
        const ourBig = BigInt(ours as number | bigint);
        if (GROWING_SENTINELS.has(name)) {
          if (ourBig < sysValue) mismatched.push(`${name}: ours ${ourBig} < system ${sysValue}`);
        } else if (ourBig !== sysValue) {
          mismatched.push(`${name}: ours ${ourBig} != system ${sysValue}`);
        }
        compared++;
      }
      expect(missing, 'names in the system header missing from constants.ts').toEqual([]);
      expect(mismatched).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(80);
    },
  );
});

// ===========================================================================
// c) table-driven expectations from the pinned header
// ===========================================================================

describe('pinned header: key constants', () => {
  const table: Array<[string, number | bigint]> = [
    ['IORING_OP_NOP', 0],
    ['IORING_OP_READV', 1],
    ['IORING_OP_TIMEOUT', 11],
    ['IORING_OP_OPENAT2', 28],
    ['IORING_OP_READ', 22],
    ['IORING_OP_WRITE', 23],
    ['IORING_OP_SEND_ZC', 47],
    ['IORING_OP_SENDMSG_ZC', 48],
    ['IORING_OP_READ_MULTISHOT', 49],
    ['IORING_OP_FIXED_FD_INSTALL', 54],
    ['IORING_OP_RECV_ZC', 58],
    ['IORING_OP_PIPE', 62],
    ['IORING_OP_NOP128', 63],
    ['IORING_OP_URING_CMD128', 64],
    ['IORING_OP_LAST', 65],
    ['IORING_REGISTER_BUFFERS', 0],
    ['IORING_UNREGISTER_BUFFERS', 1],
    ['IORING_REGISTER_PBUF_RING', 22],
    ['IORING_REGISTER_NAPI', 27],
    ['IORING_REGISTER_MEM_REGION', 34],
    ['IORING_REGISTER_QUERY', 35],
    ['IORING_REGISTER_ZCRX_CTRL', 36],
    ['IORING_REGISTER_BPF_FILTER', 37],
    ['IORING_REGISTER_LAST', 38],
    ['IORING_REGISTER_USE_REGISTERED_RING', 0x80000000],
    ['IORING_RESTRICTION_LAST', 4],
    ['IOSQE_FIXED_FILE', 1],
    ['IOSQE_CQE_SKIP_SUCCESS', 64],
    ['IORING_SETUP_SQPOLL', 2],
    ['IORING_SETUP_DEFER_TASKRUN', 1 << 13],
    ['IORING_SETUP_NO_SQARRAY', 1 << 16],
    ['IORING_SETUP_CQE_MIXED', 1 << 18],
    ['IORING_SETUP_SQE_MIXED', 1 << 19],
    ['IORING_SETUP_SQ_REWIND', 1 << 20],
    ['IORING_ENTER_GETEVENTS', 1],
    ['IORING_ENTER_EXT_ARG', 8],
    ['IORING_ENTER_NO_IOWAIT', 128],
    ['IORING_FEAT_NO_IOWAIT', 1 << 17],
    ['IORING_CQE_F_MORE', 2],
    ['IORING_CQE_F_SKIP', 32],
    ['IORING_CQE_F_32', 1 << 15],
    ['IORING_CQE_BUFFER_SHIFT', 16],
    ['IORING_CQE_F_TSTAMP_HW', 1 << 16],
    ['IORING_TIMESTAMP_TYPE_SHIFT', 17],
    ['IORING_TIMEOUT_IMMEDIATE_ARG', 128],
    ['IORING_TIMEOUT_CLOCK_MASK', 12],
    ['IORING_TIMEOUT_UPDATE_MASK', 18],
    ['SPLICE_F_FD_IN_FIXED', 2 ** 31],
    ['IORING_NOTIF_USAGE_ZC_COPIED', 2 ** 31],
    ['IORING_FILE_INDEX_ALLOC', 2 ** 32 - 1],
    ['IORING_REGISTER_FILES_SKIP', -2],
    ['IORING_OFF_SQ_RING', 0],
    ['IORING_OFF_CQ_RING', 0x8000000],
    ['IORING_OFF_SQES', 0x10000000],
    ['IORING_OFF_PBUF_RING', 0x80000000],
    ['IORING_OFF_MMAP_MASK', 0xf8000000],
    ['IORING_NOP_CQE32', 32],
    ['IORING_SEND_VECTORIZED', 32],
    ['IORING_MSG_SEND_FD', 1],
    ['IOU_PBUF_RING_INC', 2],
    ['IORING_ZCRX_AREA_SHIFT', 48],
    ['IORING_ZCRX_AREA_MASK', 0xffff000000000000n],
    ['ZCRX_REG_NODEV', 2],
    ['__ZCRX_CTRL_LAST', 2],
    ['SOCKET_URING_OP_GETSOCKNAME', 5],
    ['IO_URING_QUERY_SCQ', 2],
    ['__IO_URING_QUERY_MAX', 3],
    ['IO_URING_BPF_FILTER_SZ_STRICT', 2],
    ['LIBURING_UDATA_TIMEOUT', 0xffffffffffffffffn],
  ];
  it.each(table)('%s = %s', (name, value) => {
    expect(consts[name]).toBe(value);
  });

  it('IORING_OP_NAMES covers 0..64 and round-trips to the IORING_OP_* constants', () => {
    expect(C.IORING_OP_NAMES.length).toBe(65);
    expect(C.IORING_OP_NAMES.length).toBe(C.IORING_OP_LAST);
    C.IORING_OP_NAMES.forEach((n, i) => {
      expect(consts[`IORING_OP_${n}`], n).toBe(i);
    });
    expect(C.IORING_OP_NAMES[22]).toBe('READ');
    expect(C.IORING_OP_NAMES[64]).toBe('URING_CMD128');
    // every exported opcode appears in the table
    const opcodes = Object.keys(consts).filter((k) => k.startsWith('IORING_OP_') && k !== 'IORING_OP_LAST' && k !== 'IORING_OP_NAMES');
    expect(opcodes.length).toBe(65);
    expect(Object.isFrozen(C.IORING_OP_NAMES)).toBe(true);
  });

  it('IORING_REGISTER_OP_NAMES covers 0..IORING_REGISTER_LAST-1 and round-trips', () => {
    expect(C.IORING_REGISTER_OP_NAMES.length).toBe(C.IORING_REGISTER_LAST);
    C.IORING_REGISTER_OP_NAMES.forEach((n, i) => {
      expect(n, `index ${i}`).toMatch(/^(UN)?REGISTER_/);
      expect(consts[`IORING_${n}`], n).toBe(i);
    });
    expect(C.IORING_REGISTER_OP_NAMES[0]).toBe('REGISTER_BUFFERS');
    expect(C.IORING_REGISTER_OP_NAMES[1]).toBe('UNREGISTER_BUFFERS');
    expect(C.IORING_REGISTER_OP_NAMES[37]).toBe('REGISTER_BPF_FILTER');
    // every register opcode constant below LAST is named in the table
    const regOps = Object.entries(consts).filter(
      ([k, v]) => /^IORING_(UN)?REGISTER_/.test(k) && typeof v === 'number' && v >= 0 && v < C.IORING_REGISTER_LAST,
    );
    // (IORING_REGISTER_SRC_REGISTERED/DST_REPLACE are clone-buffers flags, not opcodes)
    const notOpcodes = new Set(['IORING_REGISTER_SRC_REGISTERED', 'IORING_REGISTER_DST_REPLACE']);
    const opNames = regOps.map(([k]) => k).filter((k) => !notOpcodes.has(k)).map((k) => k.slice('IORING_'.length));
    expect(opNames.sort()).toEqual([...C.IORING_REGISTER_OP_NAMES].sort());
  });

  it('numbers are non-negative safe integers, except IORING_REGISTER_FILES_SKIP', () => {
    for (const [name, v] of Object.entries(consts)) {
      if (typeof v === 'bigint') {
        expect(v > BigInt(Number.MAX_SAFE_INTEGER), `${name} should be a number`).toBe(true);
        continue;
      }
      if (typeof v !== 'number') continue;
      expect(Number.isSafeInteger(v), name).toBe(true);
      if (name !== 'IORING_REGISTER_FILES_SKIP') expect(v, name).toBeGreaterThanOrEqual(0);
    }
  });

  it('IOSQE_* masks are 1 << the matching *_BIT', () => {
    const bits = Object.keys(consts).filter((k) => /^IOSQE_\w+_BIT$/.test(k));
    expect(bits.length).toBe(7);
    for (const b of bits) {
      expect(consts[b.replace(/_BIT$/, '')], b).toBe(2 ** (consts[b] as number));
    }
  });
});

describe('pinned header: key struct sizes', () => {
  const table: Array<[string, number]> = [
    ['io_uring_sqe', 64],
    ['io_uring_cqe', 16],
    ['io_uring_params', 120],
    ['io_sqring_offsets', 40],
    ['io_cqring_offsets', 40],
    ['io_uring_probe', 16],
    ['io_uring_probe_op', 8],
    ['io_uring_restriction', 16],
    ['io_uring_buf', 16],
    ['io_uring_buf_ring', 16],
    ['io_uring_buf_reg', 40],
    ['io_uring_getevents_arg', 24],
    ['io_uring_sync_cancel_reg', 64],
    ['io_uring_reg_wait', 64],
    ['io_uring_region_desc', 64],
    ['io_uring_rsrc_update2', 32],
    ['io_uring_zcrx_ifq_reg', 96],
    ['io_uring_query_hdr', 40],
    ['zcrx_ctrl', 72],
    ['__kernel_timespec', 16],
    ['iovec', 16],
    ['open_how', 24],
  ];
  it.each(table)('sizeof(%s) = %i', (name, size) => {
    expect(layouts[name]!.sizeof).toBe(size);
  });

  it('key sqe / cqe / params / buf_ring offsets', () => {
    expect(L.io_uring_sqe).toMatchObject({
      opcode: 0, flags: 1, ioprio: 2, fd: 4, off: 8, addr2: 8, cmd_op: 8,
      addr: 16, splice_off_in: 16, len: 24, rw_flags: 28, poll32_events: 28, pipe_flags: 28,
      user_data: 32, buf_index: 40, buf_group: 40, personality: 42,
      splice_fd_in: 44, file_index: 44, zcrx_ifq_idx: 44, optlen: 44, addr_len: 44, __pad3: 46,
      addr3: 48, optval: 48, attr_ptr: 48, attr_type_mask: 56, cmd: 48,
    });
    expect(L.io_uring_cqe).toMatchObject({ user_data: 0, res: 8, flags: 12, big_cqe: 16 });
    expect(L.io_uring_params).toMatchObject({ flags: 8, features: 20, wq_fd: 24, sq_off: 40, cq_off: 80 });
    expect(L.io_sqring_offsets.user_addr).toBe(32);
    expect(L.io_uring_buf_ring.tail).toBe(14);
    expect(L.io_uring_buf_ring.tail).toBe(L.io_uring_buf.resv);
  });
});

describe('flagNames', () => {
  it('names masks only: a bit number (IOSQE_ASYNC_BIT is 4) or a shift is never a flag', () => {
    expect(flagNames(0x7f, 'IOSQE_')).toEqual([
      'IOSQE_FIXED_FILE', 'IOSQE_IO_DRAIN', 'IOSQE_IO_LINK', 'IOSQE_IO_HARDLINK', 'IOSQE_ASYNC', 'IOSQE_BUFFER_SELECT', 'IOSQE_CQE_SKIP_SUCCESS',
    ]);
    // IORING_CQE_BUFFER_SHIFT is 16, the value of IORING_CQE_F_BUF_MORE.
    expect(flagNames(C.IORING_CQE_F_BUF_MORE | C.IORING_CQE_F_MORE | 0x400000, 'IORING_CQE_')).toEqual(['IORING_CQE_F_MORE', 'IORING_CQE_F_BUF_MORE', '0x400000']);
  });
});

describe('open flags', () => {
  it("are exported under their names, O_CLOEXEC included, and agree with node:fs's constants where it has them", async () => {
    const { constants } = await import('node:fs');
    const lib = await import('../lib/index.ts');
    const ours = Object.entries(lib).filter(([k]) => /^O_/.test(k)) as [string, number][];
    expect(ours.map(([k]) => k)).toContain('O_CLOEXEC');
    const theirs = constants as unknown as Record<string, number>;
    const shared = ours.filter(([k]) => k in theirs);
    expect(shared.length).toBeGreaterThan(10);
    for (const [k, v] of shared) expect([k, v]).toEqual([k, theirs[k]]);
  });
});
