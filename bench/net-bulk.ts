// Bulk sends over loopback TCP: is a zero-copy send (IORING_OP_SEND_ZC)
// worth it for tsuring/net's large writes? One connection to a sink in a
// child process that reads and drops everything (node:net, on CPU 0); this
// process sends on CPU 1, `--size` bytes a write from one buffer, and the
// modes take turns for `--rounds` rounds of `--seconds` each. Prints, per
// mode, the median MiB/s and this process's CPU time per MiB sent, and each
// mode's ratio to `send`.
//
//   npx tsx bench/net-bulk.ts [--size 1048576] [--depth 4] [--seconds 2] [--rounds 3] [--modes send,sendZc,tsuring,node]
//
// send and sendZc: AsyncRing's send() and sendZc() on the socket's fd, one
// at a time, with MSG_WAITALL (the kernel sends the rest of a short send
// itself). tsuring: tsuring/net's socket.write() from `--depth` loops at
// once; node: node:net's socket.write(), waiting for 'drain' when it says to.
//
// Here (Linux 6.18, loopback): sendZc ran at 0.43x send's throughput with
// 1 MiB writes, 0.23x with 64 KiB and 0.10x with 16 KiB, at 2.2-5.3x the CPU
// per MiB: loopback delivery copies the pages anyway, and each send adds a
// notification and page pinning. So tsuring/net doesn't use it.

import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect as nodeConnect, type Socket as NodeSocket } from 'node:net';
import { parseArgs } from 'node:util';
import { AsyncRing } from '../lib/index.ts';
import { connect as tsConnect } from '../lib/net/index.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(1 << 20) },
    depth: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'send,sendZc,tsuring,node' },
  },
});
const size = Number(values.size);
const depth = Number(values.depth);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const modes = values.modes!.split(',');

try {
  execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
} catch {
  // no taskset: unpinned
}

const SINK = `
const net = require('node:net');
const server = net.createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const sink = spawn('taskset', ['-c', '0', process.execPath, '-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(sink.stdout!, 'data')) as [Buffer];
const port = Number(line.toString().trim());

const buf = Buffer.alloc(size, 0x61);
const MSG_WAITALL = 0x100;
const io = new AsyncRing();

// A node:net connection whose fd the ring sends on; node never reads it.
async function nodeSocket(): Promise<{ s: NodeSocket; fd: number }> {
  const s = nodeConnect({ port, host: '127.0.0.1' });
  await once(s, 'connect');
  s.pause();
  return { s, fd: (s as unknown as { _handle: { fd: number } })._handle.fd };
}

async function timed(run: (until: number) => Promise<number>): Promise<{ mibps: number; cpuMsPerMiB: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await run(t0 + seconds * 1000);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mib = bytes / 2 ** 20;
  return { mibps: mib / (ms / 1000), cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / mib };
}

async function ringMode(zc: boolean): Promise<{ mibps: number; cpuMsPerMiB: number }> {
  const { s, fd } = await nodeSocket();
  try {
    return await timed(async (until) => {
      let bytes = 0;
      const lane = async (): Promise<void> => {
        while (performance.now() < until) bytes += zc ? await io.sendZc(fd, buf, MSG_WAITALL) : await io.send(fd, buf, MSG_WAITALL);
      };
      await lane();
      return bytes;
    });
  } finally {
    s.destroy();
  }
}

async function tsuringMode(): Promise<{ mibps: number; cpuMsPerMiB: number }> {
  const s = await tsConnect({ port, host: '127.0.0.1' });
  try {
    return await timed(async (until) => {
      let bytes = 0;
      const lane = async (): Promise<void> => {
        while (performance.now() < until) {
          await s.write(buf);
          bytes += size;
        }
      };
      await Promise.all(Array.from({ length: depth }, lane));
      return bytes;
    });
  } finally {
    s.destroy();
  }
}

async function nodeMode(): Promise<{ mibps: number; cpuMsPerMiB: number }> {
  const s = nodeConnect({ port, host: '127.0.0.1' });
  await once(s, 'connect');
  try {
    return await timed(async (until) => {
      let bytes = 0;
      while (performance.now() < until) {
        bytes += size;
        if (!s.write(buf)) await once(s, 'drain');
      }
      return bytes;
    });
  } finally {
    s.destroy();
  }
}

const run: Record<string, () => Promise<{ mibps: number; cpuMsPerMiB: number }>> = {
  send: () => ringMode(false),
  sendZc: () => ringMode(true),
  tsuring: tsuringMode,
  node: nodeMode,
};
const results = new Map<string, { mibps: number[]; cpu: number[] }>(modes.map((m) => [m, { mibps: [], cpu: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const m of r % 2 ? [...modes].reverse() : modes) {
    const x = await run[m]!();
    results.get(m)!.mibps.push(x.mibps);
    results.get(m)!.cpu.push(x.cpuMsPerMiB);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const base = results.get('send') ?? results.get(modes[0]!)!;
console.log(`size ${size}, depth ${depth}, ${rounds} rounds of ${seconds} s`);
for (const [m, x] of results) {
  console.log(
    `${m.padEnd(8)} ${median(x.mibps).toFixed(0).padStart(6)} MiB/s  ${median(x.cpu).toFixed(3)} ms CPU/MiB  ` +
    `x${(median(x.mibps) / median(base.mibps)).toFixed(2)} throughput, x${(median(x.cpu) / median(base.cpu)).toFixed(2)} CPU of ${base === results.get('send') ? 'send' : modes[0]}`,
  );
}
await io.close();
sink.kill();
