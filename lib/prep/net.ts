// The socket encoders, gathered for the modules that import them from here:
// setup and teardown live in ./socket.ts, the data path in ./send-recv.ts.
export * from './socket.ts';
export * from './send-recv.ts';
