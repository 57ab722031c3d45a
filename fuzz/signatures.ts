// Reads the parameter lists of the library's exported functions and
// AsyncRing's methods from the source, so every encoder the library exports
// is fuzzed without a hand-kept list going stale: a new `prepX` is covered
// the day it lands. Each parameter gets a kind (fd, buf, path, len...) from
// its name and type, and the fuzzer draws valid and hostile values by kind.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Param {
  name: string;
  type: string;
  optional: boolean;
  kind: string;
}

export interface Signature {
  name: string;
  params: Param[];
  file: string;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || (c === '>' && s[i - 1] !== '=')) depth--;
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function paramsAt(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '(') depth++;
    else if (src[i] === ')' && --depth === 0) return src.slice(open + 1, i);
  }
  return '';
}

// The index of a parameter's default `=` (not `=>`, not inside a type), or -1.
function topLevelEquals(p: string): number {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || (c === '>' && p[i - 1] !== '=')) depth--;
    else if (c === '=' && depth === 0 && p[i + 1] !== '>' && p[i + 1] !== '=') return i;
  }
  return -1;
}

function parseParams(fn: string, text: string): Param[] {
  return splitTop(text).map((p) => {
    const eq = topLevelEquals(p);
    const noDefault = (eq < 0 ? p : p.slice(0, eq)).trim();
    const hasDefault = eq >= 0;
    const m = /^(\.\.\.)?(\w+)(\?)?\s*(?::\s*([\s\S]+))?$/.exec(noDefault);
    const name = m?.[2] ?? noDefault;
    const type = (m?.[4] ?? 'unknown').replace(/\s+/g, ' ').trim();
    return { name, type, optional: hasDefault || m?.[3] === '?', kind: kindOf(fn, name, type) };
  });
}

const FD_NAMES = new Set(['fd', 'sockfd', 'dfd', 'olddfd', 'newdfd', 'newdirfd', 'epfd', 'fdIn', 'fdOut', 'sourceFd', 'targetFd']);
const LEN_NAMES = new Set(['nbytes', 'len', 'length', 'count', 'nr', 'nrFds', 'maxevents', 'optlen', 'addrlen', 'addrLen', 'size', 'nentries', 'bufLen', 'n']);

/** The kind of value a parameter takes, from its function, name and type. */
export function kindOf(fn: string, name: string, type: string): string {
  if (/\bSqe\b/.test(type)) return 'sqe';
  if (fn === 'prepRwBuffer' && name === 'op') return 'rwop';
  if (/\bBufRing\b/.test(type)) return 'bufring';
  if (/\bIoUring\b/.test(type) && !/AsyncRing|MessageTarget/.test(type)) return 'ring';
  if (/AsyncRing|MessageTarget/.test(type)) return 'msgtarget';
  if (name === 'opts' || name === 'options' && /Options/.test(type)) return 'opts';
  if (name === 'prep') return 'prep';
  if (name === 'preps') return 'preps';
  if (FD_NAMES.has(name)) {
    if (/^(prepClose|close)$/.test(fn)) return 'closefd';
    if (/MsgRing|registerSyncMsg/.test(fn) && name === 'fd') return 'ringfd';
    return 'fd';
  }
  if (name === 'fileIndex' || name === 'bufIndex' || name === 'index' || name === 'zcrxIfqIdx') return 'index';
  if (name === 'bgid' || name === 'bufGroup' || name === 'bid') return 'u16';
  if (/FutexWaitv\[\]/.test(type)) return 'futexv';
  if (/BufferSlot\[\]/.test(type)) return 'slots';
  if (/\(number \| bigint\)\[\]/.test(type)) return 'tags';
  if (/Restriction\[\]/.test(type)) return 'restrictions';
  if (/CmsgInit\[\]/.test(type)) return 'cmsgs';
  if (/number\[\] \| Int32Array/.test(type)) return 'fdarray';
  if (/^readonly \[number, number\]$/.test(type)) return 'pair';
  if (/^readonly number\[\]$/.test(type)) return 'numarray';
  if (/ArrayBufferView\[\]/.test(type)) return 'iov';
  if (/Msghdr/.test(type)) return 'msghdr';
  if (/SockaddrInit/.test(type)) return 'sockaddr';
  if (/\bTimeout\b/.test(type) || name === 'ms' || name === 'ts') return 'timeout';
  if (/AddrLenCell/.test(type)) return 'addrlen';
  if (/OpenHow/.test(type)) return 'openhow';
  if (/EpollEvent/.test(type)) return 'epoll';
  if (/SyncCancel/.test(type)) return 'synccancel';
  if (/\bNapi\b/.test(type)) return 'napi';
  if (/IfqOptions/.test(type)) return 'ifq';
  if (/\bCqe(Flags)?\b/.test(type)) return 'cqe';
  if (/string \| Uint8Array/.test(type)) return 'path';
  if (/Int32Array/.test(type)) return 'i32pair';
  if (/ArrayBufferView|Uint8Array/.test(type)) return 'buf';
  if (/number \| bigint/.test(type)) return 'u64';
  if (type === 'boolean') return 'bool';
  if (type === 'string') return 'string';
  if (fn.startsWith('prepMadvise') && name === 'advice') return 'madvice';
  if (/^(offset|off|offIn|offOut|dstOff|srcOff)$/.test(name)) return 'offset';
  if (LEN_NAMES.has(name)) return 'len';
  if (type === 'number' || type === 'unknown') return 'num';
  return 'anything';
}

/** Every exported function of the .ts files under `dirs`, with its parameters. */
export function functionSignatures(root: string, dirs: string[]): Map<string, Signature> {
  const out = new Map<string, Signature>();
  for (const dir of dirs) {
    for (const f of readdirSync(join(root, dir))) {
      if (!f.endsWith('.ts')) continue;
      const src = readFileSync(join(root, dir, f), 'utf8');
      const re = /^export function (\w+)(<[^(]*>)?\(/gm;
      for (let m; (m = re.exec(src)) !== null;) {
        const open = m.index + m[0].length - 1;
        out.set(m[1]!, { name: m[1]!, params: parseParams(m[1]!, paramsAt(src, open)), file: `${dir}/${f}` });
      }
    }
  }
  return out;
}

/** The public methods of a class in `file` (two-space indented `name(...)`), with their parameters. */
export function methodSignatures(root: string, file: string): Map<string, Signature> {
  const out = new Map<string, Signature>();
  const src = readFileSync(join(root, file), 'utf8');
  const re = /^ {2}(?:async )?([a-z]\w*)\(/gm;
  for (let m; (m = re.exec(src)) !== null;) {
    const name = m[1]!;
    if (['if', 'for', 'while', 'switch', 'return', 'constructor'].includes(name)) continue;
    // A method whose doc comment says @internal is not the public API (the
    // callback form the library's own layers use has tests of its own).
    const before = src.slice(0, m.index);
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before);
    if (doc !== null && doc[1]!.includes('@internal')) continue;
    const open = m.index + m[0].length - 1;
    const params = parseParams(name, paramsAt(src, open));
    // Overload declarations come first; the implementation (the last) wins,
    // unless it is a rest-args implementation signature.
    if (params.some((p) => p.name === 'args')) continue;
    out.set(name, { name, params, file });
  }
  return out;
}
