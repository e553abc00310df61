// Runs on: main thread.
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { TributaryError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { backoffDelay } from '../../retry/backoff.js';
import type { BrokerInfo } from '../types.js';
import {
  type BatchBytes,
  type BrokerMessage,
  type BrokerOp,
  type BrokerReplies,
  type BrokerRequest,
  type BrokerSettings,
  type BrokerWorkerData,
  type OpenedPartition,
  type PartitionAssignment,
  toBatchBytes,
} from './broker-protocol.js';
import { BatchRingWriter, type RingSlice } from './batch-ring.js';
import { MessageBatcher } from './message-batcher.js';
import { spawnWorkerThread } from '../../spawn-worker.js';

export interface BrokerHandleOptions {
  brokerId: number;
  settings: BrokerSettings;
  /** What the broker leads, asked afresh at every (re)start so new topics are included. */
  assignments: () => PartitionAssignment[];
  /** Called with what each partition's recovery found, after every (re)start. */
  onOpened: (brokerId: number, opened: OpenedPartition[]) => void;
  onRestart: (brokerId: number) => void;
  logger: Logger;
  restartBackoff?: { initialMs: number; maxMs: number };
}

type Pending = { resolve: (value: unknown) => void; reject: (err: TributaryError) => void };
type RequestBody<K extends BrokerOp> = Omit<Extract<BrokerRequest, { op: K }>, 'id'>;

/**
 * The controller's side of one broker thread: request/response by id over postMessage, and the
 * thread's life. A thread that dies fails every call waiting on it with BROKER_UNAVAILABLE
 * (retriable) and is started again with exponential backoff; it recovers its partitions on open.
 */
export class BrokerHandle {
  state: BrokerInfo['state'] = 'stopped';
  restarts = 0;
  partitions = 0;

  private worker: Worker | undefined;
  private outbox: MessageBatcher<BrokerRequest> | undefined;
  /** Shared with the current thread only: a restarted thread gets a fresh ring. */
  private ring: BatchRingWriter | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failures = 0;
  /** Until the first successful open, a dying thread fails start() instead of being restarted. */
  private hasRun = false;
  private lastError: Error | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stateWaiters: { resolve: () => void; reject: (err: TributaryError) => void }[] = [];
  private readonly backoff: { initialMs: number; maxMs: number };
  /** Shared with every thread this handle starts (see BrokerWorkerData.changes). */
  private readonly changes = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: BrokerHandleOptions) {
    this.backoff = options.restartBackoff ?? { initialMs: 100, maxMs: 10_000 };
  }

  get id(): number {
    return this.options.brokerId;
  }

  /** Spawns the thread and opens its partitions; resolves once it serves requests. */
  start(): Promise<void> {
    this.spawn();
    return this.whenRunning();
  }

  /** Resolves when the broker is running; rejects when it is stopped for good. */
  whenRunning(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'stopped' && !this.worker) return Promise.reject(this.unavailable('is stopped'));
    return new Promise((resolve, reject) => this.stateWaiters.push({ resolve, reject }));
  }

  /** `bytes`: the batch bytes a produce carries (MessageBatcher posts at once past FLUSH_BYTES). */
  request<K extends BrokerOp>(body: RequestBody<K>, transfer?: TransferListItem[], bytes = 0): Promise<BrokerReplies[K]> {
    const outbox = this.outbox;
    if (!outbox) return Promise.reject(this.unavailable(this.state === 'restarting' ? 'is restarting' : 'is stopped'));
    const id = this.nextId++;
    const message = body as unknown as BrokerRequest;
    message.id = id;
    return new Promise<BrokerReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      outbox.push(message, transfer, bytes);
    });
  }

  /** How many times the broker's log lost bytes it may have served (retention, recovery, dropped partitions). */
  changeCount(): number {
    return Atomics.load(this.changes, 0);
  }

  /** The memory of changeCount(), for other threads that read this broker (sink workers). */
  get changeCountMemory(): SharedArrayBuffer {
    return this.changes.buffer as SharedArrayBuffer;
  }

  /**
   * Room for a batch of `size` bytes in the running thread's ring, or a buffer of its own when the
   * ring is full or the thread is not up. A ring slice must be sent with produce, or the ring
   * stalls (and falls back to buffers) until the thread is restarted.
   */
  allocateBatch(size: number): Buffer {
    return this.ring?.allocate(size) ?? Buffer.allocUnsafe(size);
  }

  /** How a batch from allocateBatch() travels: as its ring slice, or transferred. */
  batchPayload(batch: Buffer): { bytes: BatchBytes | RingSlice; transfer: ArrayBuffer[] } {
    const slice = this.ring?.sliceOf(batch);
    return slice ? { bytes: slice, transfer: [] } : toBatchBytes(batch);
  }

  /** Hands the running thread one end of a channel another thread reads through (fetches only). */
  attach(port: MessagePort): Promise<null> {
    return this.request<'attach'>({ op: 'attach', port }, [port]);
  }

  /** Sends a request that is never answered (produce with acks 0). */
  send(body: RequestBody<'produce'>, transfer?: ArrayBuffer[], bytes = 0): void {
    const outbox = this.outbox;
    if (!outbox) throw this.unavailable(this.state === 'restarting' ? 'is restarting' : 'is stopped');
    const message = body as unknown as BrokerRequest;
    message.id = -1;
    outbox.push(message, transfer, bytes);
  }

  /** Gives a fetch's ArrayBuffer back to the running thread to read into again (the broker's BufferPool of fetch memory); dropped when none runs. */
  recycle(buffer: ArrayBuffer): void {
    this.outbox?.push({ id: -1, op: 'recycle', buffer }, [buffer]);
  }

  /** Ends the thread abruptly, as a crash would; the controller restarts it. */
  async kill(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await worker.terminate();
    await exited;
  }

  /** Closes the partitions cleanly (appends in flight finish, everything is flushed), then ends the thread. */
  async shutdown(): Promise<void> {
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.state = 'stopped';
    if (!worker) {
      this.settleWaiters(this.unavailable('is stopped'));
      return;
    }
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    try {
      await this.request<'close'>({ op: 'close' });
    } catch (err) {
      this.options.logger.warn('broker did not close cleanly', { broker: this.id, error: err });
    }
    await worker.terminate();
    await exited;
  }

  private spawn(): void {
    const ring = new BatchRingWriter();
    const data: BrokerWorkerData = { brokerId: this.id, settings: this.options.settings, ring: ring.memory, changes: this.changes.buffer as SharedArrayBuffer };
    const worker = spawnWorkerThread('broker', { workerData: data, name: `tributary-broker-${this.id}` });
    this.worker = worker;
    this.ring = ring;
    this.outbox = new MessageBatcher((messages, transfer) => worker.postMessage(messages, transfer));
    this.state = 'starting';
    worker.on('message', (messages: BrokerMessage[]) => {
      for (const message of messages) this.onMessage(message);
    });
    worker.on('error', (err) => {
      this.lastError = err;
      this.options.logger.error('broker thread failed', { broker: this.id, error: err });
    });
    worker.once('exit', (code) => this.onExit(worker, code));
    const assignments = this.options.assignments();
    this.partitions = assignments.length;
    this.request<'open'>({ op: 'open', partitions: assignments }).then(
      (opened) => {
        // A shutdown that began while the partitions opened keeps the broker stopped.
        if (this.worker !== worker || this.state === 'stopped') return;
        this.failures = 0;
        this.hasRun = true;
        this.state = 'running';
        this.options.onOpened(this.id, opened);
        this.settleWaiters();
      },
      (err: TributaryError) => {
        if (this.worker !== worker) return;
        this.lastError = err;
        this.options.logger.error('broker could not open its partitions', { broker: this.id, error: err });
        void worker.terminate();
      },
    );
  }

  private onMessage(message: BrokerMessage): void {
    if ('log' in message) {
      this.options.logger[message.log](message.message, { broker: this.id, ...message.fields });
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(TributaryError.fromJSON(message.error));
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.outbox = undefined;
    this.ring = undefined;
    const reason = this.state === 'stopped' ? 'is stopped' : `thread exited (code ${code})`;
    const err = this.unavailable(reason);
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    if (this.state === 'stopped') {
      this.settleWaiters(err);
      return;
    }
    if (!this.hasRun) {
      this.state = 'stopped';
      const detail = this.lastError ? `: ${this.lastError.message}` : '';
      this.settleWaiters(new TributaryError('BROKER_UNAVAILABLE', `broker ${this.id} failed to start${detail}`, { cause: this.lastError }));
      return;
    }
    this.state = 'restarting';
    this.restarts++;
    this.options.onRestart(this.id);
    const delay = backoffDelay({ initial_interval: this.backoff.initialMs, max_interval: this.backoff.maxMs, max_elapsed_time: 0 }, this.failures++);
    this.options.logger.warn('broker thread died; restarting it', { broker: this.id, code, delayMs: delay });
    this.restartTimer = setTimeout(() => this.spawn(), delay);
  }

  private settleWaiters(err?: TributaryError): void {
    const waiters = this.stateWaiters;
    this.stateWaiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  private unavailable(reason: string): TributaryError {
    return new TributaryError('BROKER_UNAVAILABLE', `broker ${this.id} ${reason}`, { retriable: true, details: { broker: this.id } });
  }
}
