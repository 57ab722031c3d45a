// Credentials: IORING_REGISTER_PERSONALITY registers the calling thread's,
// and an entry names them by id in `sqe.personality`.
//
// Throws an IoUringError (syscall 'io_uring_register', the detail naming the
// liburing call) where liburing would return -errno.

import { checkIntRange } from '../check.ts';
import type { IoUring } from '../ring/io-uring.ts';
import { IORING_REGISTER_PERSONALITY, IORING_UNREGISTER_PERSONALITY } from '../uapi/constants.ts';
import { registerCall } from './syscall.ts';

/**
 * io_uring_register_personality(3): registers the calling thread's current
 * credentials and returns their id. An entry with `sqe.personality = id` runs
 * with those credentials instead of the submitter's.
 * @since Linux 5.6
 * @see io_uring_register_personality(3)
 */
export function registerPersonality(ring: IoUring): number {
  return registerCall(ring, IORING_REGISTER_PERSONALITY, null, 0, 'register_personality');
}

/**
 * io_uring_unregister_personality(3): drops credentials id `id` (EINVAL when
 * no such id is registered).
 * @since Linux 5.6
 * @see io_uring_unregister_personality(3)
 */
export function unregisterPersonality(ring: IoUring, id: number): void {
  checkIntRange(id, 0, 0xffff, 'id');
  registerCall(ring, IORING_UNREGISTER_PERSONALITY, null, id, 'unregister_personality');
}
