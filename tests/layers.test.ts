// The layers of ARCHITECTURE.md: each uses only the ones below it. Every
// import of every file in lib/ and ffi/ (types, re-exports, module
// augmentations and dynamic imports included) names a file of its own layer
// or a lower one; lib/index.ts, the package's entry point, may import
// everything; only ffi/ loads koffi.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);

// Lowest first. errno.ts, errors.ts and check.ts sit between the ABI and
// the ring: the ring throws IoUringError, errors name errnos, and the ring,
// the encoders and the registrations check their arguments with check.ts.
const LAYERS: readonly (readonly [name: string, places: readonly string[]])[] = [
  ['ffi', ['ffi/']],
  ['uapi', ['lib/uapi/']],
  ['errors', ['lib/errno.ts', 'lib/errors.ts', 'lib/check.ts']],
  ['ring', ['lib/ring/']],
  ['prep', ['lib/prep/']],
  ['register', ['lib/register/']],
  ['async', ['lib/async/']],
  ['facades', ['lib/fs/', 'lib/net/']],
  ['debug', ['lib/debug/']],
  // The package's entry points: `tsuring`, `tsuring/fs` and `tsuring/net`.
  ['index', ['lib/index.ts', 'lib/fs/index.ts', 'lib/net/index.ts']],
];

/** The layer of a file (a path from the repository root), or -1. */
function layerOf(file: string): number {
  // A file named on its own wins over its folder (lib/fs/index.ts is an entry point).
  const exact = LAYERS.findIndex(([, places]) => places.includes(file));
  return exact >= 0 ? exact : LAYERS.findIndex(([, places]) => places.some((p) => p.endsWith('/') && file.startsWith(p)));
}

// Import and export statements start a line in this codebase; a comment or a
// string never does. The clause before `from` is matched exactly, so a
// statement without `from` can't run on into the next one.
const PATTERNS = [
  /^(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\}|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s*from\s*['"]([^'"]+)['"]/gm,
  /^import\s*['"]([^'"]+)['"]/gm, // for its side effects
  /^declare\s+module\s+['"]([^'"]+)['"]/gm, // an augmentation depends on what it augments
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /(?:\brequire|\bcreateRequire\([^)]*\))\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** Every module `source` names. */
function specifiers(source: string): string[] {
  return PATTERNS.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]!));
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** What is wrong with the imports of `file` (a path from the root), given its text. */
function check(file: string, source: string): Violation[] {
  const own = layerOf(file);
  if (own < 0) return [{ file, imports: '', why: 'the file belongs to no layer: add its folder to LAYERS' }];
  const out: Violation[] = [];
  for (const spec of specifiers(source)) {
    if (!spec.startsWith('.')) {
      if (spec === 'koffi' && !file.startsWith('ffi/')) out.push({ file, imports: spec, why: 'only ffi/ loads koffi' });
      continue; // node: builtins and packages
    }
    const target = path.relative(root, path.resolve(root, path.dirname(file), spec));
    const layer = layerOf(target);
    if (layer < 0) out.push({ file, imports: spec, why: `${target} belongs to no layer` });
    else if (!fs.existsSync(path.join(root, target))) out.push({ file, imports: spec, why: `${target} does not exist` });
    else if (layer > own && LAYERS[own]![0] !== 'index') {
      out.push({ file, imports: spec, why: `${LAYERS[own]![0]} imports ${LAYERS[layer]![0]}, a layer above it` });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

describe('layers', () => {
  const files = [...sourceFiles('ffi'), ...sourceFiles('lib')];

  it('every file in lib/ and ffi/ imports only its own layer and those below it', () => {
    expect(files.length).toBeGreaterThan(50);
    const violations = files.flatMap((f) => check(f, fs.readFileSync(path.join(root, f), 'utf8')));
    expect(violations).toEqual([]);
  });

  it('the reader finds every kind of import (or the check above would pass on nothing)', () => {
    const ring = 'lib/ring/io-uring.ts';
    const wrong = [
      "import type { TraceListener } from '../debug/trace.ts';",
      "import {\n  registerBuffers,\n  type BufferSlot,\n} from '../register/buffers.ts';",
      "export * from '../prep/rw.ts';",
      "export { AsyncRing } from '../async/async-ring.ts';",
      "import '../debug/trace.ts';",
      "declare module '../debug/decode.ts' {}",
      "const m = await import('../debug/capabilities.ts');",
      "import * as koffi from 'koffi';",
    ];
    for (const line of wrong) expect(check(ring, `// a comment\n${line}\n`), line).toHaveLength(1);
    const right = [
      "import { IoUringError } from '../errors.ts';",
      "import * as ffi from '../../ffi/index.ts';",
      "import { inspect } from 'node:util';",
      "// import { x } from '../debug/trace.ts';",
      " * export { y } from '../async/async-ring.ts';",
      "const s = `import { z } from '../debug/trace.ts'`;",
    ];
    for (const line of right) expect(check(ring, `${line}\n`), line).toEqual([]);
    expect(check('lib/index.ts', "export * from './debug/trace.ts';\n")).toEqual([]);
    expect(check('lib/ring/new.ts', "import { x } from './nowhere.ts';\n")[0]?.why).toMatch(/does not exist/);
    expect(check('lib/stray/x.ts', '')[0]?.why).toMatch(/no layer/);
    // And in the tree itself: the ring's own imports are seen.
    expect(specifiers(fs.readFileSync(path.join(root, ring), 'utf8'))).toEqual(expect.arrayContaining(['./register.ts', '../errors.ts', 'node:util']));
  });
});
