// A TypeDoc plugin: puts each export of lib/index.ts in the group of the
// part of lib/ it comes from, so the reference reads by area (the ring, the
// encoders, registration, AsyncRing, the teaching tools, errors, constants)
// instead of by kind, and a new export finds its area without a tag. An
// explicit @group in a doc comment still wins. tsuring/fs (lib/fs/index.ts,
// the second entry point) reads the same way, by its own areas: the
// functions, FileHandle, Stats, errors, the arguments' types, the ring.
//
// It also leaves out base classes the reference does not show: IoUring and
// AsyncRing are built in layers, a class a file (lib/ring/io-uring.ts says
// why), and "Inherited from RingRegister" on every member would name a class
// the reader can't open.

import { CommentTag, Converter, ReflectionKind } from 'typedoc';

/** [test on the source path, group] for tsuring/fs; the first that matches wins. */
const FS_AREAS = [
  [/^lib\/fs\/index\.ts$/, (refl) => (refl.name === 'constants' ? 'Constants' : 'Functions')],
  [/^lib\/fs\/file-handle\.ts$/, 'FileHandle'],
  [/^lib\/fs\/stats\.ts$/, 'Stats'],
  [/^lib\/fs\/paths\.ts$/, (refl) => (refl.name === 'StatOptions' ? 'Stats' : 'Arguments')],
  [/^lib\/fs\/errors\.ts$/, 'Errors'],
  [/^lib\/fs\/(api|ring)\.ts$/, 'Ring'],
  [/^lib\/fs\//, 'Arguments'],
];

/**
 * The order of tsuring/fs's groups: typedoc.json's groupOrder is the root
 * module's, and would put Ring and Errors first here.
 */
const FS_ORDER = ['Functions', 'FileHandle', 'Stats', 'Errors', 'Arguments', 'Ring', 'Constants'];

/** [test on the source path, group]; the first that matches wins. */
const AREAS = [
  [/^lib\/fs\//, undefined],
  [/^lib\/ring\//, 'Ring'],
  [/^lib\/prep\//, (refl) => (refl.name.startsWith('prep') ? 'Encoders' : 'SQE and CQE helpers')],
  [/^lib\/register\//, 'Registration'],
  [/^lib\/async\//, 'AsyncRing'],
  [/^lib\/debug\/|^lib\/uapi\/(opcodes|names)\.ts$/, 'Teaching tools'],
  [/^lib\/(errors|errno)\.ts$/, 'Errors'],
  [/^lib\/uapi\/layout\.ts$/, 'Struct layouts'],
  [/^lib\/uapi\//, 'Constants'],
];

function areaOf(refl) {
  // A struct's offsets (an Object.freeze table tagged @enum) sit with the
  // others, wherever the struct is used.
  if (refl.kindOf(ReflectionKind.Enum)) return 'Struct layouts';
  const file = refl.sources?.[0]?.fileName?.replace(/\\/g, '/') ?? '';
  for (const [test, group] of file.startsWith('lib/fs/') ? FS_AREAS : AREAS) {
    if (test.test(file)) return typeof group === 'function' ? group(refl) : group;
  }
  return undefined;
}

/** The exports of each entry point: the project's children, or each module's when there are several. */
function exportsOf(project) {
  const top = project.children ?? [];
  if (!top.some((c) => c.kindOf(ReflectionKind.Module))) return [top];
  return top.filter((c) => c.kindOf(ReflectionKind.Module)).map((m) => m.children ?? []);
}

/** Forgets that `refl` came from a class the reference leaves out. */
function dropHiddenBase(refl) {
  if (refl.inheritedFrom && !refl.inheritedFrom.reflection) refl.inheritedFrom = undefined;
  if (refl.overwrites && !refl.overwrites.reflection) refl.overwrites = undefined;
  if (refl.implementationOf && !refl.implementationOf.reflection) refl.implementationOf = undefined;
  for (const sig of refl.getAllSignatures?.() ?? []) dropHiddenBase(sig);
}

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const cls of context.project.getReflectionsByKind(ReflectionKind.Class)) {
      const hidden = (t) => t.type === 'reference' && !t.reflection;
      if (cls.extendedTypes?.every(hidden)) {
        cls.extendedTypes = undefined;
        for (const child of cls.children ?? []) dropHiddenBase(child);
      }
    }
    for (const refl of exportsOf(context.project).flat()) {
      const group = areaOf(refl);
      // The tag goes on the comment the export already has (a function's is
      // on its signature); one without any is left alone, for the
      // notDocumented check to refuse.
      const comment = refl.comment ?? refl.getNonIndexSignatures().find((sig) => sig.comment)?.comment;
      if (group === undefined || comment === undefined) continue;
      if (comment.getTag('@group')) continue;
      comment.blockTags.push(new CommentTag('@group', [{ kind: 'text', text: group }]));
    }
  });

  // After TypeDoc's GroupPlugin (priority -100) has made and sorted the
  // groups: tsuring/fs's in FS_ORDER, any other after them as they were.
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (!(mod.children ?? []).some((c) => c.sources?.[0]?.fileName?.startsWith('lib/fs/'))) continue;
      const rank = (g) => (FS_ORDER.includes(g.title) ? FS_ORDER.indexOf(g.title) : FS_ORDER.length);
      mod.groups?.sort((a, b) => rank(a) - rank(b));
    }
  }, -200);
}
