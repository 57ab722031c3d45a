// Memory ordering of the ring indices. liburing needs: an acquire load of the
// CQ tail (CQE contents are read after it), a release store of the CQ head
// (our reads of the CQEs are done before the kernel may reuse them), a
// release store of the SQ tail on SQPOLL rings followed by a full barrier
// before reading the SQ flags, and a plain store of the SQ tail otherwise
// (the kernel reads it only inside our io_uring_enter, and the syscall
// orders everything).
//
// JS offers only sequentially consistent Atomics, and on Node 20 each costs
// 6-9 ns (measured: more than all the rest of preparing a NOP). On x86_64 the
// hardware already gives plain loads acquire and plain stores release
// semantics (TSO), and V8 keeps typed-array accesses in program order, so
// `loadAcquire`/`storeRelease` are plain accesses there and Atomics
// elsewhere. The one full barrier (SQPOLL wakeup check) is always an
// Atomics.store: an xchg on x86_64.

const TSO = process.arch === 'x64' || process.arch === 'ia32';

/** An acquire load of `u[i]`: later reads are not moved before it. */
export function loadAcquire(u: Uint32Array, i: number): number {
  return TSO ? u[i]! : Atomics.load(u, i);
}

/** A release store to `u[i]`: earlier reads and writes are not moved after it. */
export function storeRelease(u: Uint32Array, i: number, v: number): void {
  if (TSO) u[i] = v;
  else Atomics.store(u, i, v);
}
