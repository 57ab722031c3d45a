// What tsuring/fs hands to Node's own node:fs: the calls io_uring has no
// operation for, used inside the ring-backed functions.

import { fchmod as fchmodCb } from 'node:fs';
import { promisify } from 'node:util';

export { copyFile } from 'node:fs/promises';

/** fchmod(2) through node:fs (io_uring has no fchmod). */
export const fchmod = promisify(fchmodCb);
