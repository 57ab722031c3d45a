// Lesson 17: an HTTP/1.1 server with keep-alive on tsuring/net, in a page.
// Each connection is one async function: read chunks, cut complete
// requests out of them, answer each, and loop until the client closes or
// asks to (`Connection: close`). The chunks are views of the ring's
// provided buffers, valid until the loop takes the next, so the bytes of a
// request that isn't complete yet are copied out.
//
//   npx tsx examples/17-http.ts           # the demonstration below, then exit
//   npx tsx examples/17-http.ts 8080      # serve on port 8080 until Ctrl-C (0: any port)

import * as http from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from '../lib/net/index.ts';

const BODY = 'hello\n';
// The two answers, made once: every request gets one of them as it is.
const answer = (connection: string) => Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: ${connection}\r\n\r\n${BODY}`, 'latin1');
const KEEP_ALIVE = answer('keep-alive');
const CLOSE = answer('close');
const HEAD_END = Buffer.from('\r\n\r\n');
let connections = 0;
let requests = 0;

/** Answers every request on `socket` until the client is done. */
async function serve(socket: Socket): Promise<void> {
  connections++;
  let pending: Buffer | null = null; // a copy of bytes of a request not yet complete
  for await (const chunk of socket) {
    // Requests are cut straight out of the chunk; only an unfinished one is copied.
    let data: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    for (;;) {
      const end = data.indexOf(HEAD_END);
      if (end < 0) break;
      const head = data.toString('latin1', 0, end).toLowerCase(); // header names are case-blind
      const bodyLength = Number(/\r\ncontent-length:[ \t]*(\d+)/.exec(head)?.[1] ?? 0);
      if (data.length < end + 4 + bodyLength) break; // the body is still on its way
      data = data.subarray(end + 4 + bodyLength);
      const lineEnd = head.indexOf('\r\n');
      const http11 = head.endsWith(' http/1.1', lineEnd < 0 ? head.length : lineEnd);
      const connection = /\r\nconnection:[ \t]*([\w-]+)/.exec(head)?.[1];
      const keepAlive = http11 ? connection !== 'close' : connection === 'keep-alive';
      requests++;
      await socket.write(keepAlive ? KEEP_ALIVE : CLOSE);
      if (!keepAlive) return; // the server ends the connection (createServer ends it when this settles)
    }
    if (data.length > 0) pending = Buffer.from(data); // the chunk is handed back at the next step
  }
}

const server = createServer(serve);
const serving = process.argv[2] !== undefined;
const port = Number(process.argv[2] ?? 0);
await server.listen({ port, host: '127.0.0.1', backlog: 4096 });
const addr = server.address() as AddressInfo;
if (serving) {
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
