// A connected stream socket on the ring: an async iterable of the chunks it
// receives (one recvMultishot into the context's shared BufferPool, started
// at the first read), writes that settle once the kernel has taken every
// byte (one send at a time, looping on short sends), end() as
// shutdown(SHUT_WR), and destroy().
//
// When the fd is closed: once reading has ended (end of stream, the reader
// left its loop, or an error) and end() has shut the writing side; or at
// destroy(), once the kernel has let go of what was in flight (the receive
// is cancelled, a send in flight is woken by shutdown(SHUT_RDWR)); so no
// operation ever names an fd number that may have been reused.

import type { Duplex } from 'node:stream';
import type { Chunk } from '../async/async-ring.ts';
import * as ffi from '../../ffi/index.ts';
import { invalidArgType, outOfRange } from '../fs/errors.ts';
import {
  IPPROTO_TCP, MSG_NOSIGNAL, SHUT_RDWR, SHUT_WR, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_NODELAY,
} from '../uapi/net.ts';
import { ERRNO } from '../errno.ts';
import { byteLengthOf, bytesOf, isUint8View, snapshotList } from '../ring/memory.ts';
import { socketName, type AddressInfo } from './address.ts';
import { abortError, codeError, errnoError, errnoOf, idleError } from './errors.ts';
import { MAX_QUEUED, type NetContext } from './ring.ts';
import { toDuplex } from './duplex.ts';

const { ENOTCONN } = ERRNO;

/** Options of a socket, from connect() or a server's for the sockets it accepts. */
export interface SocketOptions {
  /** TCP_NODELAY: send small writes at once (default false, as node:net). */
  noDelay?: boolean;
  /** SO_KEEPALIVE (default false). */
  keepAlive?: boolean;
  /** Milliseconds of idleness before the first keepalive probe (TCP_KEEPIDLE, rounded down to seconds; 0 leaves the system's). */
  keepAliveInitialDelay?: number;
  /** An idle timeout in ms, as setTimeout(ms): no bytes in or out for that long destroys the socket. 0 (default) for none. */
  timeout?: number;
  /** Destroys the socket (and rejects connect()) with an AbortError when it fires. */
  signal?: AbortSignal;
}

// A write waiting for the kernel, or the shutdown of end() (data null).
interface PendingWrite {
  // The caller's view as it came (its length read from the engine's slots
  // into `length`), a pool buffer (for a lent chunk), or writev's list.
  data: ArrayBufferView | Uint8Array[] | null;
  // The received chunk this write sends from, if it is one (see Lent).
  lent: Lent | null;
  // Bytes in all, and sent so far.
  length: number;
  sent: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

// A received chunk written back as it came (`socket.write(chunk)`): sent
// from its provided buffer, with no copy, and kept out of the kernel's
// reach (not recycled) until every write naming it is done, even if the
// reader steps past it meanwhile.
interface Lent {
  chunk: Chunk;
  // The Buffer next() handed out for it: what a later write names.
  buf: Buffer;
  writes: number;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true }) as IteratorResult<never>;
const noop = (): void => {};
// sendmsg takes at most IOV_MAX (1024, include/uapi/linux/uio.h UIO_MAXIOV) buffers.
const IOV_MAX = 1024;
const keepInt = new Int32Array(1);

/**
 * A connected TCP or Unix stream socket. `for await (const chunk of socket)`
 * reads: each chunk is a Buffer over a provided buffer, valid until the loop
 * takes the next (copy what must live longer); the loop ends at end of
 * stream, and leaving it early stops reading. One reader at a time.
 */
export class Socket implements AsyncIterableIterator<Buffer> {
  /** Bytes received so far. */
  bytesRead = 0;
  /** Bytes the kernel has taken from write(), writev() and end() so far. */
  bytesWritten = 0;
  /** Settles once the socket's fd is closed. */
  readonly closed: Promise<void>;

  /** @internal toDuplex() took the socket over: an async handler's end doesn't end it. */
  handedOver = false;

  private readonly ctx: NetContext;
  private fdNumber: number;
  private recv: AsyncIterableIterator<Chunk> | null = null;
  // Resolves once a cancelled receive has ended in the kernel.
  private recvStop: Promise<unknown> | null = null;
  // destroy()'s shutdown(SHUT_RDWR), settled once the kernel has run it.
  private shutStop: Promise<unknown> | null = null;
  private held: Chunk | null = null;
  // The Buffer next() handed out for `held`.
  private heldBuf: Buffer | null = null;
  private readonly lent: Lent[] = [];
  private readEnded = false;
  private readonly writes: PendingWrite[] = [];
  private sending = false;
  private ending = false;
  private writeEnded = false;
  private isDestroyed = false;
  private error: unknown = null;

