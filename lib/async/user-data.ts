// The user_data an AsyncRing writes into its SQEs and reads back from its
// CQEs, in one place: LoopRing's issue, cancels and reap, the waker's
// doorbell and msgRing's messages all encode and decode it here.
//
//   0                     the library's own entries (link timeouts, cancels
//                         made for nobody): reaped and ignored
//   below 2^52            an operation: `(generation * 64 + position) * 2^20
//                         + slot`. The slot says whose promise or iterator a
//                         CQE feeds, the position which entry of a chain it
//                         is (0 for a lone operation; CANCEL_POS for a
//                         multishot operation's own cancels), and the
//                         generation (modulo 2^26) that a CQE, or a cancel,
//                         from an earlier use of the slot is stale
//   2^52 to 2^53 - 3      a message another ring posted with msgRing: data
//                         2^52 below the user_data (messages())
//   2^53 - 2 and - 1      the doorbell waker's WRITE and POLL_ADD
//   2^53 and up           nothing this layer issued (a raw msg_ring from
//                         elsewhere): ignored
//
// As the two 32-bit words of the SQE and CQE: an operation's low word is
// `(generation & 63) << 26 | position << 20 | slot` and its high word
// `generation >>> 6`, below MSG_HI; so reap() tells the kinds apart by the
// high word alone, and encodes and decodes with no float arithmetic.

/** Bits of the slot index: up to 2^20 - 1 operations pending at once. */
export const SLOT_BITS = 20;
/** One past the largest slot index. */
export const SLOT_SPAN = 1 << SLOT_BITS;
const SLOT_MASK = SLOT_SPAN - 1;
/** Positions per slot: a chain has at most MAX_CHAIN entries. */
export const MAX_CHAIN = 64;
/** The position a multishot operation's own cancels post under (a stream is never a chain, so it has no entry there). */
export const CANCEL_POS = MAX_CHAIN - 1;
/** Generations wrap at 2^26: 26 + 6 position bits + 20 slot bits = 52. */
export const GEN_SPAN = 2 ** 26;

/** The user_data of the library's own entries. */
export const OWN_DATA = 0;

/** Where message user_data start (see msgRing): 2^52, the high word MSG_HI. */
export const MSG_BASE = 2 ** 52;
/** The high word of MSG_BASE: every operation's high word is below it. */
export const MSG_HI = 0x100000;
/** The high word of 2^53: from it up, user_data that nothing here issued. */
const FOREIGN_HI = 0x200000;

/** The user_data the doorbell's own two entries carry (its CQEs are not the caller's). */
export const DOORBELL_POLL_DATA = 2 ** 53 - 1;
export const DOORBELL_WRITE_DATA = 2 ** 53 - 2;
const DOORBELL_HI = Math.floor(DOORBELL_POLL_DATA / 2 ** 32);
const DOORBELL_POLL_LO = DOORBELL_POLL_DATA % 2 ** 32;
const DOORBELL_WRITE_LO = DOORBELL_WRITE_DATA % 2 ** 32;

/** The largest value msgRing can carry to an AsyncRing: the last user_data below the doorbell's. */
export const MSG_MAX = DOORBELL_WRITE_DATA - 1 - MSG_BASE;

// What a CQE's user_data names (kindOf).
/** An operation's entry: slotOf, positionOf and generationOf say which. */
export const KIND_OP = 0;
/** The library's own entry (OWN_DATA). */
export const KIND_OWN = 1;
/** A message: messageOf is its data. */
export const KIND_MESSAGE = 2;
/** One of the doorbell waker's two entries. */
export const KIND_DOORBELL = 3;
/** Nothing this layer issued. */
export const KIND_FOREIGN = 4;

/** An operation's user_data as a number (for an ASYNC_CANCEL's target, say). */
export function userData(generation: number, slot: number, position: number): number {
  return (generation * MAX_CHAIN + position) * SLOT_SPAN + slot;
}

/** The low word of an operation's user_data. */
export function userDataLo(generation: number, slot: number, position: number): number {
  return (((generation & 63) << 26) | (position << SLOT_BITS) | slot) >>> 0;
}

/** The high word of an operation's user_data. */
export function userDataHi(generation: number): number {
  return generation >>> 6;
}

/** What the user_data in words `lo` and `hi` names: one of the KIND_ values. */
export function kindOf(lo: number, hi: number): number {
  if (hi < MSG_HI) return lo === 0 && hi === 0 ? KIND_OWN : KIND_OP;
  if (hi >= FOREIGN_HI) return KIND_FOREIGN;
  if (hi === DOORBELL_HI && (lo === DOORBELL_POLL_LO || lo === DOORBELL_WRITE_LO)) return KIND_DOORBELL;
  return KIND_MESSAGE;
}

/** An operation's slot, from its low word. */
export function slotOf(lo: number): number {
  return lo & SLOT_MASK;
}

/** An operation's position, from its low word. */
export function positionOf(lo: number): number {
  return (lo >>> SLOT_BITS) & (MAX_CHAIN - 1);
}

/** An operation's generation, from both words. */
export function generationOf(lo: number, hi: number): number {
  return hi * 64 + (lo >>> 26);
}

/** The user_data that carries message `data` (0 to MSG_MAX). */
export function messageData(data: number): number {
  return MSG_BASE + data;
}

/** A message's data, from both words of its user_data. */
export function messageOf(lo: number, hi: number): number {
  return (hi - MSG_HI) * 4294967296 + lo;
}
