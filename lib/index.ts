/**
 * tsuring: io_uring for Node.js, in TypeScript. Names follow liburing's with
 * `io_uring_` dropped and the rest camelCased (io_uring_prep_read ->
 * prepRead, io_uring_cqe_seen -> ring.cqeSeen); kernel constants keep the
 * kernel's spelling.
 *
 * Where to start: {@link IoUring} (the ring: getSqe, submit, the waits,
 * forEachCqe), a `prep*` encoder to fill each entry ({@link prepRead}),
 * the registration functions for fixed files and buffers and provided
 * buffer rings, and {@link AsyncRing} for promises in Node's event loop.
 * {@link decodeSqe}, `ring.trace()` and {@link capabilities} show what the
 * kernel is handed and what it can do; {@link IoUringError} is what a
 * failed setup, enter or register throws.
 *
 * @module tsuring
 */

export { IoUring } from './ring/io-uring.ts';
export type { RingSnapshot } from './ring/io-uring.ts';
export type { IoUringOptions, SharedRing } from './ring/options.ts';
export type { MemRegionReg, RegionDesc } from './ring/register.ts';
export { makeTimespec, type Timeout } from './ring/timespec.ts';
export { Sqe, sqeSetData64 } from './ring/sqe.ts';
export { Cqe } from './ring/cqe.ts';
export { IoUringError, type ErrorTarget } from './errors.ts';
export { errnoName, ERRNO, type ErrnoName } from './errno.ts';
export { allocAligned, bufferAddress } from './ring/memory.ts';
export * from './prep/index.ts';
export { Probe, getProbe, getProbeRing, opcodeSupported, requireOpcode, registerProbe, type ProbeResult } from './register/probe.ts';
export { OPCODES, opcodeInfo, type OpcodeInfo } from './uapi/opcodes.ts';
export { featureNames } from './register/features.ts';
export {
  registerBuffers, registerBuffersTags, registerBuffersSparse, registerBuffersUpdateTag, unregisterBuffers, registeredBuffers,
  cloneBuffers, cloneBuffersOffset, type BufferSlot,
} from './register/buffers.ts';
export {
  registerFiles, registerFilesTags, registerFilesSparse, registerFilesUpdate, registerFilesUpdateTag, unregisterFiles, registerFileAllocRange,
} from './register/files.ts';
export { registerEventfd, registerEventfdAsync, unregisterEventfd } from './register/eventfd.ts';
export { registerPersonality, unregisterPersonality } from './register/personality.ts';
export { registerRestrictions, enableRings, type Restriction } from './register/restrictions.ts';
export { registerIowqAff, unregisterIowqAff, registerIowqMaxWorkers } from './register/iowq.ts';
export { registerSyncCancel, type SyncCancel } from './register/sync-cancel.ts';
export { registerNapi, unregisterNapi, type Napi } from './register/napi.ts';
export { registerClock } from './register/clock.ts';
export { registerSyncMsg } from './register/sync-msg.ts';
export { registerQuery, queryOpcodes, queryZcrx, queryScq, type QueryOpcodes, type QueryZcrx, type QueryScq } from './register/query.ts';
export {
  BufRing, setupBufRing, unregisterBufRing, freeBufRing, bufRingMask, bufRingInit, bufRingAdd, bufRingAdvance, bufRingCqAdvance, bufRingHead,
  bufRingAvailable, registerBufRing, type BufReg,
} from './register/buf-ring.ts';
export { registerIfq, type Ifq, type IfqOptions } from './register/zcrx.ts';
export {
  AsyncRing, BufferPool, Chunk, MultishotIterator, type AsyncRingOptions, type MultishotOptions, type OpOptions, type Prep, type ReceiveOptions,
  type MessageTarget, type RingMessage,
} from './async/async-ring.ts';
export {
  capabilities, formatCapabilities, explainSetupFailure, readEnvironment,
  type CapabilitiesReport, type CapabilitiesOptions, type FormatOptions, type EnvironmentReport,
  type OpcodeCapability, type FlagCapability, type SetupFlagCapability, type FlagSection,
  type QueryReport, type RlimitReport, type Limit, type LimitsReport, type Method,
} from './debug/capabilities.ts';
export { flagNames, type FlagTable } from './uapi/names.ts';
export { decodeSqe, decodeCqe, type DecodedSqe, type DecodedCqe, type DecodedValue, type CqeFields } from './debug/decode.ts';
export { type TraceEvent, type TraceListener } from './debug/trace.ts';
export * from './uapi/constants.ts';
export * from './uapi/fs.ts';
export * from './uapi/net.ts';
export * from './uapi/poll.ts';
export * from './uapi/futex.ts';
export * from './uapi/wait.ts';
export * from './uapi/time.ts';
export * as layout from './uapi/layout.ts';
