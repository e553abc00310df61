import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { NAME_PATTERN } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import type { TopicSettings, TopicSpec } from '../types.js';
import type { PartitionAssignment, PartitionStorageSettings } from './broker-protocol.js';
import { type ClusterMetadata, loadMetadata, type PartitionMetadata, saveMetadata, type TopicMetadata } from './metadata-store.js';

export interface ControllerOptions {
  dataDir: string;
  brokerCount: number;
  /** The log-wide storage defaults a topic's own settings override. */
  defaults: PartitionStorageSettings;
}

const SETTING_KEYS = ['retentionBytes', 'retentionMs', 'segmentBytes', 'segmentMs'] as const;

/**
 * The controller's metadata: which topics exist, their partitions, and which broker leads each.
 * Every change is persisted before it is visible, so a restart sees what callers were told.
 */
export class ClusterController {
  private metadata!: ClusterMetadata;

  constructor(private readonly options: ControllerOptions) {}

  /** Loads the metadata (or creates it) and moves partitions off brokers that no longer exist. */
  load(): { reassigned: number } {
    const { brokerCount, dataDir } = this.options;
    const brokers = Array.from({ length: brokerCount }, (_, i) => i);
    this.metadata = loadMetadata(dataDir) ?? { version: 1, clusterId: randomUUID(), brokers, topics: {} };
    this.metadata.brokers = brokers;
    let reassigned = 0;
    let next = 0;
    for (const topic of Object.values(this.metadata.topics)) {
      for (const p of topic.partitions) {
        if (p.leader < brokerCount) continue;
        // The data lives in the partition's directory, not with the broker: moving is a new epoch.
        p.leader = next++ % brokerCount;
        p.replicas = [p.leader];
        p.isr = [p.leader];
        p.leaderEpoch++;
        reassigned++;
      }
    }
    saveMetadata(dataDir, this.metadata);
    return { reassigned };
  }

  /** Empty until the metadata is loaded (the admin API answers while the log still opens). */
  get clusterId(): string {
    return this.metadata?.clusterId ?? '';
  }

  get brokerCount(): number {
    return this.options.brokerCount;
  }

  topicNames(): string[] {
    return Object.keys(this.metadata.topics).sort();
  }

  topic(name: string): TopicMetadata | undefined {
    return Object.hasOwn(this.metadata.topics, name) ? this.metadata.topics[name] : undefined;
  }

  /** The topic, or UNKNOWN_TOPIC. */
  requireTopic(name: string): TopicMetadata {
    const topic = this.topic(name);
    if (!topic) throw new TributaryError('UNKNOWN_TOPIC', `topic "${name}" does not exist`, { details: { topic: name } });
    return topic;
  }

  /** The partition, or UNKNOWN_TOPIC / UNKNOWN_PARTITION naming the valid range. */
  requirePartition(topicName: string, partition: number): PartitionMetadata {
    const topic = this.requireTopic(topicName);
    const found = Number.isInteger(partition) ? topic.partitions[partition] : undefined;
    if (!found) {
      throw new TributaryError(
        'UNKNOWN_PARTITION',
        `topic "${topicName}" has partitions 0..${topic.partitions.length - 1}; there is no partition ${partition}`,
        { details: { topic: topicName, partition, partitions: topic.partitions.length } },
      );
    }
    return found;
  }

  createTopic(spec: TopicSpec): TopicMetadata {
    validateTopicSpec(spec);
    if (this.topic(spec.name)) throw new TributaryError('TOPIC_EXISTS', `topic "${spec.name}" already exists`);
    const brokerCount = this.options.brokerCount;
    // Round robin continuing where the previous topics stopped keeps the brokers evenly loaded.
    const start = this.partitionCountTotal() % brokerCount;
    const partitions: PartitionMetadata[] = Array.from({ length: spec.partitions }, (_, partition) => {
      const leader = (start + partition) % brokerCount;
      return { partition, leader, replicas: [leader], isr: [leader], leaderEpoch: 0 };
    });
    const topic: TopicMetadata = { replicationFactor: spec.replicationFactor ?? 1, settings: pickSettings(spec), partitions };
    this.metadata.topics[spec.name] = topic;
    this.persist(() => delete this.metadata.topics[spec.name]);
    return topic;
  }

  updateTopicSettings(name: string, settings: TopicSettings): TopicMetadata {
    const topic = this.requireTopic(name);
    validateSettings(settings);
    const before = topic.settings;
    topic.settings = { ...before, ...pickSettings(settings) };
    this.persist(() => {
      topic.settings = before;
    });
    return topic;
  }

  /** Storage settings of a topic's partitions: its overrides over the log defaults. */
  storageSettings(topic: TopicMetadata): PartitionStorageSettings {
    return { ...this.options.defaults, ...topic.settings };
  }

  partitionDir(topic: string, partition: number): string {
    return join(this.options.dataDir, 'topics', `${topic}-${partition}`);
  }

  /** Everything broker `brokerId` leads, as it needs it to open the partitions. */
  assignmentsOf(brokerId: number): PartitionAssignment[] {
    const out: PartitionAssignment[] = [];
    for (const name of this.topicNames()) {
      const topic = this.metadata.topics[name];
      for (const p of topic.partitions) {
        if (p.leader === brokerId) out.push(this.assignment(name, p));
      }
    }
    return out;
  }

  assignment(topic: string, p: PartitionMetadata): PartitionAssignment {
    return {
      topic,
      partition: p.partition,
      dir: this.partitionDir(topic, p.partition),
      leaderEpoch: p.leaderEpoch,
      settings: this.storageSettings(this.requireTopic(topic)),
    };
  }

  private partitionCountTotal(): number {
    let n = 0;
    for (const topic of Object.values(this.metadata.topics)) n += topic.partitions.length;
    return n;
  }

  /** Saves the metadata; when that fails the in-memory change is undone, so both stay equal. */
  private persist(undo: () => void): void {
    try {
      saveMetadata(this.options.dataDir, this.metadata);
    } catch (err) {
      undo();
      throw new TributaryError('INTERNAL', `cannot save the cluster metadata: ${(err as Error).message}`, { cause: err });
    }
  }
}

function pickSettings(settings: TopicSettings): TopicSettings {
  const out: TopicSettings = {};
  for (const key of SETTING_KEYS) if (settings[key] !== undefined) out[key] = settings[key];
  return out;
}

function validateTopicSpec(spec: TopicSpec): void {
  if (typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    throw new TributaryError('INVALID_TOPIC', `invalid topic name ${JSON.stringify(spec.name)}: expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"`);
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 10_000) {
    throw new TributaryError('INVALID_TOPIC', `topic "${spec.name}": partitions must be an integer from 1 to 10000, got ${spec.partitions}`);
  }
  const rf = spec.replicationFactor ?? 1;
  if (rf !== 1) {
    throw new TributaryError(
      'INVALID_TOPIC',
      `topic "${spec.name}": replication factor ${rf} is not supported by the embedded engine yet; use 1`,
    );
  }
  validateSettings(spec);
}

function validateSettings(settings: TopicSettings): void {
  for (const key of SETTING_KEYS) {
    const value = settings[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new TributaryError('INVALID_TOPIC', `${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (settings.segmentBytes !== undefined && settings.segmentBytes < 1024) {
    throw new TributaryError('INVALID_TOPIC', `segmentBytes must be at least 1024, got ${settings.segmentBytes}`);
  }
}
