// The fuzzer's tsuring/net phase: a tsuring/net echo server, a client socket
// connected to it and drained in the background, and the socket methods,
// connect(), createServer() and listen() called with hostile and valid
// arguments. The contract:
//  - what returns a promise (write, writev, end, connect, listen, close)
//    never throws, rejects only with an Error, and settles (the echo peer
//    reads, so no write has reason to wait);
//  - what returns at once (setTimeout, setNoDelay, setKeepAlive, destroy,
//    address) throws nothing but a TypeError or RangeError;
//  - no byte is written outside a buffer (the child's canaries), and after
//    the calls a fresh connection still gets its bytes back and the server
//    closes.
// Only loopback addresses and paths under the iteration's directory are
// ever named: no name lookup, nothing outside this machine.

import { AsyncRing } from '../lib/async/async-ring.ts';
import * as net from '../lib/net/index.ts';
import type { Server, Socket } from '../lib/net/index.ts';
import type { FsEnv } from './fs.ts';
import { anything, FuzzSentinel, hostileArray, hostileNumber, lyingView, Rng } from './values.ts';

/** What the child gives the phase: the fs phase's, less the collector. */
export type NetEnv = Omit<FsEnv, 'gc'>;

const TARGETS = ['net.write', 'net.writev', 'net.end', 'net.destroy', 'net.setTimeout', 'net.setNoDelay', 'net.setKeepAlive', 'net.address', 'net.connect', 'net.listen'];

/** The phase's targets that `selected` keeps. */
export function netTargets(selected: (name: string) => boolean): string[] {
  return TARGETS.filter(selected);
}

const HANG_MS = 5000;

// A chunk to send: valid bytes, a string, a view that lies, or anything.
function chunk(r: Rng, e: NetEnv): unknown {
  switch (r.int(6)) {
    case 0: return e.mem.alloc(r.range(0, 4096), 'write chunk');
    case 1: return 'fuzz '.repeat(r.range(0, 50));
    case 2: return lyingView(r, e.mem.alloc(r.range(1, 256), 'lying chunk'), e.mem);
    case 3: return new Uint16Array(r.range(0, 64));
    case 4: return new DataView(new ArrayBuffer(r.range(0, 64)));
    default: return anything(r);
  }
}

const HOSTS = ['127.0.0.1', '::1', '0.0.0.0', 'localhost'];

// connect() and listen() options: ports and backlogs hostile, hosts from the
// loopback list or not strings at all, paths under the directory.
function options(r: Rng, e: NetEnv, port: number): unknown {
  if (r.chance(0.1)) return anything(r);
  const o: Record<string, unknown> = {};
  if (r.chance(0.8)) o.port = r.chance(0.5) ? port : hostileNumber(r);
  if (r.chance(0.7)) o.host = r.chance(0.8) ? r.pick(HOSTS) : hostileNumber(r);
  if (r.chance(0.2)) o.path = r.chance(0.5) ? `${e.dir}/s${r.int(4)}.sock` : hostileNumber(r);
  if (r.chance(0.3)) o.backlog = hostileNumber(r);
  if (r.chance(0.2)) o.timeout = hostileNumber(r);
  if (r.chance(0.2)) o.noDelay = anything(r);
  if (r.chance(0.1)) o.signal = AbortSignal.abort();
  return o;
}

type Outcome = { how: 'value'; value: unknown } | { how: 'error'; error: unknown } | { how: 'throw'; error: unknown } | { how: 'hang' };

async function settle(call: () => unknown): Promise<Outcome> {
  let v: unknown;
  try {
    v = call();
  } catch (error) {
    return { how: 'throw', error };
  }
  if (!(v instanceof Promise)) return { how: 'value', value: v };
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ how: 'hang' }), HANG_MS)));
  const o = await Promise.race([v.then((value) => ({ how: 'value' as const, value }), (error) => ({ how: 'error' as const, error })), hang]);
  clearTimeout(timer);
  return o;
}

