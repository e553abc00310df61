/** Runs on: a sink worker. Entry of a sink worker thread; the work is in sink/sink-worker.ts. */
import { parentPort } from 'node:worker_threads';
import { withWorkerData } from '../src/spawn-worker.js';
import type { SinkWorkerData } from '../src/sinks/runtime/sink-worker-protocol.js';
import { startSinkWorker } from './sink/sink-worker.js';

if (!parentPort) throw new Error('workers/sink.ts runs as a worker thread');
const port = parentPort;
withWorkerData<SinkWorkerData>((data) => startSinkWorker(port, data));
