// Runs on: broker thread.
/** Entry of a broker worker thread; the work is in broker/broker-server.ts. */
import { parentPort } from 'node:worker_threads';
import type { BrokerWorkerData } from '../src/log/embedded/broker-protocol.js';
import { withWorkerData } from '../src/spawn-worker.js';
import { startBrokerServer } from './broker/broker-server.js';

if (!parentPort) throw new Error('workers/broker.ts runs as a worker thread');
const port = parentPort;
withWorkerData<BrokerWorkerData>((data) => startBrokerServer(port, data));
