// Runs on: main thread.
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { ConfigError, TributaryError } from '../errors.js';
import { storageError } from '../log/storage-error.js';
import type { TopicPartition } from '../log/types.js';
import { makeDirectorySync } from '../make-directory.js';
import type { Logger } from '../telemetry/logger.js';
import { topicPartitionKey } from './assignors/assignor.js';
import type { CommittedOffset } from './types.js';

/**
 * Committed offsets, durable across kill -9, in <data_dir>/groups/:
 * - `offsets.journal`: append-only, one line per committed offset (or per deleted group, or per
 *   deleted topic: its offsets in every group), `<crc32c hex> <json>\n`.
 *   Concurrent commits share one write and one fdatasync; a commit resolves only
 *   once its line is synced, and only then becomes visible to fetches.
 * - `offsets.snapshot`: every group's latest offsets, written when the journal passes
 *   `snapshotEveryBytes`, or the size of the last snapshot when that is larger (write to a temp
 *   file, fsync, rename, fsync the directory), after which the journal is emptied. Many groups'
 *   offsets at rest are thus rewritten once per as many bytes of commits, never every few KiB. A crash between rename and truncation only replays lines the
 *   snapshot already holds, and replaying is idempotent (last line wins).
 * Recovery loads the snapshot, replays the journal and cuts a torn or corrupt tail (a commit
 * that was never acknowledged), reporting what it cut; a damaged line before intact ones is
 * skipped (reported), the commits after it kept.
 */
export interface OffsetStoreOptions {
  dir: string;
  logger: Logger;
  snapshotEveryBytes?: number;
}

/**
 * A committed offset; or, with `d`, the group's offsets all forgotten (its deletion); or, with `d`
 * and a topic but no group, that topic's offsets forgotten in every group (the topic's deletion).
 */
type JournalEntry = { g: string; t: string; p: number; o: number; m?: string; ts: number } | { g: string; d: 1; ts: number } | { t: string; d: 1; ts: number };

interface PendingWrite {
  /** The journal lines. */
  text: string;
  /** Makes the write visible, once its lines are synced. */
  apply(): void;
  resolve(): void;
  reject(err: unknown): void;
}

const JOURNAL = 'offsets.journal';
const SNAPSHOT = 'offsets.snapshot';

