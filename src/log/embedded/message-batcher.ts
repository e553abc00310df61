// Runs on: both sides of a broker channel (the main thread or a sink worker, and the broker thread).
import type { TransferListItem } from 'node:worker_threads';

/**
 * Batch bytes a turn may gather before its messages are posted at once: the other thread then
 * starts on them while this one goes on reading (see push's `bytes`).
 */
export const FLUSH_BYTES = 256 * 1024;

/**
 * Gathers the messages one side of a broker channel sends during a turn of the event loop and
 * posts them as one array, with one transfer list, once the turn's I/O is handled (setImmediate;
 * Node runs microtasks after every message a port delivers, so a microtask would post per
 * message). Concurrent produces and their replies then cost one postMessage (and one wakeup of
 * the other thread) per turn instead of one each. A turn that gathers FLUSH_BYTES of batches
 * posts them at once instead: a Kafka producer's pipelined 1 MB requests are read in one turn,
 * and held to its end the broker idled while they were read, then the main thread while the
 * broker wrote them all, and the producer waited for both.
 */
export class MessageBatcher<T> {
  private messages: T[] = [];
  private transfer: TransferListItem[] = [];
  private scheduled = false;
  private bytes = 0;

  constructor(private readonly post: (messages: T[], transfer: TransferListItem[]) => void) {}

  /** `bytes`: the batch bytes the message carries or answers for (a produce and its reply), counted towards FLUSH_BYTES. */
  push(message: T, transfer?: readonly TransferListItem[], bytes = 0): void {
    this.messages.push(message);
    if (transfer) for (const buffer of transfer) this.transfer.push(buffer);
    this.bytes += bytes;
    if (this.bytes >= FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Posts what is gathered now (the turn's scheduled post then takes what comes after). */
  flush(): void {
    this.bytes = 0;
    if (this.messages.length === 0) return;
    const { messages, transfer } = this;
    this.messages = [];
    this.transfer = [];
    this.post(messages, transfer);
  }
}
