export { prepRw, prepNop, prepRead, prepWrite, prepReadv, prepWritev, prepFsync, makeIovecs } from './rw.ts';
export { prepTimeout, makeTimespec } from './timeout.ts';
export { cString } from './path.ts';
export * from './fs.ts';
export * from './open.ts';
export * from './xattr.ts';
export * from './splice.ts';
