// Lesson 15: an SQE is 64 bytes, a CQE 16, and you can write and read them
// yourself. getSqes(n) takes n entries at once; ring.sqes is the SQE array
// as 32-bit words and ring.sqeOffset(pos) says where each entry starts;
// ring.cqes and ring.cqeOffset(i) do the same for the CQ. No Sqe or Cqe
// object per entry: the fastest way to fill the ring from JavaScript.
//
//   npx tsx examples/15-sqe-words.ts
//
// The words are raw: an address you write is yours to keep alive until the
// CQE, with ring.sqeAt(pos).keep(buffer). An encoder on ring.sqeAt(pos)
// writes the same words and keeps for you.

import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoUring, IORING_OP_NOP, IORING_OP_READ, bufferAddress, decodeSqe, errnoName, layout } from '../lib/index.ts';

// struct io_uring_sqe's byte offsets, as word indexes.
const W = (field: keyof typeof layout.io_uring_sqe): number => layout.io_uring_sqe[field] / 4;
const SQE_WORDS = layout.io_uring_sqe.sizeof / 4;

const dir = mkdtempSync(join(tmpdir(), 'tsuring-15-'));
const file = join(dir, 'words.txt');
writeFileSync(file, 'written as words');
const fd = openSync(file, 'r');

try {
  using ring = new IoUring(8);
  const buf = Buffer.alloc(5);

  // 1. Three entries in one go: two NOPs and a READ of 5 bytes at offset 11.
  const first = ring.getSqes(3);
  const u = ring.sqes;
  for (let i = 0; i < 3; i++) {
    const w = ring.sqeOffset(first + i);
    u.fill(0, w, w + SQE_WORDS); // every field 0, then the ones that matter
    u[w + W('opcode')] = i < 2 ? IORING_OP_NOP : IORING_OP_READ; // flags, ioprio: the same word's upper bytes
    u[w + W('fd')] = i < 2 ? -1 : fd;
    u[w + W('user_data')] = 100 + i; // the low word; the high one stays 0
  }
  const w = ring.sqeOffset(first + 2);
  const addr = bufferAddress(buf, buf.length); // checked: attached, fixed-size, long enough
  u[w + W('addr')] = addr % 2 ** 32; // a u64: low word, then high
  u[w + W('addr') + 1] = Math.floor(addr / 2 ** 32);
  u[w + W('len')] = buf.length;
  u[w + W('off')] = 11;
  ring.sqeAt(first + 2).keep(buf); // the kernel writes into buf until the CQE

  // The READ's first ten words, then decoded: the entry an encoder makes.
  const names = ['opcode|flags|ioprio', 'fd', 'off', 'off hi', 'addr', 'addr hi', 'len', 'rw_flags', 'user_data', 'user_data hi'];
  console.log('entry 2, word by word:');
  for (let k = 0; k < names.length; k++) {
    const v = names[k]!.startsWith('addr') ? '(an address)' : `0x${u[w + k]!.toString(16)}`;
    console.log(`  word ${String(k).padStart(2)} ${names[k]!.padEnd(19)} ${v}`);
  }
  const { op, off, len, user_data } = decodeSqe(ring.sqeAt(first + 2)) as Record<string, unknown>;
  console.log(`decoded: ${String(op)} off=${String(off)} len=${String(len)} user_data=${String(user_data)}`);

  // 2. Submit, then read each CQE's words: user_data (2 words), res, flags.
  console.log(`submitted ${ring.submitAndWait(3)}`);
  const n = ring.cqReady();
  for (let i = 0; i < n; i++) {
    const c = ring.cqes;
    const cw = ring.cqeOffset(i);
    const res = c[cw + 2]! | 0; // res is signed
    console.log(`  cqe user_data=${c[cw]} res=${res}${res < 0 ? ` (-${errnoName(res)})` : ''} flags=${c[cw + 3]}`);
  }
  ring.cqAdvance(n); // hands the CQEs back, and lets go of buf
  console.log(`read: ${JSON.stringify(buf.toString())}`);
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
