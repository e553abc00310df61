/**
 * Runs on: sink workers (a reader's port to one broker thread).
 *
 * Requests by id over a port the broker attached for this thread (EmbeddedBackend.addReader),
 * gathered per turn of the event loop as the controller's are. When the port closes (the broker
 * thread ended, or shut down), every call waiting on it fails with BROKER_UNAVAILABLE, which is
 * retriable: the broker's restart brings a new port.
 */
import type { MessagePort } from 'node:worker_threads';
import { TributaryError } from '../../src/errors.js';
import type { BrokerMessage, BrokerReplies, ReaderRequest } from '../../src/log/embedded/broker-protocol.js';
import { MessageBatcher } from '../../src/log/embedded/message-batcher.js';

type Pending = { resolve: (value: unknown) => void; reject: (err: TributaryError) => void };
type ReaderOp = ReaderRequest['op'];

export class BrokerChannel {
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: MessageBatcher<ReaderRequest>;
  private nextId = 1;
  private open = true;

  constructor(
    readonly brokerId: number,
    private readonly port: MessagePort,
  ) {
    this.outbox = new MessageBatcher((messages, transfer) => port.postMessage(messages, transfer));
    port.on('message', (messages: BrokerMessage[]) => {
      for (const message of messages) this.onMessage(message);
    });
    port.once('close', () => this.close());
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Hands a fetched ArrayBuffer back to the broker (transferred: it is unusable here afterwards). Never answered. */
  giveBack(buffer: ArrayBuffer): void {
    if (this.open) this.outbox.push({ id: -1, op: 'recycle', buffer }, [buffer]);
  }

  request<K extends Exclude<ReaderOp, 'recycle'>>(body: Omit<Extract<ReaderRequest, { op: K }>, 'id'>): Promise<BrokerReplies[K]> {
    if (!this.open) return Promise.reject(this.unavailable());
    const id = this.nextId++;
    const message = { ...body, id } as unknown as ReaderRequest;
    return new Promise<BrokerReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.outbox.push(message);
    });
  }

  /** Stops using the port; calls in flight fail as retriable. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.port.close();
    const err = this.unavailable();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private onMessage(message: BrokerMessage): void {
    if ('log' in message) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(TributaryError.fromJSON(message.error));
  }

  private unavailable(): TributaryError {
    return new TributaryError('BROKER_UNAVAILABLE', `broker ${this.brokerId} is not reachable from this thread (restarting or stopped)`, {
      retriable: true,
      details: { broker: this.brokerId },
    });
  }
}
