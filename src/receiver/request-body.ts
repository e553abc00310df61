import type { IncomingMessage } from 'node:http';
import { copyBytes } from '../copy-bytes.js';
import { TributaryError } from '../errors.js';

/**
 * Reads a request body into memory from `allocate` (a shared slab, say). With a Content-Length the
 * chunks are copied in as they arrive; without one they are gathered first. Past `limit` bytes it
 * stops keeping data and fails with PAYLOAD_TOO_LARGE; the rest is drained so the connection can
 * answer and be reused.
 */
export function readBody(incoming: IncomingMessage, limit: number, allocate: (size: number) => Uint8Array): Promise<Uint8Array> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) {
    incoming.resume();
    return Promise.reject(tooLarge(declared, limit));
  }
  return new Promise((resolve, reject) => {
    // HTTP/1.1 parsing holds a body to its Content-Length, so a declared size is the size.
    let body = Number.isSafeInteger(declared) ? allocate(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        incoming.off('data', onData);
        incoming.resume();
        reject(tooLarge(size + chunk.length, limit));
        return;
      }
      if (!body) chunks.push(chunk);
      else if (size + chunk.length <= body.length) copyBytes(body, chunk, size);
      else {
        // The HTTP/1.1 parser never lets this happen; a throw here would take the process down.
        incoming.off('data', onData);
        incoming.resume();
        reject(new TributaryError('INVALID_REQUEST', `the body is longer than its Content-Length of ${body.length} bytes`));
        return;
      }
      size += chunk.length;
    };
    incoming.on('data', onData);
    incoming.once('error', (err) => reject(new TributaryError('INVALID_REQUEST', `reading the body failed: ${err.message}`, { cause: err })));
    incoming.once('aborted', () => reject(new TributaryError('INVALID_REQUEST', 'the client aborted the request')));
    incoming.once('end', () => {
      if (size > limit) return;
      if (!body) {
        body = allocate(size);
        let pos = 0;
        for (const chunk of chunks) {
          copyBytes(body, chunk, pos);
          pos += chunk.length;
        }
      }
      resolve(body.subarray(0, size));
    });
  });
}

function tooLarge(size: number, limit: number): TributaryError {
  return new TributaryError('PAYLOAD_TOO_LARGE', `the body of ${size} bytes is over receiver.max_request_bytes (${limit} bytes)`);
}
