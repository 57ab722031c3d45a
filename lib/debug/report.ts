// The capability report's shape (capabilities.ts makes it): plain data,
// numbers, strings, booleans and null, so it goes through JSON.stringify
// unchanged, for a bug report, the CLI's `probe --json`, or a comparison
// between machines.

import type { EnvironmentReport, LimitsReport } from './environment.ts';

/** Where an answer came from. */
export type Method = 'query' | 'trial' | 'probe' | 'none';

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
  limits: LimitsReport;
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