function encodeLine(json: string): string {
  return `${crc32c(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The JSON of a line whose checksum holds, or undefined. */
function decodeLine(line: string): string | undefined {
  const json = line.slice(9);
  return line[8] === ' ' && Number.parseInt(line.slice(0, 8), 16) === crc32c(json) ? json : undefined;
}

export class OffsetStore {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly snapshotEveryBytes: number;
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  /** The size of the snapshot on disk: the journal grows to it before the next one. */
  private snapshotBytes = 0;
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private failed: TributaryError | undefined;
  /** The last snapshot failed (logged once until one is written). */
  private snapshotFailing = false;

  constructor(private readonly options: OffsetStoreOptions) {
    this.snapshotEveryBytes = options.snapshotEveryBytes ?? 4 * 1024 * 1024;
  }

  async open(): Promise<void> {
    makeDirectorySync(this.options.dir);
    await this.loadSnapshot();
    const path = join(this.options.dir, JOURNAL);
    try {
      this.journal = await open(path, 'a+');
      await this.replayJournal(this.journal, path);
    } catch (err) {
      throw storageError(err, `opening the offset journal ${path}`);
    }
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.journal?.close();
    this.journal = undefined;
  }

  groups(): string[] {
    return [...this.offsets.keys()];
  }

  /** The group's committed offsets, all of them or only those of `partitions`. */
  fetch(group: string, partitions?: readonly TopicPartition[]): CommittedOffset[] {
    const byPartition = this.offsets.get(group);
    if (!byPartition) return [];
    if (!partitions) return [...byPartition.values()];
    return partitions.flatMap((tp) => byPartition.get(topicPartitionKey(tp)) ?? []);
  }

  /** Resolves once the offsets are synced to disk. */
  commit(group: string, offsets: readonly { topic: string; partition: number; offset: number; metadata?: string }[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.journal) return Promise.reject(new TributaryError('SHUTTING_DOWN', 'the offset store is closed'));
    const commitTimestamp = Date.now();
    const entries = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata, commitTimestamp }));
    const text = entries.map((o) => encodeLine(JSON.stringify(toEntry(group, o)))).join('');
    return this.write(text, () => {
      for (const o of entries) this.apply(group, o);
    });
  }

  /** Forgets every offset the group committed; resolves once that is synced to disk. */
  forget(group: string): Promise<void> {
    return this.write(encodeLine(JSON.stringify({ g: group, d: 1, ts: Date.now() })), () => this.offsets.delete(group));
  }

  /** Forgets the offsets every group committed on `topic` (deleted); resolves once that is synced to disk. */
  forgetTopic(topic: string): Promise<void> {
    return this.write(encodeLine(JSON.stringify({ t: topic, d: 1, ts: Date.now() })), () => this.dropTopic(topic));
  }

  private write(text: string, apply: () => void): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.journal) return Promise.reject(new TributaryError('SHUTTING_DOWN', 'the offset store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ text, apply, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushQueue().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushQueue(): Promise<void> {
    while (this.queue.length > 0 && this.journal) {
      const batch = this.queue.splice(0);
      const bytes = Buffer.from(batch.map((w) => w.text).join(''));
      try {
        // A write the disk has room for only in part returns short, without an error: the next
        // one gets the ENOSPC, and the line is never taken as written.
        for (let written = 0; written < bytes.length; ) written += (await this.journal.write(bytes, written, bytes.length - written, null)).bytesWritten;
        await this.journal.datasync();
      } catch (cause) {
        // A half-written line would end the journal for recovery; cut it, or stop taking commits.
        await this.journal.truncate(this.journalBytes).catch(() => {
          this.failed = new TributaryError('INTERNAL', 'the offset journal could not be repaired; restart', { cause });
        });
        const err = new TributaryError('INTERNAL', storageError(cause, 'offset commit').message, { cause, retriable: !this.failed });
        for (const w of batch) w.reject(err);
        continue;
      }
      this.journalBytes += bytes.length;
      for (const w of batch) {
        w.apply();
        w.resolve();
      }
      if (this.journalBytes >= Math.max(this.snapshotEveryBytes, this.snapshotBytes)) await this.snapshotOrKeepJournal();
    }
  }

  /**
   * A snapshot that cannot be written (a full disk) costs nothing but its size on disk: the
   * commits are in the journal, which grows on and is snapshotted at a later commit.
   */
  private async snapshotOrKeepJournal(): Promise<void> {
    try {
      await this.snapshot();
      if (this.snapshotFailing) this.options.logger.info('the offset snapshot is written again', { file: SNAPSHOT });
      this.snapshotFailing = false;
    } catch (err) {
      await rm(join(this.options.dir, `${SNAPSHOT}.tmp`), { force: true }).catch(() => {});
      if (!this.snapshotFailing) {
        this.options.logger.warn('the offset snapshot could not be written; commits go on in the journal, and it is tried again at the next commit', {
          file: SNAPSHOT,
          journalBytes: this.journalBytes,
          error: storageError(err, 'writing the offset snapshot').message,
        });
      }
      this.snapshotFailing = true;
    }
  }

  private replay(entry: JournalEntry): void {
    if (!('g' in entry)) this.dropTopic(entry.t);
    else if ('d' in entry) this.offsets.delete(entry.g);
    else this.apply(entry.g, fromEntry(entry));
  }

  /** A group left with no offsets is gone from the store, as a deleted one is. */
  private dropTopic(topic: string): void {
    for (const [group, byPartition] of this.offsets) {
      for (const [key, o] of byPartition) if (o.topic === topic) byPartition.delete(key);
      if (byPartition.size === 0) this.offsets.delete(group);
    }
  }

  private apply(group: string, offset: CommittedOffset): void {
    const byPartition = this.offsets.get(group) ?? new Map<string, CommittedOffset>();
    this.offsets.set(group, byPartition);
    byPartition.set(topicPartitionKey(offset), offset);
  }

  private async snapshot(): Promise<void> {
    const lines = [...this.offsets].flatMap(([group, byPartition]) => [...byPartition.values()].map((o) => encodeLine(JSON.stringify(toEntry(group, o)))));
    const bytes = Buffer.from(lines.join(''));
    const tmp = join(this.options.dir, `${SNAPSHOT}.tmp`);
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.options.dir, SNAPSHOT));
    const dir = await open(this.options.dir, 'r');
    await dir.sync().finally(() => dir.close());
    await this.journal!.truncate(0);
    this.journalBytes = 0;
    this.snapshotBytes = bytes.length;
  }

  private async loadSnapshot(): Promise<void> {
    const path = join(this.options.dir, SNAPSHOT);
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw storageError(err, `reading the offset snapshot ${path}`);
    });
    const { entries, goodBytes, damagedLines } = parseLines(bytes, path);
    this.snapshotBytes = bytes.length;
    // The snapshot is renamed into place whole; a bad line means the disk lost data.
    if (damagedLines > 0 || goodBytes !== bytes.length) {
      this.options.logger.error('offset snapshot is damaged; the offsets on its damaged lines are lost', { file: SNAPSHOT, damagedLines });
    }
    for (const e of entries) this.replay(e);
  }

  private async replayJournal(journal: FileHandle, path: string): Promise<void> {
    const bytes = await journal.readFile();
    const { entries, goodBytes, damagedLines } = parseLines(bytes, path);
    for (const e of entries) this.replay(e);
    // Lines are independent commits: one the disk damaged costs only itself.
    if (damagedLines > 0) this.options.logger.warn('skipped damaged lines of the offset journal; the commits after them are kept', { file: JOURNAL, damagedLines });
    if (goodBytes < bytes.length) {
      await journal.truncate(goodBytes);
      this.options.logger.warn('cut a torn tail of the offset journal', { file: JOURNAL, truncatedBytes: bytes.length - goodBytes });
    }
    this.journalBytes = goodBytes;
  }
}

function toEntry(group: string, o: CommittedOffset): JournalEntry {
  return { g: group, t: o.topic, p: o.partition, o: o.offset, ...(o.metadata === undefined ? {} : { m: o.metadata }), ts: o.commitTimestamp };
}

function fromEntry(e: Extract<JournalEntry, { o: number }>): CommittedOffset {
  return { topic: e.t, partition: e.p, offset: e.o, ...(e.m === undefined ? {} : { metadata: e.m }), commitTimestamp: e.ts };
}

/**
 * The entry a line with a valid checksum holds. Such a line was written whole, so one that is
 * neither a commit nor a deletion was written by another version (a rollback after an upgrade):
 * applied as a commit it made up a partition, and skipping it could lose a commit or a deletion,
 * so the open is refused naming the file and the line. Keys a commit does not need are ignored:
 * a later version may add some, but must give an entry of another meaning another shape.
 */
function entryOf(json: string, path: string, line: number): JournalEntry {
  let e: Record<string, unknown> | undefined;
  try {
    e = JSON.parse(json) as Record<string, unknown>;
  } catch {}
  if (typeof e === 'object' && e !== null && e.g === undefined && e.d === 1 && typeof e.t === 'string' && Number.isFinite(e.ts)) return { t: e.t, d: 1, ts: e.ts as number };
  if (typeof e === 'object' && e !== null && typeof e.g === 'string' && Number.isFinite(e.ts)) {
    if (e.d === 1 && e.t === undefined) return { g: e.g, d: 1, ts: e.ts as number };
    const metadataOk = e.m === undefined || e.m === null || typeof e.m === 'string';
    if (e.d === undefined && typeof e.t === 'string' && Number.isSafeInteger(e.p) && Number.isSafeInteger(e.o) && metadataOk) return e as JournalEntry;
  }
  throw new ConfigError(
    `${path} line ${line} is not an entry this version of Tributary reads (${json.slice(0, 120)}): a newer version wrote it; start that version again, ` +
      'or restore the groups directory from a backup taken before the upgrade',
    { details: { file: path, line } },
  );
}

/**
 * The entries of every whole, intact line; where the last of them ends (what follows is a torn
 * tail); and how many bad lines came before it. Split on bytes, so that a damaged byte that is not
 * UTF-8 cannot shift where the lines after it start.
 */
function parseLines(bytes: Buffer, path: string): { entries: JournalEntry[]; goodBytes: number; damagedLines: number } {
  const entries: JournalEntry[] = [];
  let goodBytes = 0;
  let badSinceGood = 0;
  let damagedLines = 0;
  let line = 0;
  for (let start = 0, end = bytes.indexOf(0x0a); end !== -1; start = end + 1, end = bytes.indexOf(0x0a, start)) {
    line++;
    const json = decodeLine(bytes.toString('utf8', start, end));
    if (json === undefined) {
      badSinceGood++;
      continue;
    }
    entries.push(entryOf(json, path, line));
    damagedLines += badSinceGood;
    badSinceGood = 0;
    goodBytes = end + 1;
  }
  return { entries, goodBytes, damagedLines };
}
