/** Runs on: a sink worker. */
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { makeDirectorySync } from '../../make-directory.js';

export interface RotationPolicy {
  /** Roll to a new file once the current one reaches this size; 0 never. */
  maxBytes: number;
  /** Roll once the current file is this old (ms); 0 never. */
  maxAgeMs: number;
  /** Rolled files kept beside the current one, the oldest removed first; 0 keeps all. */
  maxFiles: number;
}

/** The time of a roll, for the rolled file's name, and the monotonic clock that a file's age is counted on. */
export interface RotationClock {
  wall: () => number;
  elapsed: () => number;
}

/**
 * A file appended to in whole chunks, rolled by size and age: the current file keeps its name,
 * rolled ones get the time of the roll, e.g. `otlp.jsonl` → `otlp-2026-01-02T03-04-05.678Z.jsonl`.
 */
export class RotatingFile {
  private handle: FileHandle | undefined;
  /** Appends run one at a time: members of one pipeline share the file. */
  private tail: Promise<void> = Promise.resolve();
  private size = 0;
  /** When the current file was started, on the monotonic clock (`clock.elapsed`). */
  private openedAt = 0;
  private readonly dir: string;
  private readonly stem: string;
  private readonly ext: string;

  constructor(
    private readonly path: string,
    private readonly policy: RotationPolicy,
    private readonly clock: RotationClock = { wall: Date.now, elapsed: () => performance.now() },
  ) {
    this.dir = dirname(path);
    const name = basename(path);
    // `.jsonl.gz` counts as one extension, so rolled files keep it whole.
    const gz = name.endsWith('.gz') ? '.gz' : '';
    const inner = name.slice(0, name.length - gz.length);
    this.ext = extname(inner) + gz;
    this.stem = name.slice(0, name.length - this.ext.length);
  }

  async open(): Promise<void> {
    makeDirectorySync(this.dir);
    this.handle = await open(this.path, 'a');
    const info = await stat(this.path);
    this.size = info.size;
    // A file left by an earlier run is as old as the wall clock says, once; from then on its age
    // is counted on the monotonic clock, so that a clock set back does not keep it for that long.
    const age = info.size > 0 ? Math.max(0, this.clock.wall() - Math.min(info.birthtimeMs || info.mtimeMs, info.mtimeMs)) : 0;
    this.openedAt = this.clock.elapsed() - age;
  }

  /**
   * Appends one chunk whole or not at all, rolling first when the chunk would pass the size limit
   * or the file is too old. The file is opened here when it is not open yet.
   */
  append(chunk: Uint8Array): Promise<void> {
    const done = this.tail.then(() => this.appendNow(chunk));
    this.tail = done.catch(() => {});
    return done;
  }

  private async appendNow(chunk: Uint8Array): Promise<void> {
    if (!this.handle) await this.open();
    const { maxBytes, maxAgeMs } = this.policy;
    const tooBig = maxBytes > 0 && this.size > 0 && this.size + chunk.length > maxBytes;
    const tooOld = maxAgeMs > 0 && this.size > 0 && this.clock.elapsed() - this.openedAt >= maxAgeMs;
    if (tooBig || tooOld) await this.roll();
    const handle = this.handle!;
    try {
      // write() may write only part of a chunk (a disk that fills up): go on until all of it is in.
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        if (bytesWritten === 0) throw new Error(`no progress writing ${this.path}`);
        done += bytesWritten;
      }
    } catch (err) {
      // Cut what part of the chunk got in, so that the retry does not leave half a line behind.
      await handle.truncate(this.size).catch(() => undefined);
      throw err;
    }
    this.size += chunk.length;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async roll(): Promise<void> {
    await this.close();
    const stamp = new Date(this.clock.wall()).toISOString().replace(/:/g, '-');
    let target = join(this.dir, `${this.stem}-${stamp}${this.ext}`);
    for (let n = 1; await exists(target); n++) target = join(this.dir, `${this.stem}-${stamp}-${n}${this.ext}`);
    await rename(this.path, target);
    await this.prune();
    await this.open();
  }

  /** A file this one rolled: its stem, the roll's time as roll() writes it, its extension; not another file that starts the same. */
  private isRolled(name: string): boolean {
    if (!name.startsWith(`${this.stem}-`) || !name.endsWith(this.ext)) return false;
    return ROLL_STAMP.test(name.slice(this.stem.length + 1, name.length - this.ext.length));
  }

  private async prune(): Promise<void> {
    if (this.policy.maxFiles <= 0) return;
    const rolled = (await readdir(this.dir)).filter((f) => this.isRolled(f)).sort();
    for (const old of rolled.slice(0, Math.max(0, rolled.length - this.policy.maxFiles))) await unlink(join(this.dir, old));
  }
}

/** The time roll() puts in a rolled file's name (an ISO time with `-` for `:`), with its `-n` when two rolls share a millisecond. */
const ROLL_STAMP = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z(-\d+)?$/;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
