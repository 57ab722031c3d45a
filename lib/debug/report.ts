// The capability report's shape (capabilities.ts makes it): plain data,
// numbers, strings, booleans and null, so it goes through JSON.stringify
// unchanged, for a bug report, the CLI's `probe --json`, or a comparison
// between machines.

import type { EnvironmentReport, LimitsReport } from './environment.ts';

/** Where an answer came from. */
export type Method = 'query' | 'trial' | 'probe' | 'none';

/** One IORING_OP_*: its number, name, the Linux release that added it, and whether this kernel has it. */
export interface OpcodeCapability {
  /** The IORING_OP_* number. */
  op: number;
  /** The name without IORING_OP_ ('READ'). */
  name: string;
  /** The first Linux release that has it, as 'major.minor'. */
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
  /** One row per constant, in the order of their values. */
  entries: T[];
}

/** What IORING_REGISTER_QUERY's IO_URING_QUERY_OPCODES answered (Linux 6.18). */
export interface QueryReport {
  /** Whether IORING_REGISTER_QUERY answered. */
  available: boolean;
  /** Why not, when not: the errno name. */
  errno: string | null;
  /** `nr_request_opcodes`: one past the highest IORING_OP_* the kernel knows. */
  nrRequestOpcodes: number | null;
  /** `nr_register_opcodes`: one past the highest IORING_REGISTER_* the kernel knows. */
  nrRegisterOpcodes: number | null;
  /** `feature_flags`: the IORING_FEAT_* bits the kernel has. */
  featureFlags: number | null;
  /** `ring_setup_flags`: the IORING_SETUP_* bits the kernel takes. */
  ringSetupFlags: number | null;
  /** `enter_flags`: the IORING_ENTER_* bits the kernel takes. */
  enterFlags: number | null;
  /** `sqe_flags`: the IOSQE_* bits the kernel takes. */
  sqeFlags: number | null;
  /** `nr_query_opcodes`: how many IO_URING_QUERY_* ops the kernel has. */
  nrQueryOpcodes: number | null;
}

/** The whole report: see capabilities(). */
export interface CapabilitiesReport {
  /** uname(2): the kernel release ('6.18.0') and machine ('x86_64'). */
  kernel: {
    /** `uname -r`. */
    release: string;
    /** `uname -m`. */
    machine: string;
  };
  /** process.version. */
  node: string;
  /** Whether a ring can be made here. */
  available: boolean;
  /** The errno name of the failed io_uring_setup, when it failed. */
  errno: string | null;
  /** Why io_uring is unavailable, in plain words; null when it is available. */
  reason: string | null;
  /** Things worth knowing either way (a restriction that does not apply, a method that fell back). */
  notes: string[];
  /** What /proc says this process may do: the sysctls, seccomp, capabilities. */
  environment: EnvironmentReport;
  /** The resource limits that bound rings: RLIMIT_MEMLOCK, RLIMIT_NOFILE. */
  limits: LimitsReport;
  /** IORING_FEAT_* the kernel reported at setup; null when no ring could be made. */
  features: {
    /** The bits as a number. */ bits: number;
    /** The ones set, without IORING_FEAT_. */ names: string[];
    /** The ones the pinned header names that this kernel lacks. */ missing: string[];
    /** Bits set that the pinned header does not name (a newer kernel). */ unknownBits: number;
  } | null;
  /** What IORING_REGISTER_QUERY said, or why it said nothing. */
  query: QueryReport;
  /** Every opcode the library names, and whether this kernel has it. */
  opcodes: {
    /** How `supported` was found: 'query', 'trial' (IORING_REGISTER_PROBE here) or 'none'. */
    method: Method;
    /** The probe's last_op: the highest opcode the kernel knows. */
    lastOp: number | null;
    /** How many of `entries` are supported. */
    supported: number;
    /** One row per opcode. */
    entries: OpcodeCapability[];
    /** Opcodes the kernel supports that this library has no name for (a newer kernel). */
    unnamed: number[];
  };
  /** IORING_SETUP_* flags: each tried with a real ring. */
  setupFlags: FlagSection<SetupFlagCapability>;
  /** `count` is the kernel's IORING_REGISTER_LAST: every opcode below it is known. */
  registerOpcodes: FlagSection & {
    /** IORING_REGISTER_LAST, where known. */
    count: number | null;
  };
  /** IORING_ENTER_* flags. */
  enterFlags: FlagSection;
  /** IOSQE_* flags. */
  sqeFlags: FlagSection;
  /** Whether this process may make an IORING_SETUP_SQPOLL ring (no privilege needed since Linux 5.13). */
  sqpoll: {
    /** null where no ring could be tried. */ allowed: boolean | null;
    /** The errno name the trial got, when refused. */ errno: string | null;
    /** What the answer means. */ note: string;
  };
}

/** What {@link capabilities} takes. */
export interface CapabilitiesOptions {
  /**
   * 'auto' (default): IORING_REGISTER_QUERY where the kernel has it, trials
   * otherwise. 'trial': trials even where the query would answer (to check
   * one against the other). Setup flags are always tried as well.
   */
  method?: 'auto' | 'trial';
}
