/**
 * Runs on: both ends of a thread channel (main thread and sink workers).
 *
 * Calls between two threads over one port: each side serves a set of handlers and calls the
 * other's by name. Answers carry the call's id; a failure crosses as a serialized TributaryError,
 * so `code` and `retriable` survive the trip. For small control messages (group membership,
 * commits, start and stop); record bytes travel this way only where the Kafka client, which runs
 * on the main thread alone, reads or writes them (a poll of a Kafka consumer, a kafka sink's
 * export) and for dead letters, never from the embedded engine's brokers.
 */
import type { TransferListItem } from 'node:worker_threads';
import { asTributaryError, type SerializedError, TributaryError } from './errors.js';

type Args<F> = F extends (...args: infer A) => unknown ? A : never;
type Result<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

/** A MessagePort, a Worker, or a worker's parentPort. */
export interface RpcEndpoint {
  postMessage(value: unknown, transferList?: readonly TransferListItem[]): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

type RpcMessage =
  | { rpc: 'call'; id: number; method: string; args: unknown[] }
  | { rpc: 'reply'; id: number; ok: true; value: unknown }
  | { rpc: 'reply'; id: number; ok: false; error: SerializedError };

type Pending = { resolve: (value: unknown) => void; reject: (err: TributaryError) => void };

function isRpcMessage(value: unknown): value is RpcMessage {
  return typeof value === 'object' && value !== null && 'rpc' in value;
}

/** `Remote` is the interface of the other side's handlers; `handlers` implements this side's. */
export class ThreadRpc<Remote> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: TributaryError | undefined;
  private readonly listener = (value: unknown) => {
    if (isRpcMessage(value)) this.onMessage(value);
  };

  constructor(
    private readonly endpoint: RpcEndpoint,
    private readonly handlers: object,
  ) {
    endpoint.on('message', this.listener);
  }

  /** Calls the other side's handler; rejects with its error, or when the channel closes first. */
  call<K extends keyof Remote & string>(method: K, ...args: Args<Remote[K]>): Promise<Result<Remote[K]>> {
    return this.send(method, args, []);
  }

  /** As call, moving `transfer` (ports, buffers) to the other thread instead of copying. */
  callTransferring<K extends keyof Remote & string>(
    method: K,
    args: Args<Remote[K]>,
    transfer: readonly TransferListItem[],
  ): Promise<Result<Remote[K]>> {
    return this.send(method, args, transfer);
  }

  /** Calls without waiting for an answer (none is sent); for news the other side may act on. */
  notify<K extends keyof Remote & string>(method: K, ...args: Args<Remote[K]>): void {
    if (this.closed) return;
    this.endpoint.postMessage({ rpc: 'call', id: 0, method, args } satisfies RpcMessage);
  }

  /** Fails every call in flight with `reason` (the other thread is gone); later calls fail at once. */
  close(reason: TributaryError): void {
    if (this.closed) return;
    this.closed = reason;
    this.endpoint.off('message', this.listener);
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
  }

  private send<T>(method: string, args: unknown[], transfer: readonly TransferListItem[]): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.endpoint.postMessage({ rpc: 'call', id, method, args } satisfies RpcMessage, transfer);
    });
  }

  private onMessage(message: RpcMessage): void {
    if (message.rpc === 'reply') {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(TributaryError.fromJSON(message.error));
      return;
    }
    void this.serve(message);
  }

  private async serve({ id, method, args }: { id: number; method: string; args: unknown[] }): Promise<void> {
    let reply: RpcMessage;
    try {
      const handler = (this.handlers as Record<string, unknown>)[method];
      if (typeof handler !== 'function') throw new TributaryError('INTERNAL', `no handler for ${method} on this thread`);
      reply = { rpc: 'reply', id, ok: true, value: await handler(...args) };
    } catch (err) {
      reply = { rpc: 'reply', id, ok: false, error: asTributaryError(err).toJSON() };
    }
    if (id !== 0 && !this.closed) this.endpoint.postMessage(reply);
  }
}
