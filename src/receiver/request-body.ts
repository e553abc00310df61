import type { IncomingMessage } from 'node:http';
import { TributaryError } from '../errors.js';

/**
 * Reads a request body into a Uint8Array that owns its whole ArrayBuffer (so it can be
 * transferred to a worker). Past `limit` bytes it stops keeping data and fails with
 * PAYLOAD_TOO_LARGE; the rest is drained so the connection can answer and be reused.
 */
export function readBody(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(incoming.headers['content-length']);
  if (declared > limit) {
    incoming.resume();
    return Promise.reject(tooLarge(declared, limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.off('data', onData);
        incoming.resume();
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(chunk);
    };
    incoming.on('data', onData);
    incoming.once('error', (err) => reject(new TributaryError('INVALID_REQUEST', `reading the body failed: ${err.message}`, { cause: err })));
    incoming.once('aborted', () => reject(new TributaryError('INVALID_REQUEST', 'the client aborted the request')));
    incoming.once('end', () => {
      if (size > limit) return;
      const body = new Uint8Array(size);
      let pos = 0;
      for (const chunk of chunks) {
        body.set(chunk, pos);
        pos += chunk.length;
      }
      resolve(body);
    });
  });
}

function tooLarge(size: number, limit: number): TributaryError {
  return new TributaryError('PAYLOAD_TOO_LARGE', `the body of ${size} bytes is over receiver.max_request_bytes (${limit} bytes)`);
}
