// Runs on: main thread of the benchmark process, and of the `--child` process it forks.
/**
 * The Redis Streams baseline's client in a process of its own: the benchmark sends it a workload,
 * it runs it against the server and answers with the figures. Each side then runs in a process
 * of its own, as the receiver benchmark's load generator does; with the client inside the
 * engine's process both sides measured slower (BENCHMARKS.md, log engine, session 4).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { runRedisStreams, type StreamsWorkload } from './redis-streams.js';

type Workload = Omit<StreamsWorkload, 'value'> & { valueBytes: number };
type Figures = Awaited<ReturnType<typeof runRedisStreams>>;

export interface RedisStreamsProcess {
  run(workload: Workload): Promise<Figures>;
  close(): void;
}

export function startRedisStreamsProcess(): RedisStreamsProcess {
  // Run from sources (tsx) or from a build, the child is this very file.
  const fromSource = import.meta.filename.endsWith('.ts');
  const child: ChildProcess = fork(import.meta.filename, ['--child'], { execArgv: fromSource ? ['--import', 'tsx'] : [] });
  return {
    run: (workload) =>
      new Promise((resolve, reject) => {
        child.once('message', (reply: { figures?: Figures; error?: string }) => (reply.figures ? resolve(reply.figures) : reject(new Error(reply.error))));
        child.send(workload);
      }),
    close: () => child.kill(),
  };
}

if (process.argv.includes('--child') && process.send) {
  process.on('message', (w: Workload) => {
    runRedisStreams({ ...w, value: Buffer.alloc(w.valueBytes, 0x61) }).then(
      (figures) => process.send!({ figures }),
      (err: unknown) => process.send!({ error: String(err) }),
    );
  });
}
