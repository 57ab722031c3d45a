// State another module keeps per ring (registered buffers, buffer rings,
// provided buffers): memory the kernel may use for as long as the ring lives.
// It is stored in the ring's own resources, not in a WeakMap keyed by the
// ring: when a ring is collected without close() (and so possibly with work
// in flight), what it held is kept for the life of the process along with the
// ring's memory, rather than let go with the ring.

import type { IoUring } from './io-uring.ts';

/** A WeakMap-shaped slot of per-ring state. */
export class RingLocal<T> {
  private readonly key: symbol;

  constructor(name: string) {
    this.key = Symbol(name);
  }

  get(ring: IoUring): T | undefined {
    return ring.heldState().get(this.key) as T | undefined;
  }

  set(ring: IoUring, value: T): this {
    ring.heldState().set(this.key, value);
    return this;
  }

  delete(ring: IoUring): boolean {
    return ring.heldState().delete(this.key);
  }

  has(ring: IoUring): boolean {
    return ring.heldState().has(this.key);
  }
}