  /** @internal Whether `err` is what this socket's own I/O failed with (a reset, a broken pipe, the idle timeout). */
  failedWith(err: unknown): boolean {
    return err !== null && err === this.error;
  }
  private closing = false;
  private resolveClosed!: () => void;
  private timer: NodeJS.Timeout | null = null;
  private timeoutMs = 0;
  private onTimeout: (() => void) | null = null;
  private signal: AbortSignal | null = null;
  private local: AddressInfo | string | null | undefined = undefined;
  private remote: AddressInfo | string | null | undefined = undefined;

  /** @internal made by connect() and Server; `fd` is a connected stream socket this Socket now owns. */
  constructor(ctx: NetContext, fd: number, options?: SocketOptions) {
    this.ctx = ctx;
    this.fdNumber = fd;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    if (options !== undefined) {
      if (options.noDelay) this.setNoDelay(true);
      if (options.keepAlive) this.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
      if (options.timeout) this.setTimeout(options.timeout);
      const signal = options.signal;
      if (signal !== undefined) {
        if (signal.aborted) this.destroy(abortError(signal));
        else {
          this.signal = signal;
          signal.addEventListener('abort', this.onAbort, { once: true });
        }
      }
    }
  }

  /** The socket's fd, -1 once closed. */
  get fd(): number {
    return this.fdNumber;
  }

  // ------------------------------------------------------------- reading

