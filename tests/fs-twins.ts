// The differential harness of tests/fs-diff.test.ts: twin temp directories,
// one for node:fs/promises and one for tsuring/fs, a call run against each
// in its own, and what came out (a value, or an error's every field) made
// comparable: the twin's directory prefix is the only thing rewritten.

import { Buffer } from 'node:buffer';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import * as ringFs from '../lib/fs/index.ts';

/** Either module: the calls are written once against this. */
export type Api = typeof nodeFs;
export const apis: { name: 'node' | 'ring'; api: Api }[] = [
  { name: 'node', api: nodeFs },
  { name: 'ring', api: ringFs as unknown as Api },
];

/** Twin directories under one temp directory (on the disk: /work's file system, not tmpfs). */
export class Twins {
  readonly base: string;
  readonly dirs: { node: string; ring: string };
  constructor(base = '/tmp') {
    this.base = mkdtempSync(join(base, 'tsuring-fs-diff-'));
    this.dirs = { node: join(this.base, 'node'), ring: join(this.base, 'ring') };
  }

  remove(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** What a call came to, made comparable across the twins. */
export type Outcome = { ok: unknown } | { err: Record<string, unknown> };

function norm(v: unknown, dir: string, seen = 0): unknown {
  if (seen > 6) return '<deep>';
  if (typeof v === 'string') return v.split(dir).join('<dir>');
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (ArrayBuffer.isView(v)) return { view: v.constructor.name, bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (typeof (v as { isFile?: unknown }).isFile === 'function' && 'mode' in v) return statSummary(v as StatsLike);
  if (typeof (v as { close?: unknown }).close === 'function' && 'fd' in v) return '<FileHandle>';
  if (Array.isArray(v)) return v.map((x) => norm(x, dir, seen + 1));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = norm((v as Record<string, unknown>)[k], dir, seen + 1);
  return out;
}

interface StatsLike {
  mode: number | bigint;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  [k: string]: unknown;
}

/** What of a Stats the twins share: all but the inode and the times (those differ between two files), and the keys. */
export function statSummary(s: StatsLike): Record<string, unknown> {
  const out: Record<string, unknown> = { keys: Object.keys(s).join(',') };
  for (const k of ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize']) out[k] = s[k];
  // Directories' blocks depend on their history; a file's don't.
  if (!s.isDirectory()) out.blocks = s.blocks;
  out.types = [s.isFile(), s.isDirectory(), s.isSymbolicLink()];
  return out;
}

/** Every field of an error node:fs/promises' callers look at. */
export function errorFields(e: unknown, dir: string): Record<string, unknown> {
  if (!(e instanceof Error)) return { thrown: norm(e, dir) };
  const x = e as Error & Record<string, unknown>;
  return norm({
    class: e.constructor.name,
    name: e.name,
    message: e.message,
    code: x.code,
    errno: x.errno,
    syscall: x.syscall,
    path: x.path,
    dest: x.dest,
    keys: Object.keys(e).join(','),
  }, dir) as Record<string, unknown>;
}

/** Runs `fn` for one api in its twin directory; what it came to. */
export async function outcome(fn: (api: Api, dir: string) => Promise<unknown>, api: Api, dir: string): Promise<Outcome> {
  try {
    return { ok: norm(await fn(api, dir), dir) };
  } catch (e) {
    return { err: errorFields(e, dir) };
  }
}

/** Runs `fn` against node:fs/promises, then tsuring/fs, in the twins; both outcomes. */
export async function both(t: Twins, fn: (api: Api, dir: string) => Promise<unknown>): Promise<{ node: Outcome; ring: Outcome }> {
  const node = await outcome(fn, nodeFs, t.dirs.node);
  const ring = await outcome(fn, ringFs as unknown as Api, t.dirs.ring);
  return { node, ring };
}

/** The tree under `dir`: each entry's kind, permission bits, size and content (a symlink's target), by relative path. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(dir, r);
      const st = lstatSync(p);
      const perm = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${perm}`;
        walk(r);
      } else out[r] = `file ${perm} nlink ${st.nlink} ${readFileSync(p).toString('hex')}`;
    }
  };
  walk('');
  return out;
}

/** mulberry32: a small seeded generator, so a sequence can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
