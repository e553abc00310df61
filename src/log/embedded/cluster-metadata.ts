// Runs on: main thread.
import type { TopicSettings } from '../types.js';

/** The controller's persisted view of the cluster: <data_dir>/meta/cluster.json. */
export interface ClusterMetadata {
  version: 1;
  clusterId: string;
  brokers: number[];
  topics: Record<string, TopicMetadata>;
  /**
   * Topics deleted whose files or committed group offsets may not all be gone yet, by name, with
   * their partition count. Saved before anything is removed, so a crash part-way through a
   * deletion is finished at the next start instead of leaving half a topic (topic-deletion.ts).
   */
  deleting?: Record<string, number>;
}

export interface TopicMetadata {
  /** A random id for this incarnation of the topic (Kafka's topic id); absent on topics made before ids were kept. */
  id?: string;
  replicationFactor: number;
  /** Only the settings given for this topic; the rest come from the log defaults. */
  settings: TopicSettings;
  partitions: PartitionMetadata[];
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  leaderEpoch: number;
}
