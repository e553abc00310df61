/**
 * Runs on: main thread (of a test or benchmark). Starts librdkafka's mock cluster (Debian's
 * librdkafka-dev) in a child process built from kafka-mock-cluster.c with gcc, so tests of the
 * Kafka backend run against real Kafka protocol brokers without a JVM. The mock is in memory and
 * is not a real cluster: librdkafka 2.0.2's lacks CreateTopics, DescribeGroups and ListGroups.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/lib/kafka-mock-cluster.c');
const SOURCE_HERE = join(dirname(fileURLToPath(import.meta.url)), 'kafka-mock-cluster.c');

function sourcePath(): string {
  // From bench/lib (tsx) the source lies beside this file; from dist/bench/lib it is in the tree.
  return existsSync(SOURCE_HERE) ? SOURCE_HERE : SOURCE;
}

/** Why the mock cluster cannot be built here, or undefined when it can. */
export function mockClusterUnavailable(): string | undefined {
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) return 'librdkafka-dev is not installed (no /usr/include/librdkafka/rdkafka_mock.h)';
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'gcc is not installed';
  }
  return undefined;
}

/** Compiles the helper once per source version; the binary is cached in the temp directory. */
function buildMockCluster(): string {
  const source = readFileSync(sourcePath());
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'tributary-kafka-mock');
  const binary = join(dir, `kafka-mock-cluster-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const building = `${binary}.${process.pid}`;
  execFileSync('gcc', ['-O2', '-Wall', '-o', building, sourcePath(), '-lrdkafka'], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(building, binary); // atomic: a concurrent test never runs a half-written binary
  return binary;
}

export interface MockCluster {
  /** Bootstrap servers, host:port of every broker. */
  readonly brokers: string[];
  /** The helper process, whose CPU time is the mock brokers'. */
  readonly pid: number | undefined;
  /** Creates a topic in the mock (what a CreateTopics request would do on a real cluster). */
  createTopic(name: string, partitions: number): Promise<void>;
  /** Takes a broker (ids count from 1) down or back up: it closes its connections and refuses new ones. */
  setBrokerDown(id: number, down: boolean): Promise<void>;
  /**
   * The next requests of a Kafka API (by key: 0 Produce, 1 Fetch, 8 OffsetCommit, 11 JoinGroup,
   * 12 Heartbeat, ...), on any broker, are answered with these Kafka error codes, one each, in
   * order; -195 (librdkafka's transport error) makes the broker drop the connection instead.
   */
  pushRequestErrors(apiKey: number, errors: number[]): Promise<void>;
  /** The broker answers every request `ms` late (0: at once again). */
  setRtt(id: number, ms: number): Promise<void>;
  /** Moves a partition's leadership to another broker. */
  setLeader(topic: string, partition: number, id: number): Promise<void>;
  /** Moves a consumer group's coordinator to another broker. */
  setCoordinator(group: string, id: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startMockCluster(options: { brokers?: number; topics?: Record<string, number> } = {}): Promise<MockCluster> {
  const binary = buildMockCluster();
  const args = [String(options.brokers ?? 3), ...Object.entries(options.topics ?? {}).map(([t, p]) => `${t}:${p}`)];
  const child: ChildProcessWithoutNullStreams = spawn(binary, args, { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`kafka mock cluster exited: ${stderr.trim()}`);
    return value;
  };
  const first = await next();
  if (!first.startsWith('bootstrap ')) throw new Error(`kafka mock cluster: unexpected output "${first}"`);
  const brokers = first.slice('bootstrap '.length).split(',');
  let queue = Promise.resolve();
  const command = (line: string): Promise<void> => {
    const done = queue.then(async () => {
      child.stdin.write(`${line}\n`);
      const answer = await next();
      if (answer !== 'ok') throw new Error(`kafka mock cluster: ${line}: ${answer}: ${stderr.trim()}`);
    });
    queue = done.catch(() => {});
    return done;
  };
  return {
    brokers,
    pid: child.pid,
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    setBrokerDown: (id, down) => command(`${down ? 'down' : 'up'} ${id}`),
    pushRequestErrors: (apiKey, errors) => command(`errors ${apiKey} ${errors.join(' ')}`),
    setRtt: (id, ms) => command(`rtt ${id} ${ms}`),
    setLeader: (topic, partition, id) => command(`leader ${topic} ${partition} ${id}`),
    setCoordinator: (group, id) => command(`coordinator ${group} ${id}`),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
