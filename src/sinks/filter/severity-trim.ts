/**
 * Runs on: a sink worker.
 *
 * The `min_severity` condition of a pipeline filter: keeps, inside an ExportLogsServiceRequest,
 * only the log records at a SeverityNumber or above, rewriting the request on the wire. Kept
 * records, and every other field of their resources and scopes, are copied as they lie; only the
 * lengths of the messages that lost records are written anew, and a scope or resource left with
 * no record is left out. Nothing is decoded but each record's severity_number.
 */
import { IntList } from '../../otlp/int-list.js';
import { FIELD } from '../../otlp/schema.js';
import { LEN, VARINT, WireReader } from '../../otlp/wire-reader.js';
import { WireWriter } from '../../otlp/wire-writer.js';

const EMPTY = new Uint8Array(0);

const RESOURCE_LOGS = FIELD.ExportLogsServiceRequest.resourceLogs;
const SCOPE_LOGS = FIELD.ResourceLogs.scopeLogs;
const LOG_RECORDS = FIELD.ScopeLogs.logRecords;
const SEVERITY_NUMBER = FIELD.LogRecord.severityNumber;

/** Rows of `resources`: log records kept, scope entries it has. */
const RESOURCE_ROW = 2;
const RESOURCE_KEPT = 0;
const RESOURCE_SCOPES = 1;
/** Rows of `scopes`: log records kept, log records it has. */
const SCOPE_ROW = 2;
const SCOPE_KEPT = 0;
const SCOPE_RECORDS = 1;

export interface TrimResult {
  /** The request with only the kept records (the same bytes when none went); undefined when none is kept. */
  value: Uint8Array | undefined;
  /** Log records left out. */
  removed: number;
}

export class SeverityTrimmer {
  /** Per resource entry, in order, RESOURCE_* columns: log records kept, and scope entries it has. */
  private readonly resources = new IntList();
  /** Per scope entry, in order, SCOPE_* columns: log records kept, and log records it has. */
  private readonly scopes = new IntList();
  /** Per log record, in order: 1 when it is kept. */
  private readonly verdicts = new IntList();
  private readonly request = new WireReader(EMPTY, 0, 0);
  private readonly entry = new WireReader(EMPTY, 0, 0);
  private readonly scope = new WireReader(EMPTY, 0, 0);
  private readonly record = new WireReader(EMPTY, 0, 0);

  /** Records below `level` go; severity_number 0 (unspecified) is below every level. */
  constructor(private readonly level: number) {}

  /** Throws at malformed bytes. */
  trim(value: Uint8Array): TrimResult {
    const { kept, removed } = this.count(value);
    if (removed === 0) return { value, removed };
    if (kept === 0) return { value: undefined, removed };
    return { value: this.rewrite(value), removed };
  }

  /** First pass: what each resource and scope keeps. */
  private count(value: Uint8Array): { kept: number; removed: number } {
    this.resources.clear();
    this.scopes.clear();
    this.verdicts.clear();
    let kept = 0;
    let total = 0;
    const request = this.request.reset(value, 0, value.length);
    while (request.next()) {
      if (request.field !== RESOURCE_LOGS || request.wireType !== LEN) continue;
      let resourceKept = 0;
      let scopeCount = 0;
      const entry = this.entry.reset(value, request.valueStart, request.valueEnd);
      while (entry.next()) {
        if (entry.field !== SCOPE_LOGS || entry.wireType !== LEN) continue;
        let scopeKept = 0;
        let records = 0;
        const scope = this.scope.reset(value, entry.valueStart, entry.valueEnd);
        while (scope.next()) {
          if (scope.field !== LOG_RECORDS || scope.wireType !== LEN) continue;
          records++;
          const passes = this.passes(value, scope.valueStart, scope.valueEnd);
          this.verdicts.push(passes ? 1 : 0);
          if (passes) scopeKept++;
        }
        // In column order: SCOPE_KEPT, SCOPE_RECORDS.
        this.scopes.push(scopeKept);
        this.scopes.push(records);
        scopeCount++;
        resourceKept += scopeKept;
        total += records;
      }
      // In column order: RESOURCE_KEPT, RESOURCE_SCOPES.
      this.resources.push(resourceKept);
      this.resources.push(scopeCount);
      kept += resourceKept;
    }
    return { kept, removed: total - kept };
  }

  /** Second pass: the request without the records, scopes and resources that keep nothing. */
  private rewrite(value: Uint8Array): Uint8Array {
    const out = new WireWriter(value.length);
    const resources = this.resources.data;
    const scopes = this.scopes.data;
    const verdicts = this.verdicts.data;
    let r = 0;
    let s = 0;
    let v = 0;
    const request = this.request.reset(value, 0, value.length);
    while (request.next()) {
      if (request.field !== RESOURCE_LOGS || request.wireType !== LEN) {
        out.raw(value.subarray(request.tagStart, request.valueEnd));
        continue;
      }
      const resourceKept = resources[RESOURCE_ROW * r + RESOURCE_KEPT];
      const scopeCount = resources[RESOURCE_ROW * r + RESOURCE_SCOPES];
      r++;
      if (resourceKept === 0) {
        for (let end = s + scopeCount; s < end; s++) v += scopes[SCOPE_ROW * s + SCOPE_RECORDS];
        continue;
      }
      out.begin(RESOURCE_LOGS);
      const entry = this.entry.reset(value, request.valueStart, request.valueEnd);
      while (entry.next()) {
        if (entry.field !== SCOPE_LOGS || entry.wireType !== LEN) {
          out.raw(value.subarray(entry.tagStart, entry.valueEnd));
          continue;
        }
        const scopeKept = scopes[SCOPE_ROW * s + SCOPE_KEPT];
        const records = scopes[SCOPE_ROW * s + SCOPE_RECORDS];
        s++;
        if (scopeKept === 0 || scopeKept === records) {
          // Left out, or copied whole.
          if (scopeKept > 0) out.raw(value.subarray(entry.tagStart, entry.valueEnd));
          v += records;
          continue;
        }
        out.begin(SCOPE_LOGS);
        // Fields kept side by side are copied as one run.
        let runStart = entry.valueStart;
        const scope = this.scope.reset(value, entry.valueStart, entry.valueEnd);
        while (scope.next()) {
          const isRecord = scope.field === LOG_RECORDS && scope.wireType === LEN;
          if (!isRecord || verdicts[v++] === 1) continue;
          if (scope.tagStart > runStart) out.raw(value.subarray(runStart, scope.tagStart));
          runStart = scope.valueEnd;
        }
        if (entry.valueEnd > runStart) out.raw(value.subarray(runStart, entry.valueEnd));
        out.end();
      }
      out.end();
    }
    return out.finish();
  }

  /**
   * Whether the LogRecord in `buf[start, end)` is at the level or above. The walk stops at the
   * first severity_number: encoders write it second, after the time, so the body and attributes
   * are never walked (a record repeating the field, which no encoder does, is judged by the first).
   */
  private passes(buf: Uint8Array, start: number, end: number): boolean {
    const record = this.record.reset(buf, start, end);
    while (record.next()) if (record.field === SEVERITY_NUMBER && record.wireType === VARINT) return record.varint >= this.level;
    return 0 >= this.level;
  }
}
