// Runs on: main thread.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NAME_PATTERN } from '../../config/schema.js';
import { TributaryError } from '../../errors.js';
import { storageError } from '../storage-error.js';
import { MAX_PARTITIONS_PER_TOPIC, TOPIC_SETTING_KEYS, topicSettingProblem } from '../storage-limits.js';
import type { TopicSettings, TopicSpec } from '../types.js';
import type { PartitionAssignment, PartitionStorageSettings } from './broker-protocol.js';
import { capacityExplained, type PartitionCapacity } from '../../fd-budget.js';
import type { ClusterMetadata, PartitionMetadata, TopicMetadata } from './cluster-metadata.js';
import { loadMetadata, saveMetadata } from './metadata-store.js';

export interface ControllerOptions {
  dataDir: string;
  brokerCount: number;
  /** The log-wide storage defaults a topic's own settings override. */
  defaults: PartitionStorageSettings;
  /** How many partitions the process can keep open, asked at each topic creation; undefined: no bound. */
  capacity: () => PartitionCapacity | undefined;
}

/**
 * The controller's metadata: which topics exist, their partitions, and which broker leads each.
 * Every change is persisted before it is visible, so a restart sees what callers were told.
 */
export class ClusterController {
  private metadata!: ClusterMetadata;

  constructor(private readonly options: ControllerOptions) {}

  /**
   * Loads the metadata (or creates it) and moves partitions off brokers that no longer exist.
   * `overCapacity` says why the stored partitions may not all open with this process's file limit.
   */
  load(): { reassigned: number; overCapacity?: string } {
    const { brokerCount, dataDir } = this.options;
    const brokers = Array.from({ length: brokerCount }, (_, i) => i);
    const stored = loadMetadata(dataDir);
    this.metadata = stored ?? { version: 1, clusterId: randomUUID(), brokers, topics: {} };
    const brokersChanged = stored?.brokers?.length !== brokerCount;
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
    // Written only when something changed: a gateway restarted on a full disk still opens, to
    // serve reads and let retention make room.
    if (!stored || brokersChanged || reassigned > 0) this.save();
    const capacity = this.options.capacity();
    const total = this.partitionCountTotal();
    if (capacity && total > capacity.partitions) {
      return { reassigned, overCapacity: `the data directory holds ${total} partitions; ${capacityExplained(capacity)}` };
    }
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
    if (this.deleting(spec.name) !== undefined) {
      throw new TributaryError('TOPIC_EXISTS', `topic "${spec.name}" is still being deleted; create it again once that is done`, { retriable: true, details: { topic: spec.name } });
    }
    this.checkCapacity(spec);
    const brokerCount = this.options.brokerCount;
    // Round robin continuing where the previous topics stopped keeps the brokers evenly loaded.
    const start = this.partitionCountTotal() % brokerCount;
    const partitions: PartitionMetadata[] = Array.from({ length: spec.partitions }, (_, partition) => {
      const leader = (start + partition) % brokerCount;
      return { partition, leader, replicas: [leader], isr: [leader], leaderEpoch: 0 };
    });
    const topic: TopicMetadata = { id: randomUUID(), replicationFactor: spec.replicationFactor ?? 1, settings: pickSettings(spec), partitions };
    this.metadata.topics[spec.name] = topic;
    this.persist(() => delete this.metadata.topics[spec.name]);
    return topic;
  }

  /** Forgets a new topic whose partitions could not be opened; its files are the brokers' to remove. */
  forgetNewTopic(name: string): void {
    const topic = this.requireTopic(name);
    delete this.metadata.topics[name];
    this.persist(() => {
      this.metadata.topics[name] = topic;
    });
  }

  /**
   * The first step of a deletion: the topic leaves the metadata and is noted as being deleted, in
   * one atomic save, before any of its files go. Returns the topic as it was (its leaders hold its
   * partitions). UNKNOWN_TOPIC when there is none.
   */
  markDeleting(name: string): TopicMetadata {
    const topic = this.requireTopic(name);
    const before = this.metadata.deleting;
    delete this.metadata.topics[name];
    this.metadata.deleting = { ...before, [name]: topic.partitions.length };
    this.persist(() => {
      this.metadata.topics[name] = topic;
      this.metadata.deleting = before;
    });
    return topic;
  }

