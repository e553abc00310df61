import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tributary } from '../e2e/cli-process.js';
import { clientAvailable, type KafkaGateway, PYTHON, run, startKafkaGateway, storedCodecs } from './helpers.js';
import { sendSpans, spanIdsOf } from './otlp-records.js';

const SCRIPT = join(import.meta.dirname, 'clients', 'produce_consume.py');
const CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/**
 * Every codec with both clients: librdkafka sends raw snappy, kafka-python the xerial framing of
 * Java clients (its snappy, lz4 and zstd come from python3-snappy, python3-lz4, python3-zstandard).
 */
const clients = [
  { client: 'confluent', label: 'python3-confluent-kafka (librdkafka 2.0)', module: 'confluent_kafka', codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] },
  { client: 'kafka-python', label: 'python3-kafka (kafka-python 2.0)', module: 'kafka, snappy, lz4.frame, zstandard', codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] },
] as const;

describe.each(clients)('$label against the Kafka listener', ({ client, label, module, codecs }) => {
  const available = clientAvailable(PYTHON, ['-c', `import ${module}`], label);
  let g: KafkaGateway;
  beforeAll(async () => {
    if (available) g = await startKafkaGateway({ partitions: 3 });
  }, 60_000);
  afterAll(() => g?.stop());
  const py = (...args: string[]) => run(PYTHON, [SCRIPT, client, g.bootstrap, ...args]);

  it.runIf(available)('lists every topic with its partitions', async () => {
    const { code, stdout, stderr } = await py('metadata');
    expect(code, stderr).toBe(0);
    const { topics } = JSON.parse(stdout.toString());
    expect(topics).toMatchObject({ otlp_spans: 3, otlp_metrics: 3, otlp_logs: 3, otlp_events: 3, events_in: 3 });
  });

  it.runIf(available)('consumes every span the OTLP receiver wrote, each record decoding alone as OTLP', async () => {
    const sent = await sendSpans(g.receiverUrl, 30, 4);
    const { code, stdout, stderr } = await py('consume', 'otlp_spans');
    expect(code, stderr).toBe(0);
    const records = stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.flatMap((r) => spanIdsOf(Buffer.from(r.value, 'base64'))).sort()).toEqual([...sent].sort());
  });

  it.runIf(available)('finds offsets by timestamp: the first record at or after it, with its timestamp, and none past the last', async () => {
    // Partition 2 of otlp_logs, written here only: records stamped 1000, 2000, 3000 ms.
    await g.gateway.backend.produce('otlp_logs', 2, [1000, 2000, 3000].map((timestamp) => ({ value: Buffer.from(`t${timestamp}`), timestamp })));
    const { code, stdout, stderr } = await py('times', 'otlp_logs', '2', '0', '2000', '2500', '3001');
    expect(code, stderr).toBe(0);
    // librdkafka reports no timestamp; kafka-python reports the record's.
    const stamp = (t: number) => (client === 'confluent' ? null : t);
    expect(JSON.parse(stdout.toString())).toEqual({ '0': [0, stamp(1000)], '2000': [1, stamp(2000)], '2500': [2, stamp(3000)], '3001': [null, null] });
  });

  it.runIf(available)('refuses an offset commit partition by partition: an unknown partition and metadata over 4096 bytes, the rest committed', async () => {
    const group = `partial-${client}`;
    const { code, stdout, stderr } = await run(PYTHON, [join(import.meta.dirname, 'clients', 'commit_offsets.py'), client, g.bootstrap, group, 'otlp_metrics']);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.toString());
    if (client === 'confluent') {
      expect(out.unknown_partition).toMatch(/UNKNOWN_TOPIC_OR_PART/);
      // As with Kafka, partition 0 of the same commit is committed; partition 1 is not.
      expect(out.committed).toEqual([7, -1001]);
      const body = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { partitions: { topic: string; partition: number; committedOffset: number }[] };
      expect(body.partitions.map((p) => [p.topic, p.partition, p.committedOffset])).toEqual([['otlp_metrics', 0, 7]]);
    } else {
      expect(out.large_metadata).toMatch(/OffsetMetadataTooLarge/);
      expect(out.with_metadata).toBeNull();
      // The metadata comes back over OffsetFetch, and the admin API shows it with the offset.
      expect(out.committed).toEqual([[5, 'checkpoint ünï'], null]);
      const body = (await (await fetch(`${g.adminUrl}/api/v1/groups/${group}`)).json()) as { partitions: { partition: number; committedOffset: number; metadata?: string }[] };
      expect(body.partitions.map((p) => [p.partition, p.committedOffset, p.metadata])).toEqual([[0, 5, 'checkpoint ünï']]);
    }
  });

  it.runIf(available).each(codecs)('produces with acks=-1 and compression %s records that `tributary tail` reads back', async (codec) => {
    const produced = await py('produce', 'events_in', codec, '120');
    expect(produced.code, produced.stderr).toBe(0);
    const stored = (await Promise.all([0, 1, 2].map((p) => storedCodecs(g, 'events_in', p)))).flat();
    expect(stored).toContain(CODECS[codec]);
    const tail = await tributary(['tail', 'events_in', '--from-beginning', '--once', '--json', '--admin', g.adminUrl]);
    expect(tail.code, tail.stderr).toBe(0);
    const values = tail.stdout
      .trim()
      .split('\n')
      .map((l) => Buffer.from(JSON.parse(l).value, 'base64').toString())
      .filter((v) => v.startsWith(`${codec}-`));
    expect(values.sort()).toEqual(Array.from({ length: 120 }, (_, i) => `${codec}-${i}`).sort());
  });
});

