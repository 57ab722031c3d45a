// poll(2) and epoll(7) constants (include/uapi/asm-generic/poll.h,
// include/uapi/linux/eventpoll.h), for POLL_ADD, EPOLL_CTL and EPOLL_WAIT.

// poll(2) event bits, include/uapi/asm-generic/poll.h (x86_64 and arm64 use
// the generic values). The epoll spellings (EPOLLIN, ...) are below;
// io_uring takes either, and the EPOLL-only bits (EPOLLEXCLUSIVE) too.
/** there is data to read */
export const POLLIN = 0x0001;
/** there is urgent data to read */
export const POLLPRI = 0x0002;
/** writing will not block */
export const POLLOUT = 0x0004;
/** an error condition (always reported) */
export const POLLERR = 0x0008;
/** the peer hung up (always reported) */
export const POLLHUP = 0x0010;
/** the fd is not open (always reported) */
export const POLLNVAL = 0x0020;
/** normal data to read */
export const POLLRDNORM = 0x0040;
/** priority-band data to read */
export const POLLRDBAND = 0x0080;
/** normal data can be written */
export const POLLWRNORM = 0x0100;
/** priority-band data can be written */
export const POLLWRBAND = 0x0200;
/** unused on Linux */
export const POLLMSG = 0x0400;
/** the stream peer closed its writing half */
export const POLLRDHUP = 0x2000;

// epoll_ctl(2) operations and event bits, include/uapi/linux/eventpoll.h.
/** epoll_ctl: add an fd to the interest list */
export const EPOLL_CTL_ADD = 1;
/** epoll_ctl: remove an fd from the interest list */
export const EPOLL_CTL_DEL = 2;
/** epoll_ctl: change an fd's events */
export const EPOLL_CTL_MOD = 3;
/** as {@link POLLIN} */
export const EPOLLIN = 0x00000001;
/** as {@link POLLPRI} */
export const EPOLLPRI = 0x00000002;
/** as {@link POLLOUT} */
export const EPOLLOUT = 0x00000004;
/** as {@link POLLERR} */
export const EPOLLERR = 0x00000008;
/** as {@link POLLHUP} */
export const EPOLLHUP = 0x00000010;
/** as {@link POLLNVAL} */
export const EPOLLNVAL = 0x00000020;
/** as {@link POLLRDNORM} */
export const EPOLLRDNORM = 0x00000040;
/** as {@link POLLRDBAND} */
export const EPOLLRDBAND = 0x00000080;
/** as {@link POLLWRNORM} */
export const EPOLLWRNORM = 0x00000100;
/** as {@link POLLWRBAND} */
export const EPOLLWRBAND = 0x00000200;
/** as {@link POLLMSG} */
export const EPOLLMSG = 0x00000400;
/** as {@link POLLRDHUP} */
export const EPOLLRDHUP = 0x00002000;
/** wake one of the waiters on a shared fd, not all */
export const EPOLLEXCLUSIVE = 0x10000000;
/** hold a wakeup source while the event is pending */
export const EPOLLWAKEUP = 0x20000000;
/** report the fd once, then disarm it until EPOLL_CTL_MOD */
export const EPOLLONESHOT = 0x40000000;
/** Bit 31. `EPOLLIN | EPOLLET` is negative in JS; encoders take it as the same 32 bits. */
export const EPOLLET = 0x80000000;
