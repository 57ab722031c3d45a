// Flags and the statx layout of the file-system system calls the fs encoders
// run (lib/prep/fs.ts, open.ts), under their header names. They are not
// io_uring's: each group names the UAPI header it comes from.

// include/uapi/linux/fcntl.h
/** The `dfd` that means "relative to the current directory". */
export const AT_FDCWD = -100;
/** statx, linkat (as the absence of AT_SYMLINK_FOLLOW): don't follow a final symlink. */
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** unlinkat: remove a directory (rmdir) instead of a file. */
export const AT_REMOVEDIR = 0x200;
/** linkat: follow a final symlink in the old path. */
export const AT_SYMLINK_FOLLOW = 0x400;
/** statx: don't trigger an automount at the final component. */
export const AT_NO_AUTOMOUNT = 0x800;
/** statx, linkat: an empty path means `dfd` itself. */
export const AT_EMPTY_PATH = 0x1000;
/** statx: do whatever stat(2) does about remote attributes (the default). */
export const AT_STATX_SYNC_AS_STAT = 0x0000;
/** statx: force a sync with the server (network file systems). */
export const AT_STATX_FORCE_SYNC = 0x2000;
/** statx: don't sync; use what is cached. */
export const AT_STATX_DONT_SYNC = 0x4000;

// include/uapi/linux/fs.h: per-call flags of preadv2/pwritev2 (rw_flags).
/** High-priority (polled) I/O: only on an IORING_SETUP_IOPOLL ring; elsewhere the CQE is -EINVAL. */
export const RWF_HIPRI = 0x1;
/** This write is O_DSYNC. */
export const RWF_DSYNC = 0x2;
/** This write is O_SYNC. */
export const RWF_SYNC = 0x4;
/** Don't wait for data or locks: complete with -EAGAIN instead (not retried by io_uring). */
export const RWF_NOWAIT = 0x8;
/** This write appends, whatever the offset (O_APPEND for one call). */
export const RWF_APPEND = 0x10;
/** This write goes to the offset even on an O_APPEND file (Linux 6.9). */
export const RWF_NOAPPEND = 0x20;
/** This write is atomic: all or nothing on a crash (Linux 6.11; O_DIRECT, within statx's atomic-write limits). */
export const RWF_ATOMIC = 0x40;
/** Buffered I/O that drops the page cache afterwards (Linux 6.14). */
export const RWF_DONTCACHE = 0x80;

// include/uapi/linux/falloc.h
/** fallocate: don't change the file size (allocate past EOF). */
export const FALLOC_FL_KEEP_SIZE = 0x01;
/** fallocate: deallocate the range (with KEEP_SIZE). */
export const FALLOC_FL_PUNCH_HOLE = 0x02;
/** fallocate: remove the range and shift the rest down. */
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
/** fallocate: zero the range. */
export const FALLOC_FL_ZERO_RANGE = 0x10;
/** fallocate: insert a hole, shifting the rest up. */
export const FALLOC_FL_INSERT_RANGE = 0x20;

// include/uapi/linux/fadvise.h (x86_64 and arm64 values)
/** fadvise: no advice (the default) */
export const POSIX_FADV_NORMAL = 0;
/** fadvise: random access; no read-ahead */
export const POSIX_FADV_RANDOM = 1;
/** fadvise: sequential access; more read-ahead */
export const POSIX_FADV_SEQUENTIAL = 2;
/** fadvise: read the range into the page cache now */
export const POSIX_FADV_WILLNEED = 3;
/** fadvise: drop the range's clean pages from the page cache */
export const POSIX_FADV_DONTNEED = 4;
/** fadvise: the data is read once */
export const POSIX_FADV_NOREUSE = 5;

// include/uapi/asm-generic/mman-common.h: madvise advice (a few of them).
/** madvise: no advice (the default) */
export const MADV_NORMAL = 0;
/** madvise: random access; no read-ahead */
export const MADV_RANDOM = 1;
/** madvise: sequential access; more read-ahead, pages freed soon after */
export const MADV_SEQUENTIAL = 2;
/** madvise: page the range in now */
export const MADV_WILLNEED = 3;
/** Drop the pages: a private anonymous mapping reads back zeroes. */
export const MADV_DONTNEED = 4;
/** Free the pages lazily, when memory is short. */
export const MADV_FREE = 8;

