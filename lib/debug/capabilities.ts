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
//
// The parts: environment.ts reads what the process is allowed, trials.ts
// asks the kernel, report.ts is the report's shape and report-text.ts its
// text. This file puts them together, and exports what lib/index.ts does.

import { machine, release } from 'node:os';
import * as ffi from '../../ffi/index.ts';
import * as C from '../uapi/constants.ts';
import { errnoName } from '../errno.ts';
import { IoUringError, setupCauseHere } from '../errors.ts';
import { IoUring } from '../ring/io-uring.ts';
import { featureNames } from '../register/features.ts';
import { OPCODES } from '../uapi/opcodes.ts';
import { limitText, readEnvironment, readLimits, type EnvironmentReport, type RlimitReport } from './environment.ts';
import type { CapabilitiesOptions, CapabilitiesReport, SetupFlagCapability } from './report.ts';
import {
  ENTER_FLAGS, REGISTER_OPS, SETUP_FLAGS, SQE_FLAGS, enterSection, noQuery, opcodesSection, rawSetup, registerSection, runQuery,
  setupFlagsSection, sqeSection, unknownSection,
} from './trials.ts';

export { readEnvironment, type EnvironmentReport, type Limit, type LimitsReport, type RlimitReport } from './environment.ts';
export type {
  CapabilitiesOptions, CapabilitiesReport, FlagCapability, FlagSection, Method, OpcodeCapability, QueryReport, SetupFlagCapability,
} from './report.ts';
export { formatCapabilities, type FormatOptions } from './report-text.ts';

/**
 * Why io_uring_setup(2) failed with `errno` (positive or negative), in plain
 * words, given what the process is allowed (readEnvironment()) and the
 * kernel release. The errno is what settles it; the files say which of its
 * usual causes applies here. The explanations are lib/errors.ts's, beside
 * the usual causes an IoUringError from io_uring_setup names.
 */
export function explainSetupFailure(errno: number, env: EnvironmentReport, kernelRelease = release(), memlock: RlimitReport | null = null): string {
  return setupCauseHere(errno, { env, release: kernelRelease, memlock: limitText(memlock?.soft) })
    ?? new IoUringError(errno, 'io_uring_setup', 'one entry, no flags').message;
}

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
