// Every io_uring opcode of the pinned header has an encoder, under liburing's
// names. The table maps each opcode to the encoders that prepare it; an
// opcode without one must sit on NOT_YET with a comment saying why.

import { describe, expect, it } from 'vitest';
import * as tsuring from '../lib/index.ts';
import { OPCODES } from '../lib/uapi/opcodes.ts';

const ENCODERS: Record<string, readonly string[]> = {
  NOP: ['prepNop'],
  READV: ['prepReadv', 'prepReadv2'],
  WRITEV: ['prepWritev', 'prepWritev2'],
  FSYNC: ['prepFsync'],
  READ_FIXED: ['prepReadFixed'],
  WRITE_FIXED: ['prepWriteFixed'],
  POLL_ADD: ['prepPollAdd', 'prepPollMultishot'],
  POLL_REMOVE: ['prepPollRemove', 'prepPollUpdate'],
  SYNC_FILE_RANGE: ['prepSyncFileRange'],
  SENDMSG: ['prepSendmsg'],
  RECVMSG: ['prepRecvmsg', 'prepRecvmsgMultishot'],
  TIMEOUT: ['prepTimeout'],
  TIMEOUT_REMOVE: ['prepTimeoutRemove', 'prepTimeoutUpdate'],
  ACCEPT: ['prepAccept', 'prepAcceptDirect', 'prepMultishotAccept', 'prepMultishotAcceptDirect'],
  ASYNC_CANCEL: ['prepCancel', 'prepCancel64', 'prepCancelFd'],
  LINK_TIMEOUT: ['prepLinkTimeout'],
  CONNECT: ['prepConnect'],
  FALLOCATE: ['prepFallocate'],
  OPENAT: ['prepOpenat', 'prepOpenatDirect', 'prepOpen', 'prepOpenDirect'],
  CLOSE: ['prepClose', 'prepCloseDirect'],
  FILES_UPDATE: ['prepFilesUpdate'],
  STATX: ['prepStatx'],
  READ: ['prepRead'],
  WRITE: ['prepWrite'],
  FADVISE: ['prepFadvise', 'prepFadvise64'],
  MADVISE: ['prepMadvise', 'prepMadvise64'],
  SEND: ['prepSend', 'prepSendto', 'prepSendBundle', 'prepSendSetAddr'],
  RECV: ['prepRecv', 'prepRecvMultishot'],
  OPENAT2: ['prepOpenat2', 'prepOpenat2Direct'],
  EPOLL_CTL: ['prepEpollCtl'],
  SPLICE: ['prepSplice'],
  PROVIDE_BUFFERS: ['prepProvideBuffers'],
  REMOVE_BUFFERS: ['prepRemoveBuffers'],
  TEE: ['prepTee'],
  SHUTDOWN: ['prepShutdown'],
  RENAMEAT: ['prepRenameat', 'prepRename'],
  UNLINKAT: ['prepUnlinkat', 'prepUnlink'],
  MKDIRAT: ['prepMkdirat', 'prepMkdir'],
  SYMLINKAT: ['prepSymlinkat', 'prepSymlink'],
  LINKAT: ['prepLinkat', 'prepLink'],
  MSG_RING: ['prepMsgRing', 'prepMsgRingCqeFlags', 'prepMsgRingFd', 'prepMsgRingFdAlloc'],
  FSETXATTR: ['prepFsetxattr'],
  SETXATTR: ['prepSetxattr'],
  FGETXATTR: ['prepFgetxattr'],
  GETXATTR: ['prepGetxattr'],
  SOCKET: ['prepSocket', 'prepSocketDirect', 'prepSocketDirectAlloc'],
  URING_CMD: ['prepUringCmd', 'prepCmdSock', 'prepCmdGetsockname', 'prepCmdDiscard', 'prepCmdZoneResetAll'],
  SEND_ZC: ['prepSendZc', 'prepSendZcFixed'],
  SENDMSG_ZC: ['prepSendmsgZc', 'prepSendmsgZcFixed'],
  READ_MULTISHOT: ['prepReadMultishot'],
  WAITID: ['prepWaitid'],
  FUTEX_WAIT: ['prepFutexWait'],
  FUTEX_WAKE: ['prepFutexWake'],
  FUTEX_WAITV: ['prepFutexWaitv'],
  FIXED_FD_INSTALL: ['prepFixedFdInstall'],
  FTRUNCATE: ['prepFtruncate'],
  BIND: ['prepBind'],
  LISTEN: ['prepListen'],
  RECV_ZC: ['prepRecvZc'],
  EPOLL_WAIT: ['prepEpollWait'],
  READV_FIXED: ['prepReadvFixed'],
  WRITEV_FIXED: ['prepWritevFixed'],
  PIPE: ['prepPipe', 'prepPipeDirect'],
  NOP128: ['prepNop128'],
  URING_CMD128: ['prepUringCmd128'],
};

// Opcodes with no encoder yet, each with the reason. Empty when done.
const NOT_YET: Record<string, string> = {};

describe('opcode coverage', () => {
  it('the table names every opcode of the pinned header, and nothing else', () => {
    expect(Object.keys(ENCODERS).sort()).toEqual(OPCODES.map((o) => o.name).filter((n) => !(n in NOT_YET)).sort());
  });

  it.each(OPCODES.filter((o) => !(o.name in NOT_YET)))('IORING_OP_$name has its encoders', ({ name }) => {
    const missing = ENCODERS[name]!.filter((fn) => typeof (tsuring as Record<string, unknown>)[fn] !== 'function');
    expect(missing).toEqual([]);
  });

  it('the base encoder is there too (io_uring_prep_rw)', () => {
    expect(typeof (tsuring as Record<string, unknown>).prepRw).toBe('function');
  });

  it('nothing is left on the not-yet list', () => {
    expect(NOT_YET).toEqual({});
  });
});