// include/uapi/linux/fs.h
/** sync_file_range: wait for writeback already under way on the range. */
export const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
/** sync_file_range: start writeback of the range's dirty pages. */
export const SYNC_FILE_RANGE_WRITE = 2;
/** sync_file_range: wait for the writeback to finish. */
export const SYNC_FILE_RANGE_WAIT_AFTER = 4;
/** renameat2: fail with -EEXIST rather than replace the target. */
export const RENAME_NOREPLACE = 1;
/** renameat2: swap the two paths. */
export const RENAME_EXCHANGE = 2;
/** renameat2: leave a whiteout behind (overlay file systems). */
export const RENAME_WHITEOUT = 4;

// include/uapi/linux/stat.h: statx request and result mask bits.
/** statx: the file type bits of stx_mode */
export const STATX_TYPE = 0x1;
/** statx: the permission bits of stx_mode */
export const STATX_MODE = 0x2;
/** statx: stx_nlink */
export const STATX_NLINK = 0x4;
/** statx: stx_uid */
export const STATX_UID = 0x8;
/** statx: stx_gid */
export const STATX_GID = 0x10;
/** statx: stx_atime */
export const STATX_ATIME = 0x20;
/** statx: stx_mtime */
export const STATX_MTIME = 0x40;
/** statx: stx_ctime */
export const STATX_CTIME = 0x80;
/** statx: stx_ino */
export const STATX_INO = 0x100;
/** statx: stx_size */
export const STATX_SIZE = 0x200;
/** statx: stx_blocks */
export const STATX_BLOCKS = 0x400;
/** Everything stat(2) gives. */
export const STATX_BASIC_STATS = 0x7ff;
/** statx: stx_btime, the creation time (not in {@link STATX_BASIC_STATS}) */
export const STATX_BTIME = 0x800;
/** statx: stx_mnt_id (Linux 5.8) */
export const STATX_MNT_ID = 0x1000;
/** statx: stx_dio_mem_align and stx_dio_offset_align (Linux 6.1) */
export const STATX_DIOALIGN = 0x2000;
/** statx: the unique 64-bit mount id in stx_mnt_id (Linux 6.8) */
export const STATX_MNT_ID_UNIQUE = 0x4000;
/** statx: stx_subvol (Linux 6.10) */
export const STATX_SUBVOL = 0x8000;
/** statx: the stx_atomic_write_* limits (Linux 6.11) */
export const STATX_WRITE_ATOMIC = 0x10000;
/** statx: stx_dio_read_offset_align (Linux 6.14) */
export const STATX_DIO_READ_ALIGN = 0x20000;

/**
 * `struct statx` (256 bytes), from include/uapi/linux/stat.h. Offsets as in
 * lib/uapi/layout.ts: one key per field, the `stx_` names of the header.
 * @enum
 */
export const statx = Object.freeze({
  sizeof: 256,
  stx_mask: 0, // __u32
  stx_blksize: 4, // __u32
  stx_attributes: 8, // __u64
  stx_nlink: 16, // __u32
  stx_uid: 20, // __u32
  stx_gid: 24, // __u32
  stx_mode: 28, // __u16
  stx_ino: 32, // __u64
  stx_size: 40, // __u64
  stx_blocks: 48, // __u64
  stx_attributes_mask: 56, // __u64
  stx_atime: 64, // struct statx_timestamp
  stx_btime: 80,
  stx_ctime: 96,
  stx_mtime: 112,
  stx_rdev_major: 128, // __u32
  stx_rdev_minor: 132,
  stx_dev_major: 136,
  stx_dev_minor: 140,
  stx_mnt_id: 144, // __u64
  stx_dio_mem_align: 152, // __u32
  stx_dio_offset_align: 156, // __u32
  stx_subvol: 160, // __u64
  stx_atomic_write_unit_min: 168, // __u32
  stx_atomic_write_unit_max: 172,
  stx_atomic_write_segments_max: 176,
  stx_dio_read_offset_align: 180,
  stx_atomic_write_unit_max_opt: 184,
} as const);

/**
 * `struct statx_timestamp` (16 bytes), from include/uapi/linux/stat.h.
 * @enum
 */
export const statx_timestamp = Object.freeze({
  sizeof: 16,
  tv_sec: 0, // __s64
  tv_nsec: 8, // __u32
} as const);

