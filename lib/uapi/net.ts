// Constants and struct layouts of the socket system calls the net encoders
// run (lib/prep/net.ts, sockaddr.ts, msg.ts), under their header names, each
// group naming the UAPI header it comes from. Layouts are x86_64's, and every
// other Linux ABI's: these structs have no padding that varies.

/** AF_UNIX (include/linux/socket.h): local sockets, unix(7). */
export const AF_UNIX = 1;
/** AF_INET (include/linux/socket.h): IPv4, ip(7). */
export const AF_INET = 2;
/** AF_INET6 (include/linux/socket.h): IPv6, ipv6(7). */
export const AF_INET6 = 10;

/**
 * sizeof(struct __kernel_sockaddr_storage) (include/uapi/linux/socket.h):
 * room for any address the kernel hands back.
 */
export const SOCKADDR_STORAGE_SIZE = 128;

/**
 * include/uapi/linux/in.h: struct sockaddr_in.
 * @enum
 */
export const sockaddr_in = Object.freeze({
  sizeof: 16,
  sin_family: 0, // __kernel_sa_family_t (u16, host order)
  sin_port: 2, // __be16
  sin_addr: 4, // struct in_addr (__be32)
  __pad: 8, // zero padding to sizeof(struct sockaddr)
} as const);

/**
 * include/uapi/linux/in6.h: struct sockaddr_in6.
 * @enum
 */
export const sockaddr_in6 = Object.freeze({
  sizeof: 28,
  sin6_family: 0, // u16, host order
  sin6_port: 2, // __be16
  sin6_flowinfo: 4, // __be32
  sin6_addr: 8, // struct in6_addr (16 bytes)
  sin6_scope_id: 24, // __u32, host order
} as const);

/**
 * include/uapi/linux/un.h: struct sockaddr_un (UNIX_PATH_MAX 108).
 * @enum
 */
export const sockaddr_un = Object.freeze({
  sizeof: 110,
  sun_family: 0, // u16, host order
  sun_path: 2, // char[108]
} as const);

/** UNIX_PATH_MAX (include/uapi/linux/un.h): the size of sun_path. */
export const UNIX_PATH_MAX = 108;

// Socket types and flags for prepSocket (include/linux/net.h,
// include/uapi/asm-generic/fcntl.h on x86_64).
/** SOCK_STREAM: a byte stream (TCP, unix stream). */
export const SOCK_STREAM = 1;
/** SOCK_DGRAM: datagrams (UDP, unix datagram). */
export const SOCK_DGRAM = 2;
/** SOCK_SEQPACKET: ordered, reliable datagrams. */
export const SOCK_SEQPACKET = 5;
/** SOCK_NONBLOCK (= O_NONBLOCK), or'ed into a socket type or accept flags. */
export const SOCK_NONBLOCK = 0o4000;
/** SOCK_CLOEXEC (= O_CLOEXEC), or'ed into a socket type or accept flags; refused with direct descriptors. */
export const SOCK_CLOEXEC = 0o2000000;

// shutdown(2) `how` (include/linux/net.h).
/** shutdown: no more receiving */
export const SHUT_RD = 0;
/** shutdown: no more sending (a TCP FIN) */
export const SHUT_WR = 1;
/** shutdown: neither */
export const SHUT_RDWR = 2;

// Protocols (include/uapi/linux/in.h).
/** the TCP protocol number, tcp(7) */
export const IPPROTO_TCP = 6;
/** the UDP protocol number, udp(7) */
export const IPPROTO_UDP = 17;

// Socket options at SOL_SOCKET (include/uapi/asm-generic/socket.h), for the
// GETSOCKOPT / SETSOCKOPT socket commands.
/** the socket's send buffer size, socket(7) */
export const SO_SNDBUF = 7;
/** the socket's receive buffer size, socket(7) */
export const SO_RCVBUF = 8;
/** SO_TIMESTAMP (the 'old' one, struct timeval; x86_64): each datagram carries a receive time. */
export const SO_TIMESTAMP_OLD = 29;
/** SO_RXQ_OVFL: each datagram carries the socket's drop count (a u32 control message). */
export const SO_RXQ_OVFL = 40;

// send/recv flags (include/linux/socket.h).
/** send or receive out-of-band data */
export const MSG_OOB = 0x1;
/** receive without taking the data from the queue */
export const MSG_PEEK = 0x2;
/** send only to directly connected hosts */
export const MSG_DONTROUTE = 0x4;
/** in msg_flags: control data was cut short */
export const MSG_CTRUNC = 0x8;
/** receive: return the real length of a datagram longer than the buffer; in msg_flags: it was cut short */
export const MSG_TRUNC = 0x20;
/** do not block: -EAGAIN instead */
export const MSG_DONTWAIT = 0x40;
/** end of record (SOCK_SEQPACKET) */
export const MSG_EOR = 0x80;
/** receive: wait for the full length (io_uring retries short stream receives with it) */
export const MSG_WAITALL = 0x100;
/** send: the neighbour is reachable (skip ARP probing) */
export const MSG_CONFIRM = 0x800;
/** receive from the socket's error queue (zero-copy notifications, timestamps) */
export const MSG_ERRQUEUE = 0x2000;
/** send: no SIGPIPE on a broken stream, just -EPIPE */
export const MSG_NOSIGNAL = 0x4000;
/** send: more data follows; hold the packet */
export const MSG_MORE = 0x8000;
/** recvmmsg: block for the first message only */
export const MSG_WAITFORONE = 0x10000;
/** send from the buffer without copying (needs SO_ZEROCOPY) */
export const MSG_ZEROCOPY = 0x4000000;
/** send data in the TCP SYN (TCP Fast Open) */
export const MSG_FASTOPEN = 0x20000000;
/** receive: fds arriving by SCM_RIGHTS get close-on-exec */
export const MSG_CMSG_CLOEXEC = 0x40000000;

/** SOL_SOCKET (include/uapi/asm-generic/socket.h): the socket-level protocol of options and control messages. */
export const SOL_SOCKET = 1;
/** SCM_RIGHTS (include/linux/socket.h): a control message carrying file descriptors (unix(7)). */
export const SCM_RIGHTS = 1;
/** SCM_CREDENTIALS (include/linux/socket.h): a control message carrying a struct ucred. */
export const SCM_CREDENTIALS = 2;

// The socket options tsuring/net sets with setsockopt(2): SOL_SOCKET's from
// include/uapi/asm-generic/socket.h, IPPROTO_TCP's from
// include/uapi/linux/tcp.h, IPPROTO_IPV6's from include/uapi/linux/in6.h.
/** SO_REUSEADDR: bind a listening port with connections of a previous one still in TIME_WAIT, socket(7) */
export const SO_REUSEADDR = 2;
/** SO_KEEPALIVE: send TCP keepalive probes on an idle connection, socket(7) */
export const SO_KEEPALIVE = 9;
/** TCP_NODELAY: send small segments at once (no Nagle), tcp(7) */
export const TCP_NODELAY = 1;
/** TCP_KEEPIDLE: seconds of idleness before the first keepalive probe, tcp(7) */
export const TCP_KEEPIDLE = 4;
/** IPPROTO_IPV6 (include/uapi/linux/in6.h): the level of IPv6 socket options */
export const IPPROTO_IPV6 = 41;
/** IPV6_V6ONLY: an AF_INET6 socket takes IPv6 only (0: IPv4-mapped too), ipv6(7) */
export const IPV6_V6ONLY = 26;
