// Lesson 12: two rings talking with MSG_RING, one ring in a worker_thread.
// A MSG_RING entry submitted on one ring posts a CQE on another: the target
// CQE's user_data is the `data` sent and its res the `len`. No shared
// memory, no pipe, no postMessage: the message is a completion, and it wakes
// whoever waits on the target ring like any other.
//
//   npx tsx examples/12-msg-ring-worker.ts
//
// Each thread has an AsyncRing of its own; messages() iterates what other
// rings post to it, and msgRing(target, data, { len }) sends. A ring fd
// belongs to the process, so a thread needs only the other ring's fd (its
// `messageTarget`, a plain object) to reach it. The main thread sends 1, 2,
// 3 to the worker, which answers each with its square, then 0 to stop.

import { once } from 'node:events';
import { Worker, isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { AsyncRing, IORING_OP_MSG_RING, requireOpcode, type MessageTarget } from '../lib/index.ts';

async function main(): Promise<void> {
  try {
    requireOpcode(IORING_OP_MSG_RING);
  } catch (err) {
    console.log(`skipped: ${(err as Error).message}`);
    return;
  }
  const io = new AsyncRing();
  // Start this same file in a worker. Compiled (dist/examples), it is plain
  // JavaScript. As TypeScript under tsx: Node 20 does not pass tsx on to a
  // worker's entry module, so the worker registers tsx's loader first.
  const workerData = { reply: io.messageTarget };
  let worker: Worker;
  if (import.meta.url.endsWith('.js')) {
    worker = new Worker(new URL(import.meta.url), { workerData });
  } else {
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(import.meta.url)}))`;
    worker = new Worker(boot, { eval: true, workerData });
  }
  const exited = once(worker, 'exit');
  try {
    // The one postMessage: the worker's ring, to send to.
    const [peer] = (await once(worker, 'message')) as [MessageTarget];
    console.log(`main thread's ring fd ${io.ring.fd}; the worker's ring fd ${peer.asyncRingFd}`);
    const inbox = io.messages();
    for (const n of [1, 2, 3]) {
      await io.msgRing(peer, n); // a CQE with data n in the worker's ring
      const { value: m } = await inbox.next(); // the answer: a CQE in ours
      console.log(`sent ${n} to the worker; it answered ${m!.data}, len ${m!.len} (the worker's threadId is ${worker.threadId})`);
    }
    await io.msgRing(peer, 0); // "stop"
    await inbox.return!(); // leave messages(): nothing keeps this thread waiting
    const [code] = (await exited) as [number];
    console.log(`the worker closed its ring and exited with code ${code}`);
  } finally {
    await io.close();
  }
}

// The worker: answers each number with its square, until 0.
async function work(): Promise<void> {
  const { reply } = workerData as { reply: MessageTarget };
  const io = new AsyncRing();
  parentPort!.postMessage(io.messageTarget);
  for await (const m of io.messages()) {
    if (m.data === 0) break;
    await io.msgRing(reply, m.data * m.data, { len: threadId });
  }
  await io.close();
}

await (isMainThread ? main() : work());
