// Lesson 17: an HTTP/1.1 server with keep-alive on tsuring/net, in a page.
// Each connection is one async function: read chunks, cut complete
// requests out of them, answer each, and loop until the client closes or
// asks to (`Connection: close`). The chunks are views of the ring's
// provided buffers, valid until the loop takes the next, so the bytes of a
// request that isn't complete yet are copied out.
//
//   npx tsx examples/17-http.ts           # the demonstration below, then exit
//   npx tsx examples/17-http.ts 8080      # serve on port 8080 until Ctrl-C

import * as http from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from '../lib/net/index.ts';

const BODY = Buffer.from('hello\n');
const HEAD_END = Buffer.from('\r\n\r\n');
let connections = 0;
let requests = 0;

/** Answers every request on `socket` until the client is done. */
async function serve(socket: Socket): Promise<void> {
  connections++;
  let pending = Buffer.alloc(0); // bytes of a request not yet complete
  for await (const chunk of socket) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf(HEAD_END);
      if (end < 0) break;
      const [requestLine = '', ...lines] = pending.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const bodyLength = Number(headers.get('content-length') ?? 0);
      if (pending.length < end + 4 + bodyLength) break; // the body is still on its way
      pending = pending.subarray(end + 4 + bodyLength);
      const version = requestLine.split(' ')[2];
      const connection = (headers.get('connection') ?? '').toLowerCase();
      const keepAlive = version === 'HTTP/1.1' ? connection !== 'close' : connection === 'keep-alive';
      requests++;
      const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n` +
        `Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
      await socket.writev([head, BODY]); // one sendmsg for both
      if (!keepAlive) return; // the server ends the connection (createServer ends it when this settles)
    }
  }
}

const server = createServer(serve);
const port = Number(process.argv[2] ?? 0);
await server.listen({ port, host: '127.0.0.1', backlog: 511 });
const addr = server.address() as AddressInfo;
if (port !== 0) {
  console.log(`serving http://127.0.0.1:${addr.port}/ (Ctrl-C to stop)`);
} else {
  console.log(`1. listening on ${addr.address}, family ${addr.family}`);

  // node:http's client with a keep-alive agent: three requests, one connection.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: addr.port, path, agent }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(`${res.statusCode} ${JSON.stringify(text)} reused=${req.reusedSocket}`));
      });
      req.on('error', reject);
    });
  for (const path of ['/a', '/b', '/c']) console.log(`2. GET ${path}: ${await get(path)}`);
  agent.destroy();
  console.log(`2. connections so far: ${connections}`);

  // Two requests in one write (pipelined), then a third that asks to close.
  const s = await connect({ port: addr.port, host: '127.0.0.1' });
  await s.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
  await s.write('POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody');
  let reply = '';
  for await (const chunk of s) reply += chunk.toString('latin1');
  const statuses = reply.match(/HTTP\/1\.1 200 OK/g)?.length ?? 0;
  console.log(`3. pipelined: ${statuses} responses, the last says ${/Connection: (\w+)\r\n\r\nhello\n$/.exec(reply)?.[1]}, then end of stream`);
  s.destroy();

  await server.close();
  console.log(`4. closed: ${connections} connections, ${requests} requests`);
}
