import type { TransferListItem } from 'node:worker_threads';

/**
 * Runs on: main thread, broker threads and sink workers (each side of a broker channel).
 *
 * Gathers the messages one side of a broker channel sends during a turn of the event loop and
 * posts them as one array, with one transfer list, once the turn's I/O is handled (setImmediate;
 * Node runs microtasks after every message a port delivers, so a microtask would post per
 * message). Concurrent produces and their replies then cost one postMessage (and one wakeup of
 * the other thread) per turn instead of one each.
 */
export class MessageBatcher<T> {
  private messages: T[] = [];
  private transfer: TransferListItem[] = [];
  private scheduled = false;

  constructor(private readonly post: (messages: T[], transfer: TransferListItem[]) => void) {}

  push(message: T, transfer?: readonly TransferListItem[]): void {
    this.messages.push(message);
    if (transfer) for (const buffer of transfer) this.transfer.push(buffer);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.messages.length === 0) return;
    const { messages, transfer } = this;
    this.messages = [];
    this.transfer = [];
    this.post(messages, transfer);
  }
}