describe('kafka-python admin client: CreateTopics and DescribeConfigs', () => {
  const available = clientAvailable(PYTHON, ['-c', 'import kafka'], 'python3-kafka');
  let g: KafkaGateway;
  beforeAll(async () => {
    if (available) g = await startKafkaGateway();
  }, 60_000);
  afterAll(() => g?.stop());

  it.runIf(available)('creates a topic with its retention, refuses it twice, an unsupported config, 3 or 0 replicas, too many partitions, an unknown broker and a name given twice, validates without creating, and describes its configs, those asked for, and the defaults of another', async () => {
    const { code, stdout, stderr } = await run(PYTHON, [join(import.meta.dirname, 'clients', 'admin_topics.py'), g.bootstrap, 'made_over_kafka']);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.toString());
    expect(out.created).toEqual([['made_over_kafka', 0]]);
    expect(out.again).toMatch(/TopicAlreadyExists/);
    expect(out.bad_config).toMatch(/InvalidConfiguration/);
    // As a one-broker Kafka answers a replication factor of 3 (Kafka Streams' and Connect's internal topics ask for it).
    expect(out.replicated).toMatch(/InvalidReplicationFactor/);
    // Refused as Kafka refuses them, with the code that names what is wrong.
    expect(out.no_replicas).toMatch(/InvalidReplicationFactor.*must be at least 1/);
    expect(out.too_wide).toMatch(/InvalidPartitions.*at most 10000/);
    expect(out.elsewhere).toMatch(/InvalidReplicationAssignment.*assigned to broker 5/);
    // A topic named twice in one request: both entries refused, nothing created.
    expect(out.twice).toMatch(/InvalidRequest.*multiple entries/);
    // validate_only answers as a create would, and creates nothing (checked below).
    expect(out.validated).toEqual([['made_over_kafka_validated', 0]]);
    expect(out.validated_again).toMatch(/TopicAlreadyExists/);
    expect(out.configs).toMatchObject({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    // A request naming configs gets those only.
    expect(out.asked_configs).toEqual({ 'retention.ms': '3600000' });
    // What a topic does not set is shown as the log's default that applies to it (source 5, DEFAULT_CONFIG):
    // log.retention_ms (7 days), no log.retention_bytes (-1, unlimited), log.segment_bytes and log.segment_ms.
    expect(out.default_configs).toEqual({
      'cleanup.policy': ['delete', 5],
      'retention.ms': [String(7 * 86_400_000), 5],
      'retention.bytes': ['-1', 5],
      'segment.bytes': [String(128 * 1024 ** 2), 5],
      'segment.ms': [String(7 * 86_400_000), 5],
    });
    const topics = (await (await fetch(`${g.adminUrl}/api/v1/topics`)).json()) as { topics: { name: string; partitions: unknown[] }[] };
    expect(topics.topics.find((t) => t.name === 'made_over_kafka')?.partitions).toHaveLength(3);
    for (const refused of ['bad', 'replicated', 'no_replicas', 'too_wide', 'elsewhere', 'twice', 'validated']) expect(topics.topics.map((t) => t.name)).not.toContain(`made_over_kafka_${refused}`);
  });
});
