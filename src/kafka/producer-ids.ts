/**
 * Runs on: main thread.
 *
 * Producer ids for InitProducerId that never repeat, across restarts too: they are handed out
 * from blocks of ID_BLOCK, and the end of a block is written to
 * <data_dir>/meta/kafka-producer-ids.json (atomically, synced) before its first id goes out, as
 * Kafka's controller hands out blocks of 1000. After a restart the next id is the end of the
 * last block written: at most one block of ids is skipped, none is given twice. (The largest
 * producer id in the log would not do: an id handed out just before a restart may not have
 * been used in a batch yet.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { ConfigError } from '../errors.js';
import { metadataDir } from '../log/embedded/metadata-store.js';
import { storageError } from '../log/storage-error.js';

const ID_BLOCK = 1000;
const FILE = 'kafka-producer-ids.json';

interface ProducerIdsFile {
  version: 1;
  /** Every id below this may have been handed out. */
  nextBlockStart: number;
}

export class ProducerIds {
  private readonly path: string;
  private next = 0;
  private blockEnd = 0;

  constructor(dataDir: string) {
    this.path = join(metadataDir(dataDir), FILE);
  }

  /** Reads where the last block ended; a data directory without the file starts at 0. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storageError(err, `reading the Kafka producer ids ${this.path}`);
    }
    let start: unknown;
    try {
      start = (JSON.parse(text) as Partial<ProducerIdsFile>).nextBlockStart;
    } catch {}
    if (!Number.isSafeInteger(start) || (start as number) < 0) {
      throw new ConfigError(
        `${this.path} does not hold a valid nextBlockStart; write {"version":1,"nextBlockStart":N} with N above every producer id handed out (the current time in milliseconds is safe)`,
      );
    }
    this.next = start as number;
    this.blockEnd = start as number;
  }

  /** The next id; takes a new block (a synced write) when the current one is used up. */
  take(): number {
    if (this.next >= this.blockEnd) {
      const end = this.next + ID_BLOCK;
      try {
        writeFileAtomically(this.path, `${JSON.stringify({ version: 1, nextBlockStart: end } satisfies ProducerIdsFile)}\n`);
      } catch (err) {
        throw storageError(err, `writing the Kafka producer ids ${this.path}`);
      }
      this.blockEnd = end;
    }
    return this.next++;
  }
}
