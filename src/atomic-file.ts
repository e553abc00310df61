// Runs on: main thread.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirectorySync } from './make-directory.js';

/**
 * Replaces a file atomically: a temporary file, fsync, rename over the old one, fsync of the
 * directory. A crash leaves either the old or the new file, never a mix. `mode` applies to a file
 * that holds secrets (0o600).
 */
export function writeFileAtomically(path: string, text: string, mode = 0o644): void {
  const dir = dirname(path);
  makeDirectorySync(dir);
  const temp = `${path}.tmp`;
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      const bytes = Buffer.from(text);
      // A nearly full disk can take part of a write: the rest is written (or fails) after it,
      // never renamed over the good file cut short.
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    // A full disk leaves no half-written temporary file behind.
    rmSync(temp, { force: true });
    throw err;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
