// A forwarding stub, not a room: lib/debug still imports queryOpcodes from
// this path, and lib/debug is being changed on another branch. Once that
// import names ./query.ts, delete this file.
export { queryOpcodes } from './query.ts';