// open(2) flags (include/uapi/asm-generic/fcntl.h; arm64 swaps O_DIRECTORY,
// O_NOFOLLOW, O_DIRECT and O_LARGEFILE: arch/arm64/include/uapi/asm/fcntl.h).
// O_SYNC and O_TMPFILE are two bits each. node:fs's constants lack
// O_CLOEXEC, which every fd a library opens for itself should carry.
const ARM64 = process.arch === 'arm64';
/** open: read only */
export const O_RDONLY = 0;
/** open: write only */
export const O_WRONLY = 1;
/** open: read and write */
export const O_RDWR = 2;
/** The access mode's bits: `flags & O_ACCMODE` is O_RDONLY, O_WRONLY or O_RDWR. */
export const O_ACCMODE = 0o3;
/** open: create the file if it does not exist (mode applies) */
export const O_CREAT = 0o100;
/** open: with O_CREAT, fail with -EEXIST if the file exists */
export const O_EXCL = 0o200;
/** open: a terminal does not become the controlling terminal */
export const O_NOCTTY = 0o400;
/** open: truncate the file to 0 bytes */
export const O_TRUNC = 0o1000;
/** open: every write goes to the end of the file */
export const O_APPEND = 0o2000;
/** open: non-blocking mode */
export const O_NONBLOCK = 0o4000;
/** open: each write returns once its data is on storage */
export const O_DSYNC = 0o10000;
/** open: signal-driven I/O (O_ASYNC) */
export const FASYNC = 0o20000;
/** open: bypass the page cache (alignment rules apply; statx STATX_DIOALIGN reports them) */
export const O_DIRECT = ARM64 ? 0o200000 : 0o40000;
/** open: offsets above 2 GiB (always on for 64-bit callers) */
export const O_LARGEFILE = ARM64 ? 0o400000 : 0o100000;
/** open: fail with -ENOTDIR unless the path is a directory */
export const O_DIRECTORY = ARM64 ? 0o40000 : 0o200000;
/** open: fail with -ELOOP if the final component is a symlink */
export const O_NOFOLLOW = ARM64 ? 0o100000 : 0o400000;
/** open: reads do not update the access time */
export const O_NOATIME = 0o1000000;
/** open: close the fd on execve */
export const O_CLOEXEC = 0o2000000;
/** open: each write returns once its data and metadata are on storage */
export const O_SYNC = 0o4010000;
/** open: an fd that names the file without opening it for I/O */
export const O_PATH = 0o10000000;
/** open: an unnamed file in the given directory */
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

// include/uapi/linux/openat2.h: open_how.resolve bits (Linux 5.6).
/** Refuse to cross a mount point (including bind mounts): -EXDEV. */
export const RESOLVE_NO_XDEV = 0x01;
/** Refuse "magic links" such as /proc/self/fd/N: -ELOOP. */
export const RESOLVE_NO_MAGICLINKS = 0x02;
/** Refuse every symlink on the way: -ELOOP. */
export const RESOLVE_NO_SYMLINKS = 0x04;
/** Refuse to resolve outside `dfd` (by "..", an absolute path or symlink): -EXDEV. */
export const RESOLVE_BENEATH = 0x08;
/** Resolve as if `dfd` were the root (a chroot for this lookup). */
export const RESOLVE_IN_ROOT = 0x10;
/** Only succeed from the dentry cache, else -EAGAIN (Linux 5.12). */
export const RESOLVE_CACHED = 0x20;

// include/uapi/linux/splice.h (SPLICE_F_FD_IN_FIXED, io_uring's own, is in
// lib/uapi/constants.ts).
/** Move pages instead of copying, where the kernel can (a hint). */
export const SPLICE_F_MOVE = 0x01;
/** Don't block on the pipe (the files may still block). */
export const SPLICE_F_NONBLOCK = 0x02;
/** More data will follow (a hint for sockets). */
export const SPLICE_F_MORE = 0x04;
/** vmsplice: the pages are a gift. */
export const SPLICE_F_GIFT = 0x08;

// include/uapi/linux/fcntl.h: F_LINUX_SPECIFIC_BASE (1024) + 7.
/** fcntl(2): set a pipe's capacity in bytes (rounded up to a power-of-two number of pages). */
export const F_SETPIPE_SZ = 1031;

// include/uapi/linux/xattr.h
/** setxattr: fail with -EEXIST if the attribute exists. */
export const XATTR_CREATE = 0x1;
/** setxattr: fail with -ENODATA unless the attribute exists. */
export const XATTR_REPLACE = 0x2;

// Block-device commands, include/uapi/linux/blkdev.h: _IO(0x12, n).
/** Discard a byte range of a block device (an async BLKDISCARD). */
export const BLOCK_URING_CMD_DISCARD = 0x1200;
/** Reset every sequential-write-required zone of a zoned block device. */
export const BLOCK_URING_CMD_ZONE_RESET_ALL = 0x1201;
