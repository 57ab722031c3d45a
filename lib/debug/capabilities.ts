// The capability report: what io_uring can do on this machine, for this
// process, and in plain words why not where it can't. It asks the kernel
// itself at every step (an io_uring_setup attempt, the opcode probe, the
// ringless IORING_REGISTER_QUERY, small trial rings) and reads the files that
// explain a refusal (/proc/sys/kernel/io_uring_disabled, the Seccomp: line of
// /proc/self/status). liburing has no counterpart; its test/ directory makes
// the same trial rings one test at a time.
//
// The report is plain data (numbers, strings, booleans, null), so it goes
// through JSON.stringify unchanged: for a bug report, a CLI `probe` command,
// or a comparison between machines. Every ring it makes is closed before it
// returns, and it never throws: what it could not find out is null, with a
// note saying why.

import { readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import * as ffi from '../../ffi/index.ts';
import * as C from '../uapi/constants.ts';
import { errnoName, ERRNO } from '../errno.ts';
import { IoUringError } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import type { IoUringOptions } from '../ring/options.ts';
import { prepNop } from '../prep/rw.ts';
import { featureNames } from '../register/features.ts';
import { queryOpcodes } from '../register/misc.ts';
import { getProbeRing } from '../register/probe.ts';
import { io_uring_params, io_uring_restriction } from '../uapi/layout.ts';
import { OPCODES } from '../uapi/opcodes.ts';

const { EINVAL } = ERRNO;
// An fd number no process has open (far above any RLIMIT_NOFILE): the
// kernel answers EBADF for it once it has checked everything before the fd.
const NO_SUCH_FD = 0x7fffffff;
// include/uapi/asm-generic/resource.h: the same on x86_64 and arm64.
const RLIMIT_NOFILE = 7;
const RLIMIT_MEMLOCK = 8;
const RLIM_INFINITY = 0xffffffffffffffffn;
// include/uapi/linux/capability.h
const CAP_SYS_ADMIN = 21;
// The restriction's register_op is a u8: no kernel can know more.
const MAX_REGISTER_OP = 255;

// ------------------------------------------------------------------- types

/** A resource limit: a number of bytes or files, or 'unlimited' (RLIM_INFINITY). */
export type Limit = number | 'unlimited';

/** The soft and hard values of one resource limit (getrlimit(2)). */
export interface RlimitReport {
  soft: Limit;
  hard: Limit;
}

/** Where an answer came from. */
export type Method = 'query' | 'trial' | 'probe' | 'none';

/** What this process is allowed, from /proc: the usual reasons io_uring is refused. */
export interface EnvironmentReport {
  /** /proc/sys/kernel/io_uring_disabled (Linux 6.6): 0, 1 or 2; null where the file is absent or unreadable. */
  ioUringDisabled: number | null;
  /** What that value means, in words. */
  ioUringDisabledMeaning: string;
  /** /proc/sys/kernel/io_uring_group: the gid allowed when io_uring_disabled is 1 (-1: none). */
  ioUringGroup: number | null;
  /** Whether this process is in that group (its egid or a supplementary group). */
  inIoUringGroup: boolean | null;
  /** CAP_SYS_ADMIN in the effective set (CapEff of /proc/self/status). */
  capSysAdmin: boolean | null;
  /** The Seccomp: mode of /proc/self/status: 0 none, 1 strict, 2 filter. */
  seccomp: number | null;
  /** Seccomp_filters: how many filters are attached. */
  seccompFilters: number | null;
  /** What the seccomp mode means, in words. */
  seccompMeaning: string;
}

/** One IORING_OP_*: its number, name, the Linux release that added it, and whether this kernel has it. */
export interface OpcodeCapability {
  op: number;
  name: string;
  since: string;
  /** From IORING_REGISTER_PROBE; null when no probe could be had. */
  supported: boolean | null;
}

/** One flag or register opcode, and whether the kernel knows it. */
export interface FlagCapability {
  /** The constant's name without its prefix ('SQPOLL', 'IO_LINK', 'REGISTER_BUFFERS'). */
  name: string;
  /** Its value (a bit for flags, the opcode for register opcodes). */
  value: number;
  /** Whether the kernel knows it; null where the method used can't tell. */
  supported: boolean | null;
  /** The errno name a trial got, when it got one. */
  errno: string | null;
}

/** One IORING_SETUP_* flag: what the kernel says of it, and what a trial ring made with it got. */
export interface SetupFlagCapability extends FlagCapability {
  /** A ring with this flag (and `with`) was made here, by this process. */
  accepted: boolean;
  /** What the trial ring was made with besides the flag: the companions it requires. */
  with: string[];
}

/** A group of flags or opcodes, and how the answers were found. */
export interface FlagSection<T extends FlagCapability = FlagCapability> {
  /** 'query' (IORING_REGISTER_QUERY), 'trial' (asking the kernel with real calls), or 'none'. */
  method: Method;
  /** How to read `supported`, and what the method can't tell. */
  note: string;
  entries: T[];
}

/** What IORING_REGISTER_QUERY's IO_URING_QUERY_OPCODES answered (Linux 6.18). */
export interface QueryReport {
  available: boolean;
  /** Why not, when not: the errno name. */
  errno: string | null;
  nrRequestOpcodes: number | null;
  nrRegisterOpcodes: number | null;
  featureFlags: number | null;
  ringSetupFlags: number | null;
  enterFlags: number | null;
  sqeFlags: number | null;
  nrQueryOpcodes: number | null;
}

/** The whole report: see capabilities(). */
export interface CapabilitiesReport {
  kernel: { release: string; machine: string };
  node: string;
  /** Whether a ring can be made here. */
  available: boolean;
  /** The errno name of the failed io_uring_setup, when it failed. */
  errno: string | null;
  /** Why io_uring is unavailable, in plain words; null when it is available. */
  reason: string | null;
  /** Things worth knowing either way (a restriction that does not apply, a method that fell back). */
  notes: string[];
  environment: EnvironmentReport;
  limits: {
    /** RLIMIT_MEMLOCK in bytes: ring memory was charged to it before Linux 5.12, registered buffers still are. */
    memlock: RlimitReport | null;
    /** RLIMIT_NOFILE: caps ring fds and registered file tables. */
    nofile: RlimitReport | null;
    source: 'getrlimit' | '/proc/self/limits' | 'none';
  };
  /** IORING_FEAT_* the kernel reported at setup; null when no ring could be made. */
  features: { bits: number; names: string[]; missing: string[]; unknownBits: number } | null;
  query: QueryReport;
  opcodes: {
    method: Method;
    /** The probe's last_op: the highest opcode the kernel knows. */
    lastOp: number | null;
    /** How many of `entries` are supported. */
    supported: number;
    entries: OpcodeCapability[];
    /** Opcodes the kernel supports that this library has no name for (a newer kernel). */
    unnamed: number[];
  };
  setupFlags: FlagSection<SetupFlagCapability>;
  /** `count` is the kernel's IORING_REGISTER_LAST: every opcode below it is known. */
  registerOpcodes: FlagSection & { count: number | null };
  enterFlags: FlagSection;
  sqeFlags: FlagSection;
  /** Whether this process may make an IORING_SETUP_SQPOLL ring (no privilege needed since Linux 5.13). */
  sqpoll: { allowed: boolean | null; errno: string | null; note: string };
}

export interface CapabilitiesOptions {
  /**
   * 'auto' (default): IORING_REGISTER_QUERY where the kernel has it, trials
   * otherwise. 'trial': trials even where the query would answer (to check
   * one against the other). Setup flags are always tried as well.
   */
  method?: 'auto' | 'trial';
}

// --------------------------------------------------------------- constants

interface Named {
  name: string;
  value: number;
}

// The single-bit constants with `prefix` in the pinned header, by value.
function flagsOf(prefix: string): Named[] {
  return Object.entries(C)
    .filter(([k, v]) => k.startsWith(prefix) && !k.endsWith('_BIT') && typeof v === 'number' && v > 0 && (v & (v - 1)) === 0)
    .map(([k, v]) => ({ name: k.slice(prefix.length), value: v as number }))
    .sort((a, b) => a.value - b.value);
}

const SETUP_FLAGS = flagsOf('IORING_SETUP_');
const ENTER_FLAGS = flagsOf('IORING_ENTER_');
const SQE_FLAGS = flagsOf('IOSQE_');
const REGISTER_OPS: Named[] = C.IORING_REGISTER_OP_NAMES.map((name, value) => ({ name, value }));

// ------------------------------------------------------------- environment

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readInt(path: string): number | null {
  const t = readText(path);
  if (t === null) return null;
  const n = Number.parseInt(t.trim(), 10);
  return Number.isNaN(n) ? null : n;
}

function statusField(status: string | null, key: string): string | null {
  const m = status?.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'));
  return m ? m[1]!.trim() : null;
}

function intOrNull(s: string | null): number | null {
  if (s === null) return null;
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? null : n;
}

// Documentation/admin-guide/sysctl/kernel.rst, io_uring_disabled.
function disabledMeaning(v: number | null, group: number | null): string {
  switch (v) {
    case null: return 'not present (the sysctl came in Linux 6.6): io_uring is not restricted by it';
    case 0: return 'every process may create io_uring instances';
    case 1: return `only processes with CAP_SYS_ADMIN or in the group kernel.io_uring_group (${group === null || group < 0 ? 'none is set' : `gid ${group}`}) may create io_uring instances`;
    case 2: return 'io_uring_setup is refused (EPERM) for every process';
    default: return `value ${v}, which this library does not know`;
  }
}

// Documentation/userspace-api/seccomp_filter.rst; proc_pid_status(5).
function seccompMeaning(v: number | null, filters: number | null): string {
  switch (v) {
    case null: return 'unknown (no Seccomp: line in /proc/self/status)';
    case 0: return 'no seccomp restriction';
    case 1: return 'strict mode: only read, write, _exit and sigreturn are allowed';
    case 2: return `a seccomp filter is attached${filters ? ` (${filters})` : ''}: it decides which syscalls this process may make`;
    default: return `mode ${v}`;
  }
}

/** What this process is allowed, read from /proc. Never throws. */
export function readEnvironment(): EnvironmentReport {
  const ioUringDisabled = readInt('/proc/sys/kernel/io_uring_disabled');
  const ioUringGroup = readInt('/proc/sys/kernel/io_uring_group');
  const status = readText('/proc/self/status');
  const seccomp = intOrNull(statusField(status, 'Seccomp'));
  const seccompFilters = intOrNull(statusField(status, 'Seccomp_filters'));
  let capSysAdmin: boolean | null = null;
  const capEff = statusField(status, 'CapEff');
  if (capEff !== null && /^[0-9a-f]+$/i.test(capEff)) capSysAdmin = ((BigInt(`0x${capEff}`) >> BigInt(CAP_SYS_ADMIN)) & 1n) === 1n;
  let inIoUringGroup: boolean | null = null;
  if (ioUringGroup !== null) {
    if (ioUringGroup < 0) inIoUringGroup = false;
    else {
      try {
        inIoUringGroup = process.getegid!() === ioUringGroup || process.getgroups!().includes(ioUringGroup);
      } catch {
        inIoUringGroup = null;
      }
    }
  }
  return {
    ioUringDisabled,
    ioUringDisabledMeaning: disabledMeaning(ioUringDisabled, ioUringGroup),
    ioUringGroup,
    inIoUringGroup,
    capSysAdmin,
    seccomp,
    seccompFilters,
    seccompMeaning: seccompMeaning(seccomp, seccompFilters),
  };
}

// The first CPU this process may run on (Cpus_allowed_list: "0-3,8"), for
// the SQ_AFF trial: the kernel refuses a CPU outside the allowed set.
function firstAllowedCpu(): number {
  const list = statusField(readText('/proc/self/status'), 'Cpus_allowed_list');
  const n = list === null ? NaN : Number.parseInt(list, 10);
  return Number.isNaN(n) ? 0 : n;
}

function limitOf(v: bigint): Limit {
  return v === RLIM_INFINITY ? 'unlimited' : Number(v);
}

// /proc/self/limits, for when the FFI (and so getrlimit) is not there.
function procLimit(text: string | null, label: string): RlimitReport | null {
  const line = text?.split('\n').find((l) => l.startsWith(label));
  if (line === undefined) return null;
  const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
  const one = (s: string | undefined): Limit => (s === 'unlimited' ? 'unlimited' : Number(s));
  return { soft: one(soft), hard: one(hard) };
}

function readLimits(): CapabilitiesReport['limits'] {
  try {
    if (ffi.loadError() === null) {
      const mem = ffi.getrlimit(RLIMIT_MEMLOCK);
      const nof = ffi.getrlimit(RLIMIT_NOFILE);
      if (typeof mem !== 'number' && typeof nof !== 'number') {
        return {
          memlock: { soft: limitOf(mem[0]), hard: limitOf(mem[1]) },
          nofile: { soft: limitOf(nof[0]), hard: limitOf(nof[1]) },
          source: 'getrlimit',
        };
      }
    }
  } catch {
    // Fall through to /proc.
  }
  const text = readText('/proc/self/limits');
  if (text === null) return { memlock: null, nofile: null, source: 'none' };
  return { memlock: procLimit(text, 'Max locked memory'), nofile: procLimit(text, 'Max open files'), source: '/proc/self/limits' };
}

// ----------------------------------------------------------------- reasons

function releaseBefore(rel: string, major: number, minor: number): boolean {
  const m = rel.match(/^(\d+)\.(\d+)/);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a < major || (a === major && b < minor);
}

function limitText(l: Limit | undefined): string {
  if (l === undefined) return 'unknown';
  if (l === 'unlimited') return 'unlimited';
  return l >= 1024 && l % 1024 === 0 ? `${l / 1024} KiB` : `${l} bytes`;
}

/**
 * Why io_uring_setup(2) failed with `errno` (positive or negative), in plain
 * words, given what the process is allowed (readEnvironment()) and the
 * kernel release. The errno is what settles it; the files say which of its
 * usual causes applies here.
 */
export function explainSetupFailure(errno: number, env: EnvironmentReport, kernelRelease = release(), memlock: RlimitReport | null = null): string {
  const code = errnoName(errno);
  const filtered = env.seccomp === 2;
  const seccompWords = `a seccomp filter (Seccomp: 2 in /proc/self/status${env.seccompFilters ? `, ${env.seccompFilters} filter${env.seccompFilters === 1 ? '' : 's'}` : ''})`;
  switch (code) {
    case 'EPERM':
      if (env.ioUringDisabled === 2) {
        return 'io_uring is switched off for every process: the sysctl kernel.io_uring_disabled is 2. '
          + 'An administrator can allow it with `sysctl kernel.io_uring_disabled=0` (or 1, and a group in kernel.io_uring_group).';
      }
      if (env.ioUringDisabled === 1 && env.capSysAdmin !== true && env.inIoUringGroup !== true) {
        const group = env.ioUringGroup === null || env.ioUringGroup < 0 ? 'no group is set (-1)' : `the group is gid ${env.ioUringGroup}`;
        return `io_uring is restricted: the sysctl kernel.io_uring_disabled is 1, so only processes with CAP_SYS_ADMIN or in the group kernel.io_uring_group may create rings; ${group}, and this process is in neither. `
          + 'Add the user to that group, or set kernel.io_uring_disabled to 0.';
      }
      // Docker's default profile has blocked the io_uring syscalls since
      // Docker 25 (moby/moby#46762), containerd's since 2.0 (#9320).
      if (filtered) {
        return `${seccompWords} refuses io_uring_setup with EPERM, as container runtimes' default profiles do (Docker's since Docker 25, containerd's since 2.0); `
          + 'run with a profile that allows io_uring_setup, io_uring_enter and io_uring_register (docker run --security-opt seccomp=<profile.json>).';
      }
      return `io_uring_setup was refused with EPERM, but neither kernel.io_uring_disabled (${env.ioUringDisabled ?? 'absent'}) nor a seccomp filter (Seccomp: ${env.seccomp ?? 'unknown'}) explains it: `
        + 'a security module (SELinux, AppArmor) or a sandbox that does not show in this process\'s /proc may forbid io_uring.';
    case 'ENOSYS':
      if (filtered) {
        return `io_uring_setup is not a system call this process may make: ${seccompWords} answers ENOSYS for the syscalls it blocks (Docker's default profile blocks the io_uring syscalls); `
          + 'otherwise the kernel was built without CONFIG_IO_URING.';
      }
      if (releaseBefore(kernelRelease, 5, 1)) return `this kernel (${kernelRelease}) has no io_uring: it came in Linux 5.1.`;
      return `this kernel (${kernelRelease}) has no io_uring: it was built without CONFIG_IO_URING (or a sandbox in between does not offer it).`;
    case 'ENOMEM':
      // liburing's README: rings count against RLIMIT_MEMLOCK up to 5.11;
      // later kernels charge only registered buffers to it.
      return 'the kernel could not allocate or lock the memory of even a one-entry ring. '
        + `Before Linux 5.12 ring memory is charged to RLIMIT_MEMLOCK (here ${limitText(memlock?.soft)}): raise it (ulimit -l), or close other rings.`
        + (releaseBefore(kernelRelease, 5, 12) ? '' : ' This kernel no longer charges it there, so the machine is short of memory.');
    case 'EMFILE':
      return 'this process has no free file descriptor for the ring (RLIMIT_NOFILE): close some, or raise it (ulimit -n).';
    case 'ENFILE':
      return 'the system has no free file descriptor for the ring (fs.file-max).';
    case 'EINVAL':
      return 'the kernel refused even the plainest ring (one entry, no flags) with EINVAL: its io_uring does not match the interface this library was written against.';
    default:
      return new IoUringError(errno, 'io_uring_setup', 'one entry, no flags').message;
  }
}

// ------------------------------------------------------------------ trials

// io_uring_setup(2) with a zeroed io_uring_params but for `flags` and what
// `fill` writes; the fd, or -errno. The caller closes the fd.
function rawSetup(entries: number, flags: number, fill?: (dv: DataView) => void): { r: number; features: number } {
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

function setupFlagsSection(q: QueryReport, baseFd: number): FlagSection<SetupFlagCapability> {
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

function registerSection(q: QueryReport, useQuery: boolean): CapabilitiesReport['registerOpcodes'] {
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
function enterSection(q: QueryReport, useQuery: boolean, ring: IoUring | null): FlagSection {
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
function sqeSection(q: QueryReport, useQuery: boolean, ring: IoUring | null): FlagSection {
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

function noQuery(errno: string | null): QueryReport {
  return {
    available: false, errno, nrRequestOpcodes: null, nrRegisterOpcodes: null, featureFlags: null,
    ringSetupFlags: null, enterFlags: null, sqeFlags: null, nrQueryOpcodes: null,
  };
}

function runQuery(): QueryReport {
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

function unknownSection<T extends FlagCapability>(list: Named[], note: string, extra: (n: Named) => Omit<T, keyof FlagCapability>): FlagSection<T> {
  return { method: 'none', note, entries: list.map((n) => ({ name: n.name, value: n.value, supported: null, errno: null, ...extra(n) }) as T) };
}

// ------------------------------------------------------------------ report

/**
 * What io_uring can do here: the kernel, whether a ring can be made (and in
 * plain words why not), the features, every opcode with the Linux release
 * that added it, the setup flags, register opcodes, enter flags and SQE flags
 * the kernel knows (from IORING_REGISTER_QUERY where the kernel has it, by
 * trial otherwise; each section says which), whether SQPOLL is allowed, and
 * the memlock and file limits. JSON-serialisable; never throws; closes every
 * ring it makes.
 */
export function capabilities(options: CapabilitiesOptions = {}): CapabilitiesReport {
  const useQuery = (options.method ?? 'auto') !== 'trial';
  const environment = readEnvironment();
  const limits = readLimits();
  const notes: string[] = [];
  const rel = release();
  const report: CapabilitiesReport = {
    kernel: { release: rel, machine: machine() },
    node: process.version,
    available: false,
    errno: null,
    reason: null,
    notes,
    environment,
    limits,
    features: null,
    query: noQuery(null),
    opcodes: { method: 'none', lastOp: null, supported: 0, entries: OPCODES.map((o) => ({ op: o.op, name: o.name, since: o.since, supported: null })), unnamed: [] },
    setupFlags: unknownSection<SetupFlagCapability>(SETUP_FLAGS, 'no ring could be made', () => ({ accepted: false, with: [] })),
    registerOpcodes: { ...unknownSection(REGISTER_OPS, 'no ring could be made', () => ({})), count: null },
    enterFlags: unknownSection(ENTER_FLAGS, 'no ring could be made', () => ({})),
    sqeFlags: unknownSection(SQE_FLAGS, 'no ring could be made', () => ({})),
    sqpoll: { allowed: null, errno: null, note: 'no ring could be made' },
  };

  const loadErr = ffi.loadError();
  if (loadErr !== null) {
    report.reason = `the system calls can't be reached: ${loadErr}`;
    return report;
  }

  // The plainest ring there is: its errno is the answer to "why not".
  const base = rawSetup(1, 0);
  if (base.r < 0) {
    report.errno = errnoName(base.r);
    report.reason = explainSetupFailure(base.r, environment, rel, limits.memlock);
    return report;
  }
  let ring: IoUring | null = null;
  try {
    try {
      ring = new IoUring(4);
    } catch (err) {
      const e = err as Error;
      report.errno = err instanceof IoUringError ? err.code : null;
      report.reason = `io_uring_setup works, but this library's ring could not be made: ${e.message}`;
      return report;
    }
    report.available = true;
    if (environment.ioUringDisabled === 1) {
      const why = environment.capSysAdmin ? 'it has CAP_SYS_ADMIN' : environment.inIoUringGroup ? 'it is in kernel.io_uring_group' : 'though /proc does not show why';
      notes.push(`kernel.io_uring_disabled is 1, and this process may create rings (${why})`);
    }
    if (environment.seccomp === 2) notes.push('a seccomp filter is attached, and it allows io_uring_setup (it may still refuse io_uring_enter or io_uring_register)');

    const names = featureNames(ring.features);
    report.features = {
      bits: ring.features,
      names: Object.keys(names).filter((k) => k !== 'unknown' && names[k] === true),
      missing: Object.keys(names).filter((k) => k !== 'unknown' && names[k] === false),
      unknownBits: names.unknown,
    };

    report.opcodes = opcodesSection(ring, notes);

    const q = runQuery();
    report.query = q;
    if (!q.available) notes.push(`IORING_REGISTER_QUERY is not available (${q.errno}; it came in Linux 6.18): what the kernel knows was found by trial`);
    else if (!useQuery) notes.push('IORING_REGISTER_QUERY is available, but trials were asked for');

    const section = <T>(what: string, fallback: T, fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        notes.push(`${what} could not be determined: ${(err as Error).message}`);
        return fallback;
      }
    };
    const setupQuery = useQuery ? q : { ...q, ringSetupFlags: null };
    report.setupFlags = section('setup flags', report.setupFlags, () => setupFlagsSection(setupQuery, base.r));
    report.registerOpcodes = section('register opcodes', report.registerOpcodes, () => registerSection(q, useQuery));
    report.enterFlags = section('enter flags', report.enterFlags, () => enterSection(q, useQuery, ring));
    report.sqeFlags = section('SQE flags', report.sqeFlags, () => sqeSection(q, useQuery, ring));

    const sq = report.setupFlags.entries.find((e) => e.value === C.IORING_SETUP_SQPOLL);
    if (sq !== undefined && report.setupFlags.method !== 'none') {
      report.sqpoll = {
        allowed: sq.accepted,
        errno: sq.errno,
        note: sq.accepted
          ? 'a ring with IORING_SETUP_SQPOLL was made (no privilege is needed since Linux 5.13)'
          : sq.errno === 'EPERM'
            // io_uring_setup(2), IORING_SETUP_SQPOLL.
            ? 'refused with EPERM: SQPOLL needs CAP_SYS_ADMIN before Linux 5.11, and CAP_SYS_NICE in 5.11 and 5.12'
            : `refused with ${sq.errno}`,
      };
    }
  } finally {
    ring?.close();
    ffi.close(base.r);
  }
  return report;
}

function opcodesSection(ring: IoUring, notes: string[]): CapabilitiesReport['opcodes'] {
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

// ------------------------------------------------------------------ format

export interface FormatOptions {
  /** A few lines (for the tour) instead of the full tables (for `probe`). Default false. */
  short?: boolean;
}

// Rows as aligned columns; `right` marks the columns aligned right (numbers).
function table(rows: string[][], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 && !right.includes(i) ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

function yesNo(v: boolean | null): string {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function limitPair(l: RlimitReport | null, unit: 'bytes' | 'files'): string {
  if (l === null) return 'unknown';
  const one = (v: Limit): string => (v === 'unlimited' ? 'unlimited' : unit === 'bytes' ? limitText(v) : String(v));
  return `soft ${one(l.soft)}, hard ${one(l.hard)}`;
}

function sectionLines(title: string, s: FlagSection, label: (e: FlagCapability) => string[], header: string[]): string[] {
  const known = s.entries.filter((e) => e.supported === true).length;
  return [
    `${title} (${s.method}: ${known} of ${s.entries.length} known)`,
    ...table([header, ...s.entries.map(label)], [1]),
  ];
}

/**
 * The report as plain text: aligned tables of every opcode (supported or
 * not, with the release that added it), flag and limit, for a `probe`
 * command; or, with `short`, a few lines for a tour.
 */
export function formatCapabilities(report: CapabilitiesReport, options: FormatOptions = {}): string {
  const k = report.kernel;
  const head = `io_uring on Linux ${k.release} (${k.machine}), Node ${report.node}`;
  if (!report.available) {
    const lines = [head, `io_uring is NOT available here${report.errno ? ` (io_uring_setup: ${report.errno})` : ''}:`, `  ${report.reason ?? 'unknown reason'}`];
    if (!options.short) {
      const env = report.environment;
      lines.push(...table([
        ['kernel.io_uring_disabled', env.ioUringDisabled === null ? 'absent' : String(env.ioUringDisabled), env.ioUringDisabledMeaning],
        ['seccomp', env.seccomp === null ? '?' : String(env.seccomp), env.seccompMeaning],
        ['RLIMIT_MEMLOCK', '', limitPair(report.limits.memlock, 'bytes')],
        ['RLIMIT_NOFILE', '', limitPair(report.limits.nofile, 'files')],
      ]));
    }
    return lines.join('\n');
  }

  const ops = report.opcodes;
  const missing = ops.entries.filter((o) => o.supported === false);
  const setup = report.setupFlags;
  const refused = setup.entries.filter((e) => !e.accepted);
  const f = report.features!;
  if (options.short) {
    return [
      head,
      `io_uring: available; features ${f.names.length} of ${f.names.length + f.missing.length}${f.missing.length ? ` (missing ${f.missing.join(' ')})` : ''}`,
      `opcodes: ${ops.supported} of ${ops.entries.length} supported${missing.length ? `; missing ${missing.map((o) => `${o.name} (${o.since})`).join(', ')}` : ''}`,
      `setup flags: ${setup.entries.length - refused.length} of ${setup.entries.length} accepted${refused.length ? `; refused ${refused.map((e) => `${e.name} (${e.errno})`).join(', ')}` : ''}`,
      `SQPOLL ${report.sqpoll.allowed === null ? 'unknown' : report.sqpoll.allowed ? 'allowed' : `not allowed (${report.sqpoll.errno})`}; RLIMIT_MEMLOCK ${limitPair(report.limits.memlock, 'bytes')}; RLIMIT_NOFILE ${limitPair(report.limits.nofile, 'files')}`,
    ].join('\n');
  }

  const env = report.environment;
  const out: string[] = [head, 'io_uring is available', ''];
  out.push('environment', ...table([
    ['kernel.io_uring_disabled', env.ioUringDisabled === null ? 'absent' : String(env.ioUringDisabled), env.ioUringDisabledMeaning],
    ['seccomp', env.seccomp === null ? '?' : String(env.seccomp), env.seccompMeaning],
    ['RLIMIT_MEMLOCK', '', limitPair(report.limits.memlock, 'bytes')],
    ['RLIMIT_NOFILE', '', limitPair(report.limits.nofile, 'files')],
    ['SQPOLL', report.sqpoll.allowed === null ? '?' : report.sqpoll.allowed ? 'allowed' : 'refused', report.sqpoll.note],
  ]));
  for (const n of report.notes) out.push(`  note: ${n}`);
  out.push('', `features ${hex(f.bits)}: ${f.names.join(' ')}`);
  if (f.missing.length) out.push(`  not reported: ${f.missing.join(' ')}`);
  if (f.unknownBits) out.push(`  bits this library does not name: ${hex(f.unknownBits)}`);

  out.push('', `opcodes (${ops.method}: ${ops.supported} of ${ops.entries.length} supported${ops.lastOp === null ? '' : `; last_op ${ops.lastOp}`})`);
  out.push(...table([['op', 'name', 'since', 'supported'], ...ops.entries.map((o) => [String(o.op), o.name, o.since, yesNo(o.supported)])], [0]));
  if (ops.unnamed.length) out.push(`  supported, but unknown to this library: ${ops.unnamed.join(', ')}`);

  out.push('', `setup flags (${setup.method}; each also tried on a ring: ${setup.entries.length - refused.length} of ${setup.entries.length} accepted)`);
  out.push(...table([
    ['flag', 'bit', 'kernel', 'trial', 'with'],
    ...setup.entries.map((e) => [e.name, hex(e.value), yesNo(e.supported), e.accepted ? 'accepted' : `refused ${e.errno}`, e.with.join(', ')]),
  ], [1]));

  const reg = report.registerOpcodes;
  out.push('', ...sectionLines('register opcodes', reg, (e) => [e.name, String(e.value), yesNo(e.supported)], ['opcode', 'nr', 'known']));
  out.push('', ...sectionLines('enter flags', report.enterFlags, (e) => [e.name, hex(e.value), yesNo(e.supported)], ['flag', 'bit', 'known']));
  out.push('', ...sectionLines('SQE flags', report.sqeFlags, (e) => [e.name, hex(e.value), yesNo(e.supported)], ['flag', 'bit', 'known']));
  return out.join('\n');
}
