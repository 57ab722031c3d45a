// The trials: asking the kernel what it knows, with real calls. A small
// ring per setup flag with the companions the flag requires, a NOP per SQE
// flag, io_uring_enter per enter flag on an fd no process has open, a binary
// search over IORING_RESTRICTION_REGISTER_OP rules for the register opcodes;
// IORING_REGISTER_QUERY (Linux 6.18) and the opcode probe where the kernel
// answers them. Each section says which method it used. Every ring made
// here is closed before the function that made it returns.

import * as ffi from '../../ffi/index.ts';
import * as C from '../uapi/constants.ts';
import { errnoName, ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import type { IoUringOptions } from '../ring/options.ts';
import { prepNop } from '../prep/rw.ts';
import { queryOpcodes } from '../register/query.ts';
import { getProbeRing } from '../register/probe.ts';
import { io_uring_params, io_uring_restriction } from '../uapi/layout.ts';
import { prefixFlags } from '../uapi/names.ts';
import { OPCODES } from '../uapi/opcodes.ts';
import { firstAllowedCpu } from './environment.ts';
import type { CapabilitiesReport, FlagCapability, FlagSection, Method, QueryReport, SetupFlagCapability } from './report.ts';

const { EINVAL } = ERRNO;
// An fd number no process has open (far above any RLIMIT_NOFILE): the
// kernel answers EBADF for it once it has checked everything before the fd.
const NO_SUCH_FD = 0x7fffffff;
// The restriction's register_op is a u8: no kernel can know more.
const MAX_REGISTER_OP = 255;

export interface Named {
  name: string;
  value: number;
}

// The flags of `prefix` in the pinned header, by value, named without it.
function flagsOf(prefix: string): Named[] {
  return prefixFlags(prefix).map(([k, v]) => ({ name: k.slice(prefix.length), value: v }));
}

export const SETUP_FLAGS = flagsOf('IORING_SETUP_');
export const ENTER_FLAGS = flagsOf('IORING_ENTER_');
export const SQE_FLAGS = flagsOf('IOSQE_');
export const REGISTER_OPS: Named[] = C.IORING_REGISTER_OP_NAMES.map((name, value) => ({ name, value }));

// io_uring_setup(2) with a zeroed io_uring_params but for `flags` and what
// `fill` writes; the fd, or -errno. The caller closes the fd.
export function rawSetup(entries: number, flags: number, fill?: (dv: DataView) => void): { r: number; features: number } {
  const params = new Uint8Array(io_uring_params.sizeof);
  const dv = new DataView(params.buffer);
  dv.setUint32(io_uring_params.flags, flags, true);
  fill?.(dv);
  const r = ffi.ioUringSetup(entries, ffi.addressOf(params));
  return { r, features: r >= 0 ? dv.getUint32(io_uring_params.features, true) : 0 };
}

interface SetupTrial {
  companions: number;
  with: string[];
  fill?: (dv: DataView) => void;
  // Flags that need ring memory from the process go through IoUring, which
  // knows how to lay it out and when it may be let go.
  ring?: IoUringOptions;
}

// What a trial ring with `flag` needs besides it: the kernel's own rules
// (io_uring_sanitise_params and io_uring_create in io_uring/io_uring.c).
function setupTrial(flag: number, baseFd: number, cpu: number): SetupTrial {
  switch (flag) {
    case C.IORING_SETUP_SQ_AFF:
      return { companions: C.IORING_SETUP_SQPOLL, with: ['SQPOLL', `sq_thread_cpu ${cpu}`], fill: (dv) => dv.setUint32(io_uring_params.sq_thread_cpu, cpu, true) };
    case C.IORING_SETUP_CQSIZE:
      return { companions: 0, with: ['cq_entries 8'], fill: (dv) => dv.setUint32(io_uring_params.cq_entries, 8, true) };
    case C.IORING_SETUP_ATTACH_WQ:
      return { companions: 0, with: ['wq_fd of another ring'], fill: (dv) => dv.setUint32(io_uring_params.wq_fd, baseFd, true) };
    case C.IORING_SETUP_TASKRUN_FLAG:
      return { companions: C.IORING_SETUP_COOP_TASKRUN, with: ['COOP_TASKRUN'] };
    case C.IORING_SETUP_DEFER_TASKRUN:
      return { companions: C.IORING_SETUP_SINGLE_ISSUER, with: ['SINGLE_ISSUER'] };
    case C.IORING_SETUP_HYBRID_IOPOLL:
      return { companions: C.IORING_SETUP_IOPOLL, with: ['IOPOLL'] };
    case C.IORING_SETUP_SQ_REWIND:
      return { companions: C.IORING_SETUP_NO_SQARRAY, with: ['NO_SQARRAY'] };
    case C.IORING_SETUP_NO_MMAP:
      return { companions: 0, with: ['ring memory from the process'], ring: { flags: flag, memory: 'shared', registerRingFd: false } };
    case C.IORING_SETUP_REGISTERED_FD_ONLY:
      return { companions: C.IORING_SETUP_NO_MMAP, with: ['NO_MMAP', 'ring memory from the process'], ring: { flags: flag | C.IORING_SETUP_NO_MMAP, memory: 'shared', registerRingFd: false } };
    default:
      return { companions: 0, with: [] };
  }
}

// A small ring with `flag`: 0 when the kernel made it, -errno when it refused.
function trySetupFlag(flag: number, t: SetupTrial): number {
  if (t.ring !== undefined) {
    try {
      new IoUring(4, t.ring).close();
      return 0;
    } catch (err) {
      if (err instanceof IoUringError) return err.errno;
      throw err;
    }
  }
  const { r } = rawSetup(4, flag | t.companions, t.fill);
  if (r >= 0) ffi.close(r);
  return r < 0 ? r : 0;
}

export function setupFlagsSection(q: QueryReport, baseFd: number): FlagSection<SetupFlagCapability> {
  const cpu = firstAllowedCpu();
  const entries: SetupFlagCapability[] = SETUP_FLAGS.map(({ name, value }) => {
    const t = setupTrial(value, baseFd, cpu);
    const r = trySetupFlag(value, t);
    const accepted = r === 0;
    let supported: boolean | null;
    if (q.ringSetupFlags !== null) supported = (q.ringSetupFlags & value) !== 0;
    else supported = accepted ? true : r === -EINVAL ? false : null;
    return { name, value, supported, errno: accepted ? null : errnoName(r), accepted, with: t.with };
  });
  return q.ringSetupFlags !== null
    ? { method: 'query', note: 'supported: the flags IORING_REGISTER_QUERY says the kernel knows; accepted: a ring with the flag (and its companions) was made here', entries }
    : {
      method: 'trial',
      note: 'a ring was made with each flag and the companions it requires: supported when the kernel made it, not when it answered EINVAL '
        + '(an unknown flag, or one it refuses in that company), unknown (null) for any other errno',
      entries,
    };
}

// IORING_REGISTER_LAST by trial, on a kernel without the query: a
// restriction naming a register opcode the kernel does not know is refused
// with EINVAL (io_parse_restrictions), one it knows is taken. A refused
// registration leaves nothing behind; a taken one is final for its ring (EBUSY
// after), so each one taken costs a fresh ring. Known opcodes are the ones
// below IORING_REGISTER_LAST, so a binary search over what a restriction can
// name finds it in eight calls (kernels before 5.13 quiesce the ring on every
// register call, which takes an RCU grace period: few calls matter).
// Needs IORING_REGISTER_RESTRICTIONS and IORING_SETUP_R_DISABLED (Linux 5.10).
function registerLastByTrial(): { count: number | null; note: string } {
  const rule = new Uint8Array(io_uring_restriction.sizeof);
  const dv = new DataView(rule.buffer);
  const addr = ffi.addressOf(rule);
  let fd = -1;
  try {
    let known = -1; // the highest opcode taken
    let unknown = MAX_REGISTER_OP + 1; // the lowest refused
    while (unknown - known > 1) {
      if (fd < 0) {
        fd = rawSetup(1, C.IORING_SETUP_R_DISABLED).r;
        if (fd < 0) {
          return { count: null, note: `could not be tried: a ring with IORING_SETUP_R_DISABLED was refused (${errnoName(fd)}; it needs Linux 5.10), and without IORING_REGISTER_QUERY (Linux 6.18) nothing else tells an unknown opcode from a refused argument` };
        }
      }
      const op = (known + unknown) >>> 1;
      rule.fill(0);
      dv.setUint16(io_uring_restriction.opcode, C.IORING_RESTRICTION_REGISTER_OP, true);
      rule[io_uring_restriction.register_op] = op;
      const r = ffi.ioUringRegister(fd, C.IORING_REGISTER_RESTRICTIONS, addr, 1);
      if (r >= 0) {
        known = op;
        ffi.close(fd);
        fd = -1;
      } else if (r === -EINVAL) {
        unknown = op;
      } else {
        return { count: null, note: `could not be tried: IORING_REGISTER_RESTRICTIONS answered ${errnoName(r)}` };
      }
    }
    if (known < 0) {
      return { count: null, note: 'could not be tried: the kernel refused every restriction, so it has no IORING_REGISTER_RESTRICTIONS (Linux 5.10); a register call with a bad argument answers EINVAL both for an unknown opcode and for a refused argument, so no guess is made' };
    }
    return { count: known + 1, note: 'by trial: an IORING_RESTRICTION_REGISTER_OP rule is refused with EINVAL for an opcode the kernel does not know and taken for one it knows; every opcode below the lowest refused is known' };
  } finally {
    if (fd >= 0) ffi.close(fd);
  }
}

export function registerSection(q: QueryReport, useQuery: boolean): CapabilitiesReport['registerOpcodes'] {
  let method: Method;
  let count: number | null;
  let note: string;
  if (useQuery && q.nrRegisterOpcodes !== null) {
    method = 'query';
    count = q.nrRegisterOpcodes;
    note = 'from IORING_REGISTER_QUERY: every opcode below its nr_register_opcodes is known';
  } else {
    ({ count, note } = registerLastByTrial());
    method = count === null ? 'none' : 'trial';
  }
  const entries = REGISTER_OPS.map(({ name, value }) => ({ name, value, supported: count === null ? null : value < count, errno: null }));
  return { method, note, entries, count };
}

// Enter flags by trial: io_uring_enter checks its flags against the ones it
// knows before it looks at the fd (since Linux 5.1), so with an fd nobody has
// open a known flag gets EBADF and an unknown one EINVAL.
// IORING_ENTER_REGISTERED_RING is the exception: the fd is then a registered
// index, looked up first, so it is tried on a real registered ring.
export function enterSection(q: QueryReport, useQuery: boolean, ring: IoUring | null): FlagSection {
  if (useQuery && q.enterFlags !== null) {
    const mask = q.enterFlags;
    return { method: 'query', note: 'from IORING_REGISTER_QUERY', entries: ENTER_FLAGS.map(({ name, value }) => ({ name, value, supported: (mask & value) !== 0, errno: null })) };
  }
  const entries = ENTER_FLAGS.map(({ name, value }): FlagCapability => {
    let r: number;
    if (value === C.IORING_ENTER_REGISTERED_RING) {
      const index = ring?.registeredRingIndex ?? -1;
      if (index < 0) return { name, value, supported: null, errno: null };
      r = ffi.ioUringEnter(index, 0, 0, value, 0, 0);
    } else {
      r = ffi.ioUringEnter(NO_SUCH_FD, 0, 0, value, 0, 0);
    }
    return { name, value, supported: r !== -EINVAL, errno: r < 0 ? errnoName(r) : null };
  });
  return {
    method: 'trial',
    note: 'by trial: io_uring_enter with each flag and an fd no process has open answers EINVAL for a flag it does not know and EBADF for one it knows '
      + '(REGISTERED_RING is tried on a registered ring, and is unknown (null) where the ring fd could not be registered)',
    entries,
  };
}

// SQE flags by trial: a NOP with each flag. The kernel fails an SQE whose
// flags it does not know with -EINVAL before looking at the opcode
// (io_init_req); a NOP with a flag it knows completes (BUFFER_SELECT with
// -EOPNOTSUPP: a NOP takes no buffer). CQE_SKIP_SUCCESS, known, posts no CQE
// at all, so a plain NOP follows it to show the kernel is done.
export function sqeSection(q: QueryReport, useQuery: boolean, ring: IoUring | null): FlagSection {
  if (useQuery && q.sqeFlags !== null) {
    const mask = q.sqeFlags;
    return { method: 'query', note: 'from IORING_REGISTER_QUERY', entries: SQE_FLAGS.map(({ name, value }) => ({ name, value, supported: (mask & value) !== 0, errno: null })) };
  }
  if (ring === null) return { method: 'none', note: 'no ring to try them on', entries: SQE_FLAGS.map(({ name, value }) => ({ name, value, supported: null, errno: null })) };
  const entries = SQE_FLAGS.map(({ name, value }): FlagCapability => {
    const res = nopWithFlag(ring, value);
    if (res === null) return { name, value, supported: null, errno: null };
    return { name, value, supported: res !== -EINVAL, errno: res < 0 ? errnoName(res) : null };
  });
  return {
    method: 'trial',
    note: 'by trial: a NOP with each flag fails with EINVAL where the kernel does not know the flag and completes where it does (null: no completion came)',
    entries,
  };
}

const FLAGGED = 1;
const MARKER = 2;

// The res of a NOP with `flags`; 0 for a CQE_SKIP_SUCCESS NOP that posted
// nothing; null if no completion came within a second.
function nopWithFlag(ring: IoUring, flags: number): number | null {
  const skip = (flags & C.IOSQE_CQE_SKIP_SUCCESS) !== 0;
  let sqe = ring.getSqe()!;
  prepNop(sqe);
  sqe.flags = flags;
  sqe.userData = FLAGGED;
  if (skip) {
    sqe = ring.getSqe()!;
    prepNop(sqe);
    sqe.userData = MARKER;
  }
  ring.submit();
  const want = skip ? MARKER : FLAGGED;
  let res: number | null = null;
  for (let i = 0; i < 4; i++) {
    const cqe = ring.waitCqeTimeout(1000);
    if (cqe === null) break;
    const ud = cqe.userData;
    const r = cqe.res;
    ring.cqeSeen(cqe);
    if (ud === FLAGGED) res = r;
    if (ud === want) break;
  }
  // A flagged NOP's CQE is posted no later than its follower's.
  if (skip) {
    for (let cqe = ring.peekCqe(); cqe !== null; cqe = ring.peekCqe()) {
      if (cqe.userData === FLAGGED) res = cqe.res;
      ring.cqeSeen(cqe);
    }
    return res ?? 0;
  }
  return res;
}

export function noQuery(errno: string | null): QueryReport {
  return {
    available: false, errno, nrRequestOpcodes: null, nrRegisterOpcodes: null, featureFlags: null,
    ringSetupFlags: null, enterFlags: null, sqeFlags: null, nrQueryOpcodes: null,
  };
}

export function runQuery(): QueryReport {
  try {
    const q = queryOpcodes();
    return {
      available: true,
      errno: null,
      nrRequestOpcodes: q.nrRequestOpcodes,
      nrRegisterOpcodes: q.nrRegisterOpcodes,
      featureFlags: Number(q.featureFlags),
      ringSetupFlags: Number(q.ringSetupFlags),
      enterFlags: Number(q.enterFlags),
      sqeFlags: Number(q.sqeFlags),
      nrQueryOpcodes: q.nrQueryOpcodes,
    };
  } catch (err) {
    return noQuery(err instanceof IoUringError ? err.code : (err as Error).message);
  }
}

export function unknownSection<T extends FlagCapability>(list: Named[], note: string, extra: (n: Named) => Omit<T, keyof FlagCapability>): FlagSection<T> {
  return { method: 'none', note, entries: list.map((n) => ({ name: n.name, value: n.value, supported: null, errno: null, ...extra(n) }) as T) };
}

export function opcodesSection(ring: IoUring, notes: string[]): CapabilitiesReport['opcodes'] {
  try {
    const probe = getProbeRing(ring);
    const entries = OPCODES.map((o) => ({ op: o.op, name: o.name, since: o.since, supported: probe.supported(o.op) }));
    const unnamed: number[] = [];
    for (let op = OPCODES.length; op <= probe.lastOp; op++) if (probe.supported(op)) unnamed.push(op);
    return { method: 'probe', lastOp: probe.lastOp, supported: entries.filter((e) => e.supported).length, entries, unnamed };
  } catch (err) {
    notes.push(`IORING_REGISTER_PROBE failed (${err instanceof IoUringError ? err.code : (err as Error).message}; it came in Linux 5.6): opcode support is unknown`);
    return { method: 'none', lastOp: null, supported: 0, entries: OPCODES.map((o) => ({ op: o.op, name: o.name, since: o.since, supported: null })), unnamed: [] };
  }
}
