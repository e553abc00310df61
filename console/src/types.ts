// Runs in: the browser (the web console).
/** The admin API's answers, as docs/admin-api.md describes them. */

export interface Broker {
  id: number;
  state: string;
  partitions: number;
  restarts: number;
  host?: string;
  port?: number;
}

export interface Cluster {
  clusterId: string;
  backend: string;
  controller: number;
  brokers: Broker[];
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number | null;
}

export interface TopicSettings {
  retentionMs?: number;
  retentionBytes?: number;
  segmentBytes?: number;
  segmentMs?: number;
}

export interface Topic {
  name: string;
  settings?: TopicSettings;
  partitions: PartitionInfo[];
}

export interface GroupListing {
  group: string;
  state: string;
  members: number;
  totalLag: number;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  topics: string[];
  assignment: { topic: string; partition: number }[];
}

export interface GroupPartition {
  topic: string;
  partition: number;
  committedOffset: number | null;
  highWatermark: number;
  lag: number | null;
}

export interface GroupDescription {
  group: string;
  state: string;
  generation: number;
  assignor: string;
  members: GroupMember[];
  partitions: GroupPartition[];
  totalLag: number;
}

/** A record of `GET /api/v1/topics/{topic}/records?format=otlp-json`. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  headers: { key: string; value: string }[];
  signal?: 'traces' | 'metrics' | 'logs' | 'events';
  value: unknown;
  decodeError?: string;
}

export interface RecordsPage {
  topic: string;
  partition: number;
  highWatermark: number;
  records: DecodedRecord[];
}

export type PipelineStart = 'earliest' | 'latest' | { timestamp: number };

export interface PipelineFilter {
  resource?: Record<string, string[]>;
  tenants?: string[];
  min_severity?: string;
  signals?: string[];
}

export interface Pipeline {
  group: string;
  topics: string[];
  sink: { type: string; [key: string]: unknown };
  filter?: PipelineFilter;
  start?: PipelineStart;
  members?: number;
  source: 'api' | 'config';
  state: 'running' | 'paused' | 'failed';
  /** Why a `failed` pipeline does not run. */
  error?: string;
  lag: number | null;
}
