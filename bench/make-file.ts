// Makes (or warms) the benchmark data file: random bytes on a disk file
// system, read whole so the page cache holds it. Refuses tmpfs, where
// io_uring punts buffered reads to worker threads and measures the wrong
// thing.
//
//   npx tsx bench/make-file.ts --file PATH [--mib 256] [--warm]

import { closeSync, mkdirSync, openSync, readSync, statfsSync, statSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const TMPFS_MAGIC = 0x01021994;

export function warm(file: string): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

export function ensureFile(file: string, mib: number): void {
  mkdirSync(dirname(file), { recursive: true });
  if (statfsSync(dirname(file)).type === TMPFS_MAGIC) {
    throw new Error(`${file} is on tmpfs: io_uring reads there go to worker threads; use a disk file system`);
  }
  let size = 0;
  try { size = statSync(file).size; } catch { /* missing */ }
  if (size !== mib << 20) {
    const fd = openSync(file, 'w');
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let i = 0; i < mib; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  }
  warm(file);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { file: { type: 'string' }, mib: { type: 'string', default: '256' }, warm: { type: 'boolean' } } });
  if (!values.file) throw new Error('--file is required');
  if (values.warm) warm(values.file);
  else ensureFile(values.file, Number(values.mib));
}
