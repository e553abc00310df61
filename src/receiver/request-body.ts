/**
 * Runs on: main thread.
 */
import type { IncomingMessage } from 'node:http';
import { copyBytes } from '../copy-bytes.js';
import { TributaryError } from '../errors.js';

export interface BodyReadOptions {
  /** `receiver.max_request_bytes`: past it the read fails with PAYLOAD_TOO_LARGE. */
  limit: number;
  /** Memory for the body (a shared slab, say), taken once its size is known. */
  allocate: (size: number) => Uint8Array;
  /**
   * Counts `bytes` more of a body without a Content-Length, as they arrive; false when the
   * budget of bytes in flight has no room, and the read fails with OVERLOADED. (A declared size
   * is counted by the caller before the read, since its memory is taken at once.)
   */
  reserve: (bytes: number) => boolean;
  /** How the caller stops a read in progress (the request timed out). */
  stopper?: ReadStopper;
}

/**
 * readBody sets `stop` while it reads; calling it fails the read with `reason`. A plain hook
 * rather than an AbortSignal, whose EventTarget costs a few µs on every request.
 */
export interface ReadStopper {
  stop?: (reason: TributaryError) => void;
}

/**
 * Reads a request body into memory. With a Content-Length the chunks are copied into memory of
 * that size as they arrive; without one they are gathered, each counted by `reserve` first. Every
 * way out (end, limit, no budget, client gone, stopped) removes the listeners, so a read never
 * outlives its request and the caller's `finally` always runs; what is left of a body that was
 * not read is discarded, so the connection can still answer.
 */
export function readBody(incoming: IncomingMessage, options: BodyReadOptions): Promise<Uint8Array> {
  const { limit, stopper } = options;
  let declared: number | undefined;
  try {
    declared = declaredSize(incoming, limit);
  } catch (err) {
    incoming.resume();
    return Promise.reject(err);
  }
  if (incoming.destroyed) return Promise.reject(clientGone());
  return new Promise((resolve, reject) => {
    // HTTP/1.1 parsing holds a body to its Content-Length, so a declared size is the size.
    let body = declared !== undefined ? options.allocate(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (stopper) stopper.stop = undefined;
    };
    const fail = (err: TributaryError) => {
      detach();
      incoming.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      const next = size + chunk.length;
      if (next > limit) return fail(tooLarge(next, limit));
      if (body) {
        // The HTTP/1.1 parser never lets this happen; a throw here would take the process down.
        if (next > body.length) return fail(new TributaryError('INVALID_REQUEST', `the body is longer than its Content-Length of ${body.length} bytes`));
        copyBytes(body, chunk, size);
      } else {
        if (!options.reserve(chunk.length)) {
          return fail(new TributaryError('OVERLOADED', 'too many bytes in flight (receiver.max_inflight_bytes); retry later', { retriable: true }));
        }
        chunks.push(chunk);
      }
      size = next;
    };
    const onEnd = () => {
      detach();
      if (!body) {
        body = options.allocate(size);
        let at = 0;
        for (const chunk of chunks) {
          copyBytes(body, chunk, at);
          at += chunk.length;
        }
      }
      resolve(body.subarray(0, size));
    };
    const onError = (err: Error) => fail(new TributaryError('INVALID_REQUEST', `reading the body failed: ${err.message}`, { cause: err }));
    // Closed before its end: the client went away (or the server cut the connection).
    const onClose = () => fail(clientGone());
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
    if (stopper) stopper.stop = fail;
  });
}

/**
 * The body's Content-Length, or undefined without one; PAYLOAD_TOO_LARGE past `limit`. Checked
 * before anything else about the body: a request that can never fit is refused for good (413),
 * never pushed back as if a retry could help.
 */
export function declaredSize(incoming: IncomingMessage, limit: number): number | undefined {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) throw tooLarge(declared, limit);
  return Number.isSafeInteger(declared) ? declared : undefined;
}

function tooLarge(size: number, limit: number): TributaryError {
  return new TributaryError('PAYLOAD_TOO_LARGE', `the body of ${size} bytes is over receiver.max_request_bytes (${limit} bytes)`);
}

function clientGone(): TributaryError {
  return new TributaryError('INVALID_REQUEST', 'the client closed the connection before it had sent the whole body');
}
