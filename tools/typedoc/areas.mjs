// A TypeDoc plugin: puts each export of lib/index.ts in the group of the
// part of lib/ it comes from, so the reference reads by area (the ring, the
// encoders, registration, AsyncRing, the teaching tools, errors, constants)
// instead of by kind, and a new export finds its area without a tag. An
// explicit @group in a doc comment still wins.
//
// It also leaves out base classes the reference does not show: IoUring and
// AsyncRing are built in layers, a class a file (lib/ring/io-uring.ts says
// why), and "Inherited from RingRegister" on every member would name a class
// the reader can't open.

import { CommentTag, Converter, ReflectionKind } from 'typedoc';

/** [test on the source path, group]; the first that matches wins. */
const AREAS = [
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
  for (const [test, group] of AREAS) {
    if (test.test(file)) return typeof group === 'function' ? group(refl) : group;
  }
  return undefined;
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
    for (const refl of context.project.children ?? []) {
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
}
