/**
 * tsuring/net on its defaults (this thread's ring of 256 entries, one pool
 * of 1,024 buffers) serving 10,000 concurrent TCP connections: each
 * connection's handler is a `for await` echo loop, and every connection
 * gets its own bytes back, twice (a first line as it connects, then a
 * second line on every connection at once, while all 10,000 are open).
 *
 * As tests/async-load.test.ts: two processes, for RLIMIT_NOFILE (20,000 on
 * the project's machines: 10,000 fds a side); the clients are a node:net
 * child process. Loopback only, bounded in count and time: a stall of 20 s
 * fails it.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from '../lib/net/index.ts';
import {
  IORING_OP_ACCEPT, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SHUTDOWN, IORING_OP_SOCKET,
} from '../lib/uapi/constants.ts';
import { clientOutcome, opcodesMissing, within } from './helpers.ts';

const missing = opcodesMissing(IORING_OP_SOCKET, IORING_OP_BIND, IORING_OP_LISTEN, IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SHUTDOWN);


// The clients: `TOTAL` connections, at most `CONC` connecting at once, each
// sending a line and checking its echo; once every one has, a second line
// on every connection at once; then each ends its side and waits for the
// server's end. Prints progress lines; `ok` when done.
const clientScript = `
const net = require('net');
const port = Number(process.env.LOAD_PORT), total = Number(process.env.LOAD_TOTAL), conc = Number(process.env.LOAD_CONC);
const socks = new Array(total), want = new Array(total), got = new Array(total).fill('');
let started = 0, connecting = 0, connected = 0, round = 1, echoed = 0, ended = 0;
const line = (i) => (round === 1 ? 'first ' : 'second ') + i + ' ' + 'x'.repeat(i % 97) + '\\n';
function check(i) {
  if (got[i].length < want[i].length) return;
  if (got[i] !== want[i]) { console.log('error echo ' + i + ' ' + JSON.stringify(got[i])); process.exit(1); }
  got[i] = '';
  if (++echoed === total) next();
}
function next() {
  console.log('round ' + round + ' ' + echoed);
  echoed = 0;
  if (round === 2) { for (const s of socks) s.end(); return; }
  round = 2;
  for (let i = 0; i < total; i++) { want[i] = line(i); socks[i].write(want[i]); }
}
function open(i) {
  connecting++;
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('connect', () => {
    connecting--; connected++; socks[i] = s;
    want[i] = line(i); s.write(want[i]);
    more();
  });
  s.on('data', (d) => { got[i] += d.toString('latin1'); check(i); });
  s.on('end', () => { if (++ended === total) { console.log('ok'); process.exit(0); } });
  s.on('error', (e) => {
    if (!socks[i] && (e.code === 'EAGAIN' || e.code === 'ECONNREFUSED')) { connecting--; setTimeout(() => open(i), 5); return; }
    console.log('error ' + i + ' ' + e.code); process.exit(1);
  });
}
function more() { while (connecting < conc && started < total) open(started++); }
setInterval(() => console.log('progress ' + connected + ' ' + echoed + ' ' + ended), 500);
more();
`;

describe('tsuring/net', () => {
  const title = 'serves 10,000 concurrent TCP connections on its defaults, each echoed its own bytes, from another process';
  it.skipIf(missing !== '')(missing ? `${title} (skipped: ${missing})` : title, async () => {
    const TOTAL = 10_000;
    let echoed = 0;
    let peak = 0;
    const server = createServer(async (socket) => {
      peak = Math.max(peak, server.connections);
      for await (const chunk of socket) {
        await socket.write(chunk);
        echoed += chunk.length;
      }
      await socket.end();
    });
    await server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    const child = spawn(process.execPath, ['-e', clientScript], {
      env: { ...process.env, LOAD_PORT: String((server.address() as AddressInfo).port), LOAD_TOTAL: String(TOTAL), LOAD_CONC: '256' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    try {
      const finished = clientOutcome(child, lines, () => `the server has ${server.connections} connections`);
      expect(await within(finished, 150_000, 'the clients')).toBe('ok');
    } finally {
      child.kill('SIGKILL');
    }
    expect(lines.filter((x) => x.startsWith('round'))).toEqual([`round 1 ${TOTAL}`, `round 2 ${TOTAL}`]);
    const line = (i: number, w: string) => `${w} ${i} ${'x'.repeat(i % 97)}\n`.length;
    expect(echoed).toBe(Array.from({ length: TOTAL }, (_, i) => line(i, 'first') + line(i, 'second')).reduce((a, b) => a + b, 0));
    expect(peak).toBe(TOTAL); // all of them open at once
    await within(server.close(), 60_000, 'close()');
    expect(server.connections).toBe(0);
  }, 240_000);
});