  /** The partition count of a topic being deleted; undefined when it is not. */
  deleting(name: string): number | undefined {
    const deleting = this.metadata.deleting;
    return deleting && Object.hasOwn(deleting, name) ? deleting[name] : undefined;
  }

  /** Topics whose deletion is not finished (a crash or a failure part-way), by name, with their partition counts. */
  deletions(): [string, number][] {
    return Object.entries(this.metadata.deleting ?? {});
  }

  /** The last step of a deletion: everything of the topic is gone, so the note goes too. */
  deletionDone(name: string): void {
    const before = this.metadata.deleting;
    if (!before || !Object.hasOwn(before, name)) return;
    const { [name]: _done, ...rest } = before;
    this.metadata.deleting = Object.keys(rest).length > 0 ? rest : undefined;
    this.persist(() => {
      this.metadata.deleting = before;
    });
  }

  updateTopicSettings(name: string, settings: TopicSettings): TopicMetadata {
    const topic = this.requireTopic(name);
    validateSettings(name, settings);
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

  /** Partitions in the metadata whose directory is gone (deleted by hand, or lost with a disk). */
  partitionsWithoutDirectory(): { topic: string; partition: number; dir: string }[] {
    return this.topicNames().flatMap((topic) =>
      this.metadata.topics[topic].partitions
        .map((p) => ({ topic, partition: p.partition, dir: this.partitionDir(topic, p.partition) }))
        .filter(({ dir }) => !existsSync(dir)),
    );
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

  /** A topic the process could not keep open is refused before anything is written. */
  private checkCapacity(spec: TopicSpec): void {
    const capacity = this.options.capacity();
    if (!capacity) return;
    const total = this.partitionCountTotal() + spec.partitions;
    if (total <= capacity.partitions) return;
    throw new TributaryError(
      'INVALID_TOPIC',
      `topic "${spec.name}": ${spec.partitions} partitions would make ${total} in the log, more than this process can keep open: ${capacityExplained(capacity)}`,
      { details: { partitions: spec.partitions, total, capacity: capacity.partitions, fileLimit: capacity.fileLimit } },
    );
  }

  private partitionCountTotal(): number {
    let n = 0;
    for (const topic of Object.values(this.metadata.topics)) n += topic.partitions.length;
    return n;
  }

  /** Saves the metadata; when that fails the in-memory change is undone, so both stay equal. */
  private persist(undo: () => void): void {
    try {
      this.save();
    } catch (err) {
      undo();
      throw err;
    }
  }

  private save(): void {
    try {
      saveMetadata(this.options.dataDir, this.metadata);
    } catch (err) {
      throw storageError(err, `saving the cluster metadata in ${this.options.dataDir}`);
    }
  }
}

function pickSettings(settings: TopicSettings): TopicSettings {
  const out: TopicSettings = {};
  for (const key of TOPIC_SETTING_KEYS) if (settings[key] !== undefined) out[key] = settings[key];
  return out;
}

function validateTopicSpec(spec: TopicSpec): void {
  if (typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    throw new TributaryError('INVALID_TOPIC', `invalid topic name ${JSON.stringify(spec.name)}: expected 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"`);
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > MAX_PARTITIONS_PER_TOPIC) {
    throw new TributaryError(
      'INVALID_TOPIC',
      `topic "${spec.name}": partitions must be an integer from 1 to ${MAX_PARTITIONS_PER_TOPIC}, got ${spec.partitions}`,
    );
  }
  const rf = spec.replicationFactor ?? 1;
  if (rf !== 1) {
    throw new TributaryError(
      'INVALID_TOPIC',
      `topic "${spec.name}": replication factor ${rf} is not supported by the embedded engine yet; use 1`,
    );
  }
  validateSettings(spec.name, spec);
}

/** The same bounds as the partition log's: a setting saved here must open at the next start. */
function validateSettings(topic: string, settings: TopicSettings): void {
  for (const key of TOPIC_SETTING_KEYS) {
    if (settings[key] === undefined) continue;
    const problem = topicSettingProblem(key, settings[key]);
    if (problem) throw new TributaryError('INVALID_TOPIC', `topic "${topic}": ${problem}`, { details: { topic, key } });
  }
}
