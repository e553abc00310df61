/**
 * Runs on: a sink worker.
 *
 * A pipeline's sink when it runs on the main thread (a factory marked `mainThread`: its client
 * works only there). The members here keep batching, retries, dead letters and metrics; each
 * export crosses to the main thread's sink, which the main thread starts and shuts down.
 */
import type { MainThreadCalls } from '../../src/sinks/runtime/sink-worker-protocol.js';
import type { ExportOutcome, Sink, SinkBatch } from '../../src/sinks/sink.js';
import type { ThreadRpc } from '../../src/thread-rpc.js';

export function remoteSink(main: ThreadRpc<MainThreadCalls>, type: string, group: string): Sink {
  return {
    type,
    start: async () => {},
    export: (batch: SinkBatch): Promise<ExportOutcome> => main.call('sinkExport', group, batch),
    shutdown: async () => {},
  };
}
