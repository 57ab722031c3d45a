// poll(2) and epoll(7) constants (include/uapi/asm-generic/poll.h,
// include/uapi/linux/eventpoll.h), for POLL_ADD, EPOLL_CTL and EPOLL_WAIT.

// poll(2) event bits, include/uapi/asm-generic/poll.h (x86_64 and arm64 use
// the generic values). The epoll spellings (EPOLLIN, ...) are below;
// io_uring takes either, and the EPOLL-only bits (EPOLLEXCLUSIVE) too.
export const POLLIN = 0x0001;
export const POLLPRI = 0x0002;
export const POLLOUT = 0x0004;
export const POLLERR = 0x0008;
export const POLLHUP = 0x0010;
export const POLLNVAL = 0x0020;
export const POLLRDNORM = 0x0040;
export const POLLRDBAND = 0x0080;
export const POLLWRNORM = 0x0100;
export const POLLWRBAND = 0x0200;
export const POLLMSG = 0x0400;
export const POLLRDHUP = 0x2000;

// epoll_ctl(2) operations and event bits, include/uapi/linux/eventpoll.h.
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x00000001;
export const EPOLLPRI = 0x00000002;
export const EPOLLOUT = 0x00000004;
export const EPOLLERR = 0x00000008;
export const EPOLLHUP = 0x00000010;
export const EPOLLNVAL = 0x00000020;
export const EPOLLRDNORM = 0x00000040;
export const EPOLLRDBAND = 0x00000080;
export const EPOLLWRNORM = 0x00000100;
export const EPOLLWRBAND = 0x00000200;
export const EPOLLMSG = 0x00000400;
export const EPOLLRDHUP = 0x00002000;
export const EPOLLEXCLUSIVE = 0x10000000;
export const EPOLLWAKEUP = 0x20000000;
export const EPOLLONESHOT = 0x40000000;
/** Bit 31. `EPOLLIN | EPOLLET` is negative in JS; encoders take it as the same 32 bits. */
export const EPOLLET = 0x80000000;
