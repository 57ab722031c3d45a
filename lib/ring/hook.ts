// The ring's one hook: something told of each SQE as the ring publishes it
// and each CQE as it is handed back. The trace (lib/debug/trace.ts) is the
// only user, and the ring layer never imports it: the decoder the trace
// needs sits above the encoders, which sit above the ring. Instead the trace
// module, when it is loaded (lib/index.ts loads it, so every program that
// imports the package has it), adds `ring.trace(listener)` to IoUring and
// names here the hook every new ring starts with (the TSURING_TRACE one).
//
// Off, a hook costs the ring one null test per submit and one per
// cqAdvance.

import type { Cqe } from './cqe.ts';
import type { IoUring } from './io-uring.ts';
import type { Sqe } from './sqe.ts';

/** @internal what a trace installs: sees SQEs as published and CQEs as handed back */
export interface RingHook {
  /** Entries at SQ positions [from, to) (masked by `mask` into `sqes`) are being published. */
  submitted(sqes: readonly Sqe[], from: number, to: number, mask: number): void;
  /** `n` CQEs from CQ position `head` (masked by `mask` into `cqes`) are being handed back. */
  reaped(cqes: readonly Cqe[], head: number, n: number, mask: number): void;
}

let forNewRing: ((ring: IoUring) => RingHook | null) | null = null;

/** @internal Sets what makes each new ring's hook (null: none). lib/debug/trace.ts calls this when it loads. */
export function setNewRingHook(make: ((ring: IoUring) => RingHook | null) | null): void {
  forNewRing = make;
}

/** @internal The hook a ring just made starts with. */
export function newRingHook(ring: IoUring): RingHook | null {
  return forNewRing === null ? null : forNewRing(ring);
}
