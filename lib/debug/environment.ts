// What this process is allowed, read from the files that explain a refusal
// of io_uring: the sysctls kernel.io_uring_disabled and io_uring_group,
// the capability and seccomp lines of /proc/self/status, and the memlock and
// file limits (getrlimit(2), or /proc/self/limits without the FFI). Part of
// the capability report (capabilities.ts); never throws.

import { readFileSync } from 'node:fs';
import * as ffi from '../../ffi/index.ts';

// include/uapi/asm-generic/resource.h: the same on x86_64 and arm64.
const RLIMIT_NOFILE = 7;
const RLIMIT_MEMLOCK = 8;
const RLIM_INFINITY = 0xffffffffffffffffn;
// include/uapi/linux/capability.h
const CAP_SYS_ADMIN = 21;

/** A resource limit: a number of bytes or files, or 'unlimited' (RLIM_INFINITY). */
export type Limit = number | 'unlimited';

/** The soft and hard values of one resource limit (getrlimit(2)). */
export interface RlimitReport {
  /** The limit in force. */
  soft: Limit;
  /** The most the soft limit may be raised to without privilege. */
  hard: Limit;
}

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

/** The limits that cap rings and what is registered with them. */
export interface LimitsReport {
  /** RLIMIT_MEMLOCK in bytes: ring memory was charged to it before Linux 5.12, registered buffers still are. */
  memlock: RlimitReport | null;
  /** RLIMIT_NOFILE: caps ring fds and registered file tables. */
  nofile: RlimitReport | null;
  /** Where the limits were read: getrlimit(2), /proc/self/limits where the call failed, or nowhere. */
  source: 'getrlimit' | '/proc/self/limits' | 'none';
}

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
export function firstAllowedCpu(): number {
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

/** RLIMIT_MEMLOCK and RLIMIT_NOFILE. Never throws. */
export function readLimits(): LimitsReport {
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

/** A limit in words: '8192 KiB', '100 bytes', 'unlimited', 'unknown'. */
export function limitText(l: Limit | undefined): string {
  if (l === undefined) return 'unknown';
  if (l === 'unlimited') return 'unlimited';
  return l >= 1024 && l % 1024 === 0 ? `${l / 1024} KiB` : `${l} bytes`;
}
