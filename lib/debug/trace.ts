// The trace: every SQE as the ring publishes it and every CQE as it is
// handed back, decoded, with a monotonic timestamp. `ring.trace(listener)`
// turns it on for one ring; TSURING_TRACE=1 (text) or =json (JSON lines) in
// the environment turns it on for every ring, printing to stderr.
//
// The ring layer knows nothing of this module (the decoder sits above the
// encoders, which sit above the ring). Loading it (lib/index.ts does) adds
// `trace()` to IoUring, declared below by module augmentation, and names the
// hook each new ring starts with (lib/ring/hook.ts): the TSURING_TRACE one.
//
// Off, it costs the ring one null test per submit and one per cqAdvance
// (bench/compare.ts --only trace measures it against a build without them).
// On, it decodes every entry: for learning and debugging, not for speed.

import { inspect } from 'node:util';
import type { Cqe } from '../ring/cqe.ts';
import { setNewRingHook, type RingHook } from '../ring/hook.ts';
import { IoUring } from '../ring/io-uring.ts';
import type { Sqe } from '../ring/sqe.ts';
import { IORING_CQE_F_MORE } from '../uapi/constants.ts';
import { cqeGetData } from '../prep/sqe-cqe.ts';
import { decodeCqe, decodeSqe, type DecodedCqe, type DecodedSqe } from './decode.ts';

/** One traced entry. */
export type TraceEvent =
  | {
    /** An SQE, as the ring publishes it. */
    kind: 'sqe';
    /** performance.now(), ms. */
    time: number;
    /** The ring's fd. */
    ring: number;
    /** The entry, decoded. */
    entry: DecodedSqe;
  }
  | {
    /** A CQE, as it is handed back to the kernel. */
    kind: 'cqe';
    /** performance.now(), ms. */
    time: number;
    /** The ring's fd. */
    ring: number;
    /** The entry, decoded. */
    entry: DecodedCqe;
  };

/** What `ring.trace(listener)` calls with each {@link TraceEvent}, as the entry goes in or comes back. */
export type TraceListener = (event: TraceEvent) => void;

// user_data of operations in flight whose opcode a CQE should be named by;
// past this many (entries whose CQE never comes: CQE_SKIP_SUCCESS) it starts over.
const MAX_REMEMBERED = 1 << 16;

/** @internal what ring.trace() installs */
export class Tracer implements RingHook {
  private readonly ops = new Map<number | bigint, number>();

  constructor(private readonly ring: IoUring, private readonly listener: TraceListener) {}

  submitted(sqes: readonly Sqe[], from: number, to: number, mask: number): void {
    const time = performance.now();
    for (let i = from; i !== to; i = (i + 1) >>> 0) {
      const sqe = sqes[i & mask]!;
      this.guard(() => {
        const entry = decodeSqe(sqe);
        if (this.ops.size >= MAX_REMEMBERED) this.ops.clear();
        this.ops.set(entry.user_data, entry.opcode);
        this.listener({ kind: 'sqe', time, ring: this.ring.fd, entry });
      });
    }
  }

  reaped(cqes: readonly Cqe[], head: number, n: number, mask: number): void {
    const time = performance.now();
    for (let i = 0; i < n; i++) {
      const cqe = cqes[(head + i) & mask]!;
      this.guard(() => {
        const ud = cqeGetData(cqe); // as decodeSqe gives it: a bigint from 2^53
        const entry = decodeCqe(cqe, this.ops.get(ud));
        if (!(cqe.flags & IORING_CQE_F_MORE)) this.ops.delete(ud);
        this.listener({ kind: 'cqe', time, ring: this.ring.fd, entry });
      });
    }
  }

  // The trace runs inside a submit and an advance: nothing it does (a
  // listener that throws) may leave the ring half way through either. Its
  // error surfaces on its own, as an uncaught one.
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

// One line of text for an entry: `op key=value ...`.
function line(e: TraceEvent): string {
  const { op, ...fields } = e.entry as unknown as Record<string, unknown>;
  const parts = Object.entries(fields)
    .filter(([k, v]) => k !== 'opcode' && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : typeof v === 'object' && v !== null ? inspect(v, { breakLength: Infinity }) : String(v)}`);
  return `${e.time.toFixed(3).padStart(10)} ms  ring ${e.ring}  ${e.kind === 'sqe' ? 'SQE ->' : 'CQE <-'} ${String(op ?? '?')} ${parts.join(' ')}`;
}

function json(e: TraceEvent): string {
  return JSON.stringify(e, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * The listener TSURING_TRACE asks for: 'json' for JSON lines, anything else
 * for text, written to stderr. Null when the variable is unset or empty.
 */
export function envTraceListener(value = process.env.TSURING_TRACE): TraceListener | null {
  if (!value || value === '0') return null;
  const format = value === 'json' ? json : line;
  return (e) => {
    process.stderr.write(`${format(e)}\n`);
  };
}

declare module '../ring/io-uring.ts' {
  interface IoUring {
    /**
     * Reports every SQE this ring publishes (at submit) and every CQE it hands
     * back (at cqAdvance / cqeSeen), decoded, with a performance.now()
     * timestamp, to `listener`; null turns it off. TSURING_TRACE=1 (or =json)
     * in the environment does this for every ring, printing to stderr. A CQE
     * is named by the opcode of the SQE with the same user_data.
     * (Added by lib/debug/trace.ts, which the package's entry point loads.)
     */
    trace(listener: TraceListener | null): void;
  }
}

// A method like the class's own: not enumerable.
Object.defineProperty(IoUring.prototype, 'trace', {
  value: function trace(this: IoUring, listener: TraceListener | null): void {
    if (listener !== null && typeof listener !== 'function') throw new TypeError('listener must be a function or null');
    this.setHook(listener === null ? null : new Tracer(this, listener));
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

setNewRingHook((ring) => {
  const to = envTraceListener();
  return to === null ? null : new Tracer(ring, to);
});
