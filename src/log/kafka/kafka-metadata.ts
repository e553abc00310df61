/**
 * Runs on: main thread. The cluster's metadata (brokers, topics, partitions, leaders, replicas,
 * ISR) as Kafka's Metadata API returns it, cached for the producers' hot path (partitionCount)
 * and refreshed on demand and on a timer.
 */
import { TributaryError } from '../../errors.js';
import type { Metadata, Producer } from './client-types.js';
import type { KafkaErrors } from './kafka-errors.js';

type TopicMetadata = Metadata['topics'][number];

const METADATA_TIMEOUT_MS = 10_000;

export class KafkaMetadata {
  private latest: Metadata = { orig_broker_id: -1, brokers: [], topics: [] };
  private readonly byName = new Map<string, TopicMetadata>();

  constructor(
    private readonly client: Producer,
    private readonly errors: KafkaErrors,
  ) {}

  async refresh(): Promise<Metadata> {
    const metadata = await new Promise<Metadata>((resolve, reject) =>
      this.client.getMetadata({ allTopics: true, timeout: METADATA_TIMEOUT_MS }, (err, md) => (err ? reject(this.errors.wrap(err, 'Kafka metadata')) : resolve(md))),
    );
    this.latest = metadata;
    this.byName.clear();
    // Kafka's internal topics (__consumer_offsets, ...) are not the log's.
    for (const t of metadata.topics) if (!t.name.startsWith('__') && t.partitions.length > 0) this.byName.set(t.name, t);
    return metadata;
  }

  get current(): Metadata {
    return this.latest;
  }

  topics(): TopicMetadata[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  topic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  partitionCount(topic: string): number | undefined {
    return this.byName.get(topic)?.partitions.length;
  }

  /** The topic's metadata, refreshed once when it is not known yet; UNKNOWN_TOPIC when absent. */
  async require(topic: string): Promise<TopicMetadata> {
    let known = this.byName.get(topic);
    if (!known) {
      await this.refresh();
      known = this.byName.get(topic);
    }
    if (!known) throw new TributaryError('UNKNOWN_TOPIC', `topic ${topic} does not exist in the Kafka cluster`);
    return known;
  }

  /** Checks the partition exists; refreshes first when the topic may have grown. */
  async requirePartition(topic: string, partition: number): Promise<void> {
    let count = (await this.require(topic)).partitions.length;
    if (partition >= count && partition >= 0) {
      await this.refresh();
      count = this.partitionCount(topic) ?? 0;
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new TributaryError('UNKNOWN_PARTITION', `partition ${partition} of ${topic} does not exist (the topic has ${count})`);
    }
  }
}
