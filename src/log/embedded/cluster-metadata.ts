// Runs on: main thread.
import type { TopicSettings } from '../types.js';

/** The controller's persisted view of the cluster: <data_dir>/meta/cluster.json. */
export interface ClusterMetadata {
  version: 1;
  clusterId: string;
  brokers: number[];
  topics: Record<string, TopicMetadata>;
}

export interface TopicMetadata {
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
