export { prepRw, prepNop, prepRead, prepWrite, prepReadv, prepWritev, prepFsync, makeIovecs } from './rw.ts';
export { prepTimeout, makeTimespec } from './timeout.ts';
export { cString } from './path.ts';
