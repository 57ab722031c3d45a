// Request/response throughput of a TCP server, driven by the C load
// generator of ../shared/anchors (loadgen: closed loop, each connection
// sends a request and waits for the whole answer). The server runs on CPU 1
// and loadgen on CPU 0 (taskset), so neither steals the other's CPU.
// Prints `cpu_ns_per_req N` (the server's user and system CPU time over the
// measured requests, from /proc), `server_peak_rss_kib N` (its VmHWM) and,
// last, `rps N`.
//
//   npx tsx bench/net.ts --server tsuring|node|tsuring-http|node-http|bun|raw [--conns 100] [--size 64] [--seconds 3]
//                        [--loadgen PATH] [--bun PATH]
//
// tsuring: a tsuring/net echo server; node: node:net echo; tsuring-http:
// examples/17-http.ts, an HTTP/1.1 responder on tsuring/net; node-http:
// node:http answering "hello" (both with loadgen -m http); bun: Bun.listen
// echo, under the Bun binary at --bun (the npm package @oven/bun-linux-x64
// has one); raw: the raw ring in a blocking loop, the ceiling for
// JavaScript here. The servers are bench/net-server.ts and the example.

import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'node' },
    conns: { type: 'string', default: '100' },
    size: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    loadgen: { type: 'string' },
    bun: { type: 'string', default: process.env.BUN ?? '/tmp/bun/package/bin/bun' },
  },
});
const server = values.server!;
const http = server.endsWith('-http');

function loadgenPath(): string {
  if (values.loadgen) return values.loadgen;
  const build = resolve(root, '../shared/anchors/build.sh');
  if (!existsSync(build)) throw new Error('no loadgen: pass --loadgen PATH (../shared/anchors/loadgen.c)');
  return join(execFileSync('bash', [build], { encoding: 'utf8' }).trim().split('\n').pop()!, 'loadgen');
}

// The server's command: TypeScript under tsx from a checkout, JavaScript
// from an installed package's dist/; Bun runs the TypeScript itself.
function serverCommand(): string[] {
  const compiled = fileURLToPath(import.meta.url).endsWith('.js');
  const ext = compiled ? 'js' : 'ts';
  if (server === 'tsuring-http') {
    const example = join(root, `examples/17-http.${ext}`);
    return compiled ? [process.execPath, example, '0'] : [process.execPath, '--import', 'tsx', example, '0'];
  }
  const file = join(here, `net-server.${ext}`);
  if (server === 'bun') {
    if (!existsSync(values.bun!)) throw new Error(`no Bun at ${values.bun} (npm pack @oven/bun-linux-x64; pass --bun PATH)`);
    return [values.bun!, file, server];
  }
  return compiled ? [process.execPath, file, server] : [process.execPath, '--import', 'tsx', file, server];
}

// taskset where there are two CPUs to pin to; plain otherwise.
const pinned = availableParallelism() >= 2;
const pin = (cpu: number, cmd: string[]): string[] => (pinned ? ['taskset', '-c', String(cpu), ...cmd] : cmd);

const [cmd, ...args] = pin(1, serverCommand());
const child = spawn(cmd!, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolvePort, reject) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    // net-server.ts says `port N`; the example, `serving http://127.0.0.1:N/`.
    const m = /^(?:port (\d+)|serving http:\/\/127\.0\.0\.1:(\d+)\/)/m.exec(out);
    if (m) resolvePort(Number(m[1] ?? m[2]));
  });
  child.on('exit', (code) => reject(new Error(`the ${server} server exited (${code}) before listening`)));
});

let line: string;
let rssKib = 0;
try {
  const lg = pin(0, [
    loadgenPath(), '-p', String(port), '-c', values.conns!, '-s', values.size!, '-w', values.warmup!, '-d', values.seconds!,
    '-m', http ? 'http' : 'echo', '-P', String(child.pid),
  ]);
  line = execFileSync(lg[0]!, lg.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  // The server's peak resident memory, while it still runs.
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  rssKib = hwm ? Number(hwm[1]) : 0;
} finally {
  child.kill('SIGKILL');
}
const field = (k: string): number => {
  const m = new RegExp(`\\b${k}=([\\d.]+)`).exec(line);
  if (!m) throw new Error(`no ${k} in loadgen's "${line}"`);
  return Number(m[1]);
};
if (field('errors') > 0) throw new Error(`loadgen saw errors: ${line}`);
const completed = field('completed');
console.log(line);
console.log(`cpu_ns_per_req ${Math.round(((field('srv_user_s') + field('srv_sys_s')) * 1e9) / completed)}`);
console.log(`server_peak_rss_kib ${rssKib}`);
console.log(`rps ${Math.round(field('rps'))}`);
