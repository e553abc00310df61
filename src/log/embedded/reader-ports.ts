// Runs on: main thread.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import type { BrokerHandle } from './broker-handle.js';

/**
 * Gets a port to a broker, at once for each running broker and again whenever one (re)starts,
 * with the memory of the broker's change count (BrokerHandle.changeCount), so that a reader on
 * another thread drops batches it holds once the broker lost bytes it may have served.
 */
export type ReaderPortListener = (brokerId: number, port: MessagePort, changeCounts: SharedArrayBuffer) => void;

/**
 * Other threads that read the brokers directly (sink workers), so that record bytes do not pass
 * through the main thread: each gets one end of a channel to every running broker, and a fresh
 * one whenever a broker (re)starts (a port closes when its broker thread ends).
 */
export class ReaderPorts {
  private readonly listeners = new Set<ReaderPortListener>();

  constructor(
    private readonly brokers: readonly BrokerHandle[],
    private readonly logger: Logger,
  ) {}

  /** Hands `listener` a port to each running broker now and after every broker start; returns the way to stop that. */
  add(listener: ReaderPortListener): () => void {
    this.listeners.add(listener);
    for (const broker of this.brokers) if (broker.state === 'running') this.attach(broker.id, listener);
    return () => this.listeners.delete(listener);
  }

  /** A broker (re)started: every reader gets a port to it. */
  brokerStarted(brokerId: number): void {
    for (const listener of this.listeners) this.attach(brokerId, listener);
  }

  private attach(brokerId: number, listener: ReaderPortListener): void {
    const { port1, port2 } = new MessageChannel();
    this.brokers[brokerId].attach(port1).then(
      () => {
        if (this.listeners.has(listener)) listener(brokerId, port2, this.brokers[brokerId].changeCountMemory);
        else port2.close();
      },
      (err) => {
        port2.close();
        // The broker died meanwhile: its restart attaches the reader again.
        this.logger.warn('could not attach a reader to a broker', { broker: brokerId, error: err });
      },
    );
  }
}
