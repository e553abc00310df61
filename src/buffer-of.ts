// Runs on: any thread (shared code with no thread of its own).

/** The bytes as a Buffer without a copy: themselves when they are one, else a Buffer over their memory. */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
