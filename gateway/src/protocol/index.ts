/**
 * The pure protocol layer: bytes in, messages or bytes out; no sockets and no timers.
 * @module
 */
export * from './backend.js'
export * from './backend-decode.js'
export * from './codes.js'
export * from './framer.js'
export * from './frontend.js'
export * from './reader.js'
export * from './sqlstate.js'
export * from './writer.js'
