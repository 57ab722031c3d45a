// Every encoder, one file per concept.
export { prepRw, prepRwBuffer, prepNop, prepRead, prepWrite, prepReadv, prepWritev, prepFsync, makeIovecs } from './rw.ts';
export { prepTimeout, prepTimeoutRemove, prepTimeoutUpdate, prepLinkTimeout } from './timeout.ts';
export { cString } from './path.ts';
export * from './fs.ts';
export * from './open.ts';
export * from './xattr.ts';
export * from './splice.ts';
export * from './socket.ts';
export * from './send-recv.ts';
export * from './msg.ts';
export * from './sockaddr.ts';
export * from './poll.ts';
export * from './cancel.ts';
export * from './msg-ring.ts';
export * from './futex.ts';
export * from './waitid.ts';
export * from './epoll.ts';
export * from './cmd.ts';
export * from './buffers.ts';
export {
  sqeSetFlags, sqeSetData, sqeSetBufGroup, cqeGetData, cqeGetData64, cqeBufferId, cqeHasMore, cqeSockNonempty, cqeIsNotif, cqeBufMore,
  type CqeFlags,
} from './sqe-cqe.ts';
