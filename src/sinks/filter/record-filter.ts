/**
 * Runs on: a sink worker.
 *
 * A pipeline's `filter` (docs/configuration.md), compiled once when the worker builds the
 * pipeline: which of a polled batch's records its sink receives. The conditions cheapest to test
 * go first (the record's headers), then those that read its value on the wire (resources, log
 * severities). A record the filter cannot read (no otlp-signal header outside the default topics,
 * malformed bytes) is passed on as it is: the delivery refuses it as it would without a filter,
 * and it is dead-lettered, never hidden by the filter.
 */
import type { PipelineFilter } from '../../config/pipeline-filter.js';
import type { ConsumedRecord } from '../../log/types.js';
import { TENANT_HEADER, type TopicKind } from '../../otlp/signals.js';
import { kindOfRecord } from '../signals.js';
import { ResourceMatcher } from './resource-match.js';
import { severityLevel } from './severity.js';
import { SeverityTrimmer } from './severity-trim.js';

export interface FilteredBatch {
  /** The records that pass, in order; those that lost log records carry a new value. */
  kept: ConsumedRecord[];
  /** Records left out whole. */
  filtered: number;
  /** Log records left out of records that were kept. */
  removedItems: number;
}

export class RecordFilter {
  private readonly kinds: ReadonlySet<TopicKind> | undefined;
  private readonly tenants: readonly Buffer[] | undefined;
  private readonly resource: ResourceMatcher | undefined;
  private readonly severity: SeverityTrimmer | undefined;

  private constructor(config: PipelineFilter) {
    this.kinds = config.signals && new Set(config.signals);
    this.tenants = config.tenants?.map((tenant) => Buffer.from(tenant));
    this.resource = config.resource && new ResourceMatcher(config.resource);
    const level = config.min_severity === undefined ? undefined : severityLevel(config.min_severity);
    this.severity = level === undefined ? undefined : new SeverityTrimmer(level);
  }

  /** The filter of a pipeline; undefined when it has no condition, so that delivery skips it. */
  static compile(config: PipelineFilter | undefined): RecordFilter | undefined {
    if (!config || Object.values(config).every((condition) => condition === undefined)) return undefined;
    return new RecordFilter(config);
  }

  apply(records: readonly ConsumedRecord[]): FilteredBatch {
    const batch: FilteredBatch = { kept: [], filtered: 0, removedItems: 0 };
    for (const record of records) {
      const passed = this.pass(record, batch);
      if (passed) batch.kept.push(passed);
      else batch.filtered++;
    }
    return batch;
  }

  /** The record as the sink gets it, or undefined when it does not pass. */
  private pass(record: ConsumedRecord, batch: FilteredBatch): ConsumedRecord | undefined {
    let kind: TopicKind | undefined;
    if (this.kinds || this.severity) {
      try {
        kind = kindOfRecord(record);
      } catch {
        return record;
      }
    }
    if (this.kinds && !this.kinds.has(kind!)) return undefined;
    if (this.tenants && !this.hasTenant(record)) return undefined;
    const trims = this.severity && (kind === 'logs' || kind === 'events');
    if (!this.resource && !trims) return record;
    // A record with no value holds no resource and no log record.
    if (!record.value) return undefined;
    try {
      if (this.resource && !this.resource.matchesAny(record.value)) return undefined;
      if (!trims) return record;
      const { value, removed } = this.severity!.trim(record.value);
      if (!value) return undefined;
      if (removed === 0) return record;
      batch.removedItems += removed;
      return record.withValue(value);
    } catch {
      return record;
    }
  }

  private hasTenant(record: ConsumedRecord): boolean {
    const header = record.headers.find((h) => h.key === TENANT_HEADER);
    return header !== undefined && this.tenants!.some((tenant) => tenant.equals(header.value));
  }
}
