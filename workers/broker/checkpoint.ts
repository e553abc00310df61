// Runs on: broker thread.
import { closeSync, constants, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';

/**
 * The recovery checkpoint of one partition, `recovery.checkpoint`: 32 bytes rewritten in place.
 *
 *   magic "TRCP" | version uint8 | clean uint8 | reserved uint16 | recoveryOffset int64 |
 *   segmentBaseOffset int64 | position uint32 | crc32c uint32 (of the 28 bytes before it)
 *
 * Everything before `position` in the segment `segmentBaseOffset` (and every earlier segment) was
 * fdatasync'ed before the checkpoint was written, so the checkpoint itself needs no fsync: on
 * disk it can only lag the data. A torn or missing checkpoint fails its CRC and means "recover
 * everything", which is slow but safe. `clean` is set only by a close that synced everything.
 */
export const CHECKPOINT_FILE = 'recovery.checkpoint';

export interface Checkpoint {
  clean: boolean;
  recoveryOffset: number;
  segmentBaseOffset: number;
  position: number;
}

const SIZE = 32;
const MAGIC = 0x54524350; // "TRCP"
const VERSION = 1;

export class CheckpointFile {
  private readonly buf = Buffer.alloc(SIZE);

  private constructor(private readonly fd: number) {}

  static open(path: string): CheckpointFile {
    return new CheckpointFile(openSync(path, constants.O_RDWR | constants.O_CREAT));
  }

  /** The stored checkpoint, or null when there is none or it does not check out. */
  read(): Checkpoint | null {
    const n = readSync(this.fd, this.buf, 0, SIZE, 0);
    const b = this.buf;
    if (n !== SIZE || b.readUInt32BE(0) !== MAGIC || b[4] !== VERSION) return null;
    if (crc32c(b.subarray(0, SIZE - 4)) !== b.readUInt32BE(SIZE - 4)) return null;
    return {
      clean: b[5] === 1,
      recoveryOffset: Number(b.readBigInt64BE(8)),
      segmentBaseOffset: Number(b.readBigInt64BE(16)),
      position: b.readUInt32BE(24),
    };
  }

  /** Rewrites the checkpoint; `durable` adds an fdatasync (for the clean and unclean marks). */
  write(checkpoint: Checkpoint, durable: boolean): void {
    const b = this.buf;
    b.writeUInt32BE(MAGIC, 0);
    b[4] = VERSION;
    b[5] = checkpoint.clean ? 1 : 0;
    b.writeUInt16BE(0, 6);
    b.writeBigInt64BE(BigInt(checkpoint.recoveryOffset), 8);
    b.writeBigInt64BE(BigInt(checkpoint.segmentBaseOffset), 16);
    b.writeUInt32BE(checkpoint.position, 24);
    b.writeUInt32BE(crc32c(b.subarray(0, SIZE - 4)), SIZE - 4);
    writeSync(this.fd, b, 0, SIZE, 0);
    if (durable) fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
