/**
 * Runs on: main thread.
 *
 * An accepted TCP connection that reads into memory the caller chooses (a buffer it reuses, or
 * the frame being assembled), instead of a new 64 KB buffer per read. Those buffers are external memory V8 counts towards its next full
 * garbage collection: a producer sending 150 MB caused about ten of them, most of the Kafka
 * listener's CPU per record. Node offers this (the `onread` option) only to sockets it connects
 * itself, so the accepted socket's handle (accepted paused, nothing read yet) is wrapped in a new
 * Socket with `onread`, which then stands for the connection: it counts towards the server's
 * connections (maxConnections, close()) as the accepted one did. Where the handle cannot be
 * taken over (another Node, a TLS socket), the accepted socket is resumed and delivers 'data' as
 * usual.
 */
import { Socket } from 'node:net';

/** The fields of net.Socket this relies on, the same in Node 20, 22 and 24. */
interface SocketInternals {
  _handle: { useUserBuffer?: unknown; readStop?: unknown } | null;
  _server: unknown;
  server: unknown;
}

/**
 * The connection, reading where `target()` says (asked again after each read): each read calls
 * `onRead` with the bytes read. Reading stops with pause() and starts again with resume(), as for
 * any socket. The accepted socket must come from a server created with `pauseOnConnect: true`.
 */
export function readingInto(accepted: Socket, target: () => Buffer, onRead: (bytes: Buffer) => void): Socket {
  const inner = accepted as unknown as SocketInternals;
  const handle = inner._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || accepted.destroyed) {
    accepted.resume();
    return accepted;
  }
  const socket = new Socket({
    handle: handle as never,
    allowHalfOpen: accepted.allowHalfOpen,
    readable: true,
    writable: true,
    onread: { buffer: target, callback: (n: number, buffer: Uint8Array) => onRead((buffer as Buffer).subarray(0, n)) },
  } as ConstructorParameters<typeof Socket>[0]);
  const adopted = socket as unknown as SocketInternals;
  adopted.server = inner.server;
  adopted._server = inner._server;
  // The accepted Socket no longer owns the connection: it must neither close it nor count it closed.
  inner._handle = null;
  inner._server = null;
  return socket;
}
