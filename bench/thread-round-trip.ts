// Runs on: main thread of the benchmark process, and the echo worker thread it starts.
/**
 * What the machine charges for handing work to another thread and back, without the engine: a
 * worker thread echoes `postMessage`s, with 1 and with 8 messages in flight. With one in flight
 * every message wakes a sleeping thread on each side, as a produce to an idle broker does; the CPU
 * per round trip is the floor under a batch's cost in the log engine. Prints one JSON object on
 * its last line.
 *
 *   node dist/bench/thread-round-trip.js [--messages 20000]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { round } from './lib/stats.js';

const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '20000' } } });
const MESSAGES = Number(args.messages);
const ECHO = `require('node:worker_threads').parentPort.on('message', function (m) { this.postMessage(m); });`;

async function roundTrips(worker: Worker, inFlight: number) {
  let sent = 0;
  let answered = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const onMessage = () => {
      answered++;
      if (sent < MESSAGES) worker.postMessage(sent++);
      else if (answered === MESSAGES) {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
    for (let i = 0; i < inFlight; i++) worker.postMessage(sent++);
  });
  const wallMicros = (performance.now() - start) * 1000;
  const used = process.cpuUsage(cpu);
  return { inFlight, microsPerRoundTrip: round(wallMicros / MESSAGES, 1), cpuMicrosPerRoundTrip: round((used.user + used.system) / MESSAGES, 1) };
}

const worker = new Worker(ECHO, { eval: true });
try {
  await roundTrips(worker, 1); // warm-up
  const results = [await roundTrips(worker, 1), await roundTrips(worker, 8)];
  for (const r of results) console.log(r);
  console.log(JSON.stringify({ bench: 'thread-round-trip', messages: MESSAGES, results }));
} finally {
  await worker.terminate();
}