/** Runs the phase: one server, one client, `calls` calls drawn from `targets`. */
export async function netPhase(e: NetEnv, targets: string[]): Promise<void> {
  const r = e.rng;
  // A ring of the phase's own, closed at its end: nothing left for the
  // child's fd count. (tsuring/net's own ring would live on for the thread.)
  const io = new AsyncRing();
  const ctx = { ring: io, pool: io.bufferPool({ size: 4096, count: 64 }) };
  const opened: (Socket | Server)[] = [];
  try {
    const server = net.createServerOn(ctx, async (s) => {
      for await (const c of s) await s.write(c);
    });
    opened.push(server);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.address() as net.AddressInfo).port;
    const client = await net.connectOn(ctx, { port, host: '127.0.0.1' });
    opened.push(client);
    const drained = (async () => {
      try {
        for await (const _ of client);
      } catch {
        // destroyed by a call: the calls below go on against a dead socket
      }
    })();
    const calls = r.range(5, 25);
    for (let i = 0; i < calls; i++) {
      const target = r.pick(targets);
      let desc = '';
      let call: () => unknown;
      switch (target) {
        case 'net.write': { const a = chunk(r, e); const enc = r.chance(0.2) ? anything(r) : undefined; desc = `write(${e.show(a)}, ${e.show(enc)})`; call = () => client.write(a as Uint8Array, enc as BufferEncoding); break; }
        case 'net.writev': { const a = hostileArray(r, [chunk(r, e), chunk(r, e)], () => chunk(r, e)); desc = `writev(${e.show(a)})`; call = () => client.writev(a as Uint8Array[]); break; }
        case 'net.end': { const a = r.chance(0.5) ? chunk(r, e) : undefined; desc = `end(${e.show(a)})`; call = () => client.end(a as Uint8Array); break; }
        case 'net.destroy': { const a = r.chance(0.5) ? new Error('fuzz') : anything(r); desc = `destroy(${e.show(a)})`; call = () => client.destroy(a as Error); break; }
        case 'net.setTimeout': { const a = hostileNumber(r); const f = r.chance(0.5) ? anything(r) : undefined; desc = `setTimeout(${e.show(a)}, ${e.show(f)})`; call = () => client.setTimeout(a as number, f as () => void); break; }
        case 'net.setNoDelay': { const a = anything(r); desc = `setNoDelay(${e.show(a)})`; call = () => client.setNoDelay(a as boolean); break; }
        case 'net.setKeepAlive': { const a = anything(r); const b = hostileNumber(r); desc = `setKeepAlive(${e.show(a)}, ${e.show(b)})`; call = () => client.setKeepAlive(a as boolean, b as number); break; }
        case 'net.address': desc = 'address() and the address getters'; call = () => [client.address(), client.remoteAddress, client.remotePort, client.localPort, client.localFamily]; break;
        case 'net.connect': {
          const o = options(r, e, port);
          desc = `connect(${e.show(o)})`;
          call = () => net.connectOn(ctx, o as net.ConnectOptions).then((s) => { opened.push(s); return s.destroy(); });
          break;
        }
        default: {
          const o = options(r, e, 0);
          const handler = r.chance(0.7) ? () => {} : anything(r);
          desc = `createServer(${e.show(handler)}).listen(${e.show(o)})`;
          call = () => {
            // createServer checks its handler at once, as node:net's does: a throw is its answer.
            let s: Server;
            try {
              s = net.createServerOn(ctx, handler as () => void);
            } catch (err) {
              if (err instanceof TypeError) return undefined;
              throw err;
            }
            opened.push(s);
            return s.listen(o as net.ListenOptions);
          };
        }
      }
      e.progress(`${target} ${desc}`);
      const out = await settle(call);
      const sync = target === 'net.destroy' || target === 'net.setTimeout' || target === 'net.setNoDelay' || target === 'net.setKeepAlive' || target === 'net.address';
      if (out.how === 'hang') e.hard('hang', target, desc, `did not settle within ${HANG_MS} ms`);
      if (out.how === 'throw' && !sync) e.soft('throws', target, desc, `threw instead of rejecting: ${e.show(out.error)}`);
      // A setter may throw what the caller's own valueOf or Proxy trap threw
      // (node:net's do too, coercing the same way).
      if (out.how === 'throw' && sync && !(out.error instanceof TypeError || out.error instanceof RangeError || out.error instanceof FuzzSentinel)) e.soft('bad-throw', target, desc, `threw ${e.show(out.error)}, not a TypeError or RangeError`);
      if (out.how === 'error' && !(out.error instanceof Error)) e.soft('bad-reject', target, desc, `rejected with ${e.show(out.error)}, not an Error`);
    }
    // The server still serves: a fresh connection gets its bytes back.
    e.progress('net: echo after the calls');
    const check = await settle(async () => {
      const s = await net.connectOn(ctx, { port, host: '127.0.0.1' });
      opened.push(s);
      await s.write('still here');
      let got = '';
      for await (const c of s) {
        got += c.toString();
        if (got.length >= 10) break;
      }
      s.destroy();
      return got;
    });
    if (check.how !== 'value' || check.value !== 'still here') e.hard('broken', 'net.server', 'an echo after the calls', `got ${check.how === 'value' ? e.show(check.value) : check.how === 'hang' ? 'no answer' : e.show((check as { error: unknown }).error)}`);
    client.destroy();
    await drained;
  } finally {
    e.progress('net: closing');
    for (const o of opened) {
      if ('listen' in o) await settle(() => o.close());
      else o.destroy();
    }
    await settle(() => io.close());
  }
}
