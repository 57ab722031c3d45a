// A node:stream Duplex over a tsuring/net Socket, for code written against
// streams (node:http's server takes one by `emit('connection', duplex)`).
// Reads pull one chunk at a time and copy it out of the pool (a stream may
// keep what it was pushed); writes and end() are the socket's; the socket's
// addresses and setTimeout/setNoDelay/setKeepAlive are passed through, as
// node:http calls them on the sockets it serves.

import { Duplex } from 'node:stream';
import type { Socket } from './socket.ts';

/** A Duplex that reads, writes and ends `socket`; destroying it destroys the socket. */
export function toDuplex(socket: Socket): Duplex {
  let reading = false;
  const duplex: Duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      if (reading) return;
      reading = true;
      socket.next().then(
        (r) => {
          reading = false;
          // The copy: the chunk's buffer goes back to the pool at the next read.
          if (r.done) duplex.push(null);
          else duplex.push(Buffer.from(r.value)); // the stream asks again while it wants more
        },
        (err: Error) => {
          reading = false;
          duplex.destroy(err);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      socket.writev(chunks.map((c) => c.chunk as Buffer)).then(() => callback(), callback);
    },
    final(callback) {
      socket.end().then(() => callback(), callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  Object.defineProperties(duplex, {
    remoteAddress: { get: () => socket.remoteAddress, enumerable: true },
    remotePort: { get: () => socket.remotePort, enumerable: true },
    remoteFamily: { get: () => socket.remoteFamily, enumerable: true },
    localAddress: { get: () => socket.localAddress, enumerable: true },
    localPort: { get: () => socket.localPort, enumerable: true },
  });
  const d = duplex as Duplex & {
    setTimeout(ms: number, cb?: () => void): Duplex;
    setNoDelay(on?: boolean): Duplex;
    setKeepAlive(on?: boolean, delay?: number): Duplex;
  };
  // node:net's setTimeout: a 'timeout' event after `ms` idle, the socket left open.
  d.setTimeout = (ms, cb) => {
    if (cb !== undefined) duplex.once('timeout', cb);
    socket.setTimeout(ms, () => duplex.emit('timeout'));
    return duplex;
  };
  d.setNoDelay = (on) => (socket.setNoDelay(on), duplex);
  d.setKeepAlive = (on, delay) => (socket.setKeepAlive(on, delay), duplex);
  return duplex;
}
