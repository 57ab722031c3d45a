// copyFile's copy: splice(2) through a pipe, file -> pipe -> file, as linked
// chains on the ring. The kernel moves the source's page-cache pages into
// the pipe and copies them once, into the destination's, as
// copy_file_range(2) (node:fs's copyFile) does inside the kernel between
// two files of a file system without reflinks (do_splice_direct in
// fs/splice.c); read and write through user memory copy twice.
//
// A pair of splices per pipeful (1 MiB, the pipe grown with F_SETPIPE_SZ;
// 64 KiB if it can't be), 32 pairs a chain. One chain at a time: two
// through two pipes measured slower here (the destination's writes take
// its inode lock one at a time). A short or failed splice breaks
// its chain (IOSQE_IO_LINK); the pipe may then hold bytes, so it is closed,
// and what is left is the caller's to copy another way: it reports the
// failure as its own step would.

import { close, fcntl, pipe } from '../../ffi/index.ts';
import type { AsyncRing } from '../async/async-ring.ts';
import type { Prep } from '../async/options.ts';
import { prepSplice } from '../prep/splice.ts';
import { F_SETPIPE_SZ, O_CLOEXEC, SPLICE_F_MOVE } from '../uapi/fs.ts';

/** A pipe's default capacity (pipe(7)). */
const DEFAULT_PIPE_BYTES = 64 * 1024;
/** What the pipe is grown to: within /proc/sys/fs/pipe-max-size's default (1 MiB), for an unprivileged process too. */
const PIPE_BYTES = 1024 * 1024;
/** Splice pairs a chain: 64 entries, a chain's most. */
const PAIRS = 32;

/**
 * Copies bytes [0, size) of `src` to the same offsets of `dst` by splicing;
 * resolves with how far it copied (size, or less where a splice came up
 * short or failed, or no pipe could be made: the rest is the caller's).
 */
export async function spliceCopy(io: AsyncRing, src: number, dst: number, size: number): Promise<number> {
  const fds = pipe(O_CLOEXEC);
  if (typeof fds === 'number') return 0;
  const [r, w] = fds;
  // A larger pipe, where the system allows it, moves more per splice; the
  // pipe's size is what each splice asks for.
  const got = fcntl(w, F_SETPIPE_SZ, PIPE_BYTES);
  const step = got >= PIPE_BYTES ? PIPE_BYTES : DEFAULT_PIPE_BYTES;
  let at = 0;
  try {
    const lens: number[] = [];
    while (at < size) {
      const preps: Prep[] = [];
      lens.length = 0;
      for (let off = at; lens.length < PAIRS && off < size; off += step) {
        const o = off;
        const n = Math.min(step, size - off);
        preps.push(
          (sqe) => prepSplice(sqe, src, o, w, -1, n, SPLICE_F_MOVE),
          (sqe) => prepSplice(sqe, r, -1, dst, o, n, SPLICE_F_MOVE),
        );
        lens.push(n);
      }
      let res: number[];
      try {
        res = await io.chain(preps);
      } catch {
        return at;
      }
      for (let i = 0; i < lens.length; i++) {
        if (res[2 * i] !== lens[i] || res[2 * i + 1] !== lens[i]) return at; // the pipe may hold bytes: no more through it
        at += lens[i]!;
      }
    }
    return at;
  } finally {
    close(r);
    close(w);
  }
}