  /** The next chunk received (what `for await` calls): steps past the one before, which goes back to the pool. */
  next(): Promise<IteratorResult<Buffer>> {
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.heldBuf = null;
      held.release();
    }
    if (this.readEnded) return this.error !== null && this.isDestroyed ? Promise.reject(this.error) : Promise.resolve(DONE);
    if (this.recv === null) this.recv = this.ctx.ring.recvMultishot(this.fdNumber, 0, { pool: this.ctx.pool, maxQueued: MAX_QUEUED });
    return this.recv.next().then(this.onRead, this.onReadError);
  }

  private readonly onRead = (r: IteratorResult<Chunk>): IteratorResult<Buffer> => {
    if (r.done) {
      if (this.isDestroyed) {
        if (this.error !== null) throw this.error;
        return DONE;
      }
      // End of stream.
      this.recv = null;
      this.readEnded = true;
      this.maybeClose();
      return DONE;
    }
    const chunk = r.value;
    if (this.isDestroyed) {
      chunk.release();
      if (this.error !== null) throw this.error;
      return DONE;
    }
    this.held = chunk;
    const d = chunk.data;
    this.bytesRead += d.byteLength;
    if (this.timer !== null) this.timer.refresh();
    const buf = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    this.heldBuf = buf;
    return { value: buf, done: false };
  };

  private readonly onReadError = (err: unknown): never => {
    this.recv = null;
    if (this.isDestroyed && this.error !== null) throw this.error;
    const errno = errnoOf(err);
    const e = errno !== 0 ? errnoError(errno, 'read') : err;
    this.readEnded = true;
    this.destroy(e as Error);
    throw e;
  };

  /** Leaves the read loop (what `break` calls): reading stops; the chunk held goes back to the pool. */
  return(): Promise<IteratorResult<Buffer>> {
    const held = this.held;
    if (held !== null) {
      this.held = null;
      this.heldBuf = null;
      held.release();
    }
    if (!this.readEnded) {
      this.readEnded = true;
      this.stopReading();
      this.maybeClose();
    }
    return Promise.resolve(DONE);
  }

  /** The socket itself: `for await (const chunk of socket)`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  // Cancels the receive in the kernel; recvStop settles once it has ended.
  private stopReading(): void {
    const r = this.recv;
    if (r === null) return;
    this.recv = null;
    this.recvStop = r.return!().then(noop, noop);
  }

  // ------------------------------------------------------------- writing

  /**
   * Sends `data` (a string in `encoding`, utf8 by default); settles once the
   * kernel has taken every byte (several sends when it takes fewer). Writes
   * go out in call order. To a peer that doesn't read, it stays pending:
   * nothing is buffered here beyond the caller's own memory, which must not
   * change until then. A chunk this socket's reader holds, written back as
   * it came, goes out from its provided buffer with no copy, and stays this
   * write's (not recycled) until the write is done, even if the reader
   * steps past it before.
   */
  write(data: Uint8Array | ArrayBufferView | string, encoding?: BufferEncoding): Promise<void> {
    if (typeof data !== 'string' && this.heldBuf !== null && data === this.heldBuf) return this.writeHeld();
    if (this.lent.length > 0 && typeof data !== 'string') {
      const l = this.lent.find((x) => x.buf === data);
      if (l !== undefined) return this.queueLent(l);
    }
    let length: number;
    // A view's length is read from the engine's slots (byteLengthOf), and
    // each send checks it again: a subclass or an own property lying about
    // it would otherwise have the loop below send what isn't there, for
    // ever. Rejects, never throws (a detached buffer, a revoked Proxy).
    try {
      if (typeof data === 'string') data = Buffer.from(data, encoding ?? 'utf8');
      else if (!ArrayBuffer.isView(data)) return Promise.reject(invalidArgType('chunk', 'of type string or an instance of Buffer, TypedArray, or DataView', data));
      length = byteLengthOf(data);
      if (length === 0) bytesOf(data); // throws for a detached view
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue(data, length, null);
  }

  // write() of the chunk the reader holds: lent to the write, not copied.
  private writeHeld(): Promise<void> {
    const chunk = this.held!;
    const l: Lent = { chunk, buf: this.heldBuf!, writes: 0 };
    this.held = null;
    this.heldBuf = null;
    this.lent.push(l);
    return this.queueLent(l);
  }

  private queueLent(l: Lent): Promise<void> {
    l.writes++;
    const refused = this.ending || this.isDestroyed; // queue() rejects it at once
    const p = this.queue(l.chunk.whole!, l.chunk.data.byteLength, l);
    if (refused) this.unlend(l);
    return p;
  }

  // One write naming `l` is done: the last one hands its buffer back.
  private unlend(l: Lent): void {
    if (--l.writes > 0) return;
    const i = this.lent.indexOf(l);
    if (i >= 0) this.lent.splice(i, 1);
    l.chunk.release();
  }

  /** Sends several buffers as one sendmsg(2) (more where the kernel takes fewer bytes); settles as write(). */
  writev(chunks: readonly (Uint8Array | string)[]): Promise<void> {
    const bufs: Uint8Array[] = [];
    let length = 0;
    try {
      // Array.isArray throws for a revoked Proxy; the error's text, for one whose traps throw.
      if (!Array.isArray(chunks)) return Promise.reject(invalidArgType('chunks', 'an instance of Array', chunks));
      // The array read once (it may be a Proxy, or change later), each view
      // through the engine's slots, as write() reads one.
      for (const c of snapshotList(chunks, 'chunks')) {
        const b = typeof c === 'string' ? Buffer.from(c) : isUint8View(c) ? bytesOf(c) : null;
        if (b === null) return Promise.reject(invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', c));
        bufs.push(b);
        length += b.byteLength;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue(bufs.length > IOV_MAX ? Buffer.concat(bufs) : bufs, length, null);
  }

  /**
   * Half-closes: once the writes before it are out (after writing `data`,
   * if given), shutdown(SHUT_WR) sends the peer end of stream. Reading goes
   * on. A second call returns the first's promise.
   */
  end(data?: Uint8Array | string, encoding?: BufferEncoding): Promise<void> {
    if (this.ending) return this.endPromise!;
    const written = data === undefined ? undefined : this.write(data, encoding);
    // end() rejects with the same error, or reports its own.
    if (written !== undefined) written.catch(noop);
    if (this.isDestroyed) return Promise.reject(codeError('ERR_STREAM_DESTROYED', 'Cannot call end after a stream was destroyed'));
    this.ending = true;
    this.endPromise = new Promise<void>((resolve, reject) => {
      this.writes.push({ data: null, lent: null, length: 0, sent: 0, resolve, reject });
      if (!this.sending) this.pump();
    });
    return this.endPromise;
  }

  private endPromise: Promise<void> | null = null;

  private queue(data: ArrayBufferView | Uint8Array[], length: number, lent: Lent | null): Promise<void> {
    // Node's order (lib/internal/streams/writable.js): after end() first.
    if (this.ending) return Promise.reject(codeError('ERR_STREAM_WRITE_AFTER_END', 'write after end'));
    if (this.isDestroyed) return Promise.reject(codeError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
    return new Promise<void>((resolve, reject) => {
      this.writes.push({ data, lent, length, sent: 0, resolve, reject });
      if (!this.sending) this.pump();
    });
  }

  // Starts the first waiting write (one at a time: two sends in flight on a
  // stream socket could each go out in part, interleaved).
  private pump(): void {
    const w = this.writes[0];
    if (w === undefined || this.sending || this.isDestroyed) return;
    this.sending = true;
    const { ring } = this.ctx;
    let p: Promise<unknown>;
    const data = w.data;
    if (data === null) p = ring.shutdown(this.fdNumber, SHUT_WR);
    else if (Array.isArray(data)) p = ring.sendmsg(this.fdNumber, { iov: w.sent === 0 ? data : rest(data, w.sent) }, MSG_NOSIGNAL);
    else {
      // The rest of the bytes, named by length: send() checks that the view
      // (caller's, or a pool buffer) still holds them. A view seen before
      // goes out at its cached address; the rest of a short send, through
      // a view made from its slots.
      let view: ArrayBufferView;
      try {
        view = w.sent === 0 ? data : bytesOf(data, 'chunk', w.sent);
      } catch (err) {
        process.nextTick(this.onSendDone, err, 0);
        return;
      }
      // A callback, not a promise: two promises and two microtask turns
      // fewer a write.
      ring.sendWith(this.fdNumber, view, MSG_NOSIGNAL, w.length - w.sent, this.onSendDone);
      return;
    }
    p.then(this.onSent, this.onSendError);
  }

  private readonly onSendDone = (err: unknown, n: number): void => {
    if (err === null) this.onSent(n);
    else this.onSendError(err);
  };

  private readonly onSent = (res: unknown): void => {
    this.sending = false;
    const w = this.writes[0]!;
    if (w.data === null) {
      this.writes.shift();
      this.writeEnded = true;
      w.resolve();
      this.maybeClose();
      return;
    }
    const n = res as number;
    this.bytesWritten += n;
    w.sent += n;
    if (this.timer !== null) this.timer.refresh();
    if (w.sent >= w.length) {
      this.writes.shift();
      if (w.lent !== null) this.unlend(w.lent);
      w.resolve();
    }
    if (this.isDestroyed) this.finishDestroy();
    else this.pump();
  };

  private readonly onSendError = (err: unknown): void => {
    this.sending = false;
    const w = this.writes[0]!;
    const errno = errnoOf(err);
    if (this.isDestroyed) {
      this.finishDestroy();
      return;
    }
    if (w.data === null && errno === -ENOTCONN) {
      // The peer is gone already: nothing left to shut.
      this.onSent(0);
      return;
    }
    const e = errno !== 0 ? errnoError(errno, w.data === null ? 'shutdown' : 'write') : err;
    this.destroy(e as Error);
  };

  // ------------------------------------------------------------- closing

  /**
   * Closes the socket now: the receive is cancelled (a pending read ends, or
   * throws `err`), writes not yet taken by the kernel reject (with `err`, or
   * ERR_STREAM_DESTROYED), and the fd is closed once the kernel has let go.
   */
  destroy(err?: Error): this {
    if (this.isDestroyed) return this;
    this.isDestroyed = true;
    if (err !== undefined && err !== null) this.error = err;
    this.clearTimer();
    this.readEnded = true;
    this.stopReading();
    // A send waiting for room would wait for the peer: shutdown wakes it with EPIPE.
    if (this.sending && this.fdNumber >= 0) this.shutStop = this.ctx.ring.shutdown(this.fdNumber, SHUT_RDWR).then(noop, noop);
    this.finishDestroy();
    return this;
  }

  // Once no send is in flight: every write left rejects, and the fd goes.
  private finishDestroy(): void {
    if (this.sending) return;
    const e = this.error ?? codeError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed');
    for (const w of this.writes.splice(0)) {
      if (w.lent !== null) this.unlend(w.lent);
      w.reject(e);
    }
    this.closeFd();
  }

  private maybeClose(): void {
    if (this.readEnded && this.writeEnded && !this.sending && this.writes.length === 0) {
      this.isDestroyed = true;
      this.clearTimer();
      this.closeFd();
    }
  }

  private closeFd(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.signal !== null) this.signal.removeEventListener('abort', this.onAbort);
    this.signal = null;
    const fd = this.fdNumber;
    const done = (): void => {
      this.fdNumber = -1;
      this.resolveClosed();
    };
    const close = (): Promise<void> => this.ctx.ring.closeFd(fd).then(done, done);
    // Closed only once nothing the kernel may still look up by the fd's
    // number is left: the receive, and destroy()'s shutdown. The kernel
    // runs a shutdown on an io-wq worker and finds its file by the number
    // there, so a close before it let it shut down whatever socket had
    // taken the number since (the fuzzer's net phase, under load: a new
    // connection's first write failed with EPIPE).
    if (this.recvStop !== null || this.shutStop !== null) Promise.all([this.recvStop, this.shutStop]).then(close);
    else close();
  }

  /** True once destroy() was called or the socket has closed after end() and end of stream. */
  get destroyed(): boolean {
    return this.isDestroyed;
  }

  /** True once end() was called. */
  get writableEnded(): boolean {
    return this.ending;
  }

  /** True once reading has ended (end of stream, the loop left, an error or destroy()). */
  get readableEnded(): boolean {
    return this.readEnded;
  }

  private readonly onAbort = (): void => {
    if (this.signal !== null) this.destroy(abortError(this.signal));
  };

  // ------------------------------------------------------------- options

  /**
   * An idle timeout: after `ms` with no bytes received or sent, `callback`
   * runs (again after the next activity and another `ms`), or, without one,
   * the socket is destroyed with an error whose code is ETIMEDOUT. 0 turns it off.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw outOfRange('msecs', 'a non-negative finite number', ms);
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    this.clearTimer();
    this.timeoutMs = ms;
    this.onTimeout = callback ?? null;
    if (ms > 0 && !this.isDestroyed) {
      this.timer = setTimeout(this.fire, ms);
      this.timer.unref();
    }
    return this;
  }

  private readonly fire = (): void => {
    if (this.isDestroyed) return;
    if (this.onTimeout !== null) this.onTimeout();
    else this.destroy(idleError(this.timeoutMs));
  };

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** TCP_NODELAY on (default) or off; nothing on a Unix socket. */
  setNoDelay(noDelay = true): this {
    if (this.isTcp()) setInt(this.fdNumber, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0);
    return this;
  }

  /** SO_KEEPALIVE on or off, and with `initialDelay` (ms) TCP_KEEPIDLE; nothing on a Unix socket. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (!this.isTcp()) return this;
    setInt(this.fdNumber, SOL_SOCKET, SO_KEEPALIVE, enable ? 1 : 0);
    const secs = Math.floor(initialDelay / 1000);
    if (enable && secs > 0) setInt(this.fdNumber, IPPROTO_TCP, TCP_KEEPIDLE, secs);
    return this;
  }

  private isTcp(): boolean {
    return this.inet(false) !== null;
  }

  // ------------------------------------------------------------- addresses

  private localInfo(): AddressInfo | string | null {
    if (this.local === undefined || this.local === null) this.local = socketName(this.fdNumber, false);
    return this.local;
  }

  private remoteInfo(): AddressInfo | string | null {
    if (this.remote === undefined || this.remote === null) this.remote = socketName(this.fdNumber, true);
    return this.remote;
  }

  // The peer's (or this end's) IP address and port; null for a Unix socket or once closed.
  private inet(peer: boolean): AddressInfo | null {
    const a = peer ? this.remoteInfo() : this.localInfo();
    return typeof a === 'object' ? a : null;
  }

  /** node:net's socket.address(): `{ address, family, port }` of this end; `{}` for a Unix socket or once closed. */
  address(): AddressInfo | Record<string, never> {
    const a = this.inet(false);
    return a !== null ? { ...a } : {};
  }

  /** The peer's IP address (undefined for a Unix socket). */
  get remoteAddress(): string | undefined {
    return this.inet(true)?.address;
  }

  /** The peer's port (undefined for a Unix socket). */
  get remotePort(): number | undefined {
    return this.inet(true)?.port;
  }

  /** 'IPv4' or 'IPv6' (undefined for a Unix socket). */
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.inet(true)?.family;
  }

  /** This end's IP address (undefined for a Unix socket). */
  get localAddress(): string | undefined {
    return this.inet(false)?.address;
  }

  /** This end's port (undefined for a Unix socket). */
  get localPort(): number | undefined {
    return this.inet(false)?.port;
  }

  /** 'IPv4' or 'IPv6' (undefined for a Unix socket). */
  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.inet(false)?.family;
  }

  /**
   * A node:stream Duplex over this socket, for code that wants one
   * (`httpServer.emit('connection', socket.toDuplex())`). Each chunk is
   * copied out of the pool; the Duplex owns the socket from then on (don't
   * read it yourself as well).
   */
  toDuplex(): Duplex {
    this.handedOver = true;
    return toDuplex(this);
  }
}

// What is left of `bufs` after the first `sent` bytes.
function rest(bufs: Uint8Array[], sent: number): Uint8Array[] {
  let i = 0;
  while (i < bufs.length && sent >= bufs[i]!.byteLength) sent -= bufs[i++]!.byteLength;
  const out = bufs.slice(i);
  if (out.length > 0 && sent > 0) out[0] = out[0]!.subarray(sent);
  return out;
}

// setsockopt of an int; a failure (the fd closed meanwhile) is ignored, as node:net ignores it.
function setInt(fd: number, level: number, name: number, value: number): void {
  if (fd < 0) return;
  keepInt[0] = value;
  ffi.setsockopt(fd, level, name, keepInt);
}
