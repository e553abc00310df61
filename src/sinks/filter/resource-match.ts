/**
 * Runs on: a sink worker.
 *
 * The `resource` condition of a pipeline filter, evaluated on the protobuf wire: only the
 * resources' attributes are read, and an attribute's value is turned into text only when its key
 * is one the filter names. The three signals share the shape it walks: the request holds
 * Resource{Spans,Metrics,Logs} entries, each with a Resource, which holds the attributes.
 */
import { SIGNAL_FIELD } from '../../otlp/field-numbers.js';
import { FIELD } from '../../otlp/schema.js';
import { LEN, WireReader } from '../../otlp/wire-reader.js';
import { anyValueTextAt } from '../wire-values.js';

const EMPTY = new Uint8Array(0);

export class ResourceMatcher {
  private readonly keys: Buffer[];
  /** Per key, the values that pass, as text. */
  private readonly values: Set<string>[];
  /** Per key, whether the resource being read has a passing value for it. */
  private readonly found: Uint8Array;
  // One reader per level, reused by every record of the pipeline.
  private readonly request = new WireReader(EMPTY, 0, 0);
  private readonly entry = new WireReader(EMPTY, 0, 0);
  private readonly resource = new WireReader(EMPTY, 0, 0);
  private readonly attribute = new WireReader(EMPTY, 0, 0);

  constructor(wanted: Readonly<Record<string, readonly (string | number | boolean)[]>>) {
    const entries = Object.entries(wanted);
    this.keys = entries.map(([key]) => Buffer.from(key));
    this.values = entries.map(([, values]) => new Set(values.map(String)));
    this.found = new Uint8Array(entries.length);
  }

  /** True when one of the resources of the Export*ServiceRequest in `value` matches. Throws at malformed bytes. */
  matchesAny(value: Uint8Array): boolean {
    const request = this.request.reset(value, 0, value.length);
    while (request.next()) {
      if (request.field !== SIGNAL_FIELD.resourceEntries || request.wireType !== LEN) continue;
      const entry = this.entry.reset(value, request.valueStart, request.valueEnd);
      while (entry.next()) {
        if (entry.field === SIGNAL_FIELD.resource && entry.wireType === LEN && this.matches(value, entry.valueStart, entry.valueEnd)) return true;
      }
    }
    return false;
  }

  /** Whether the Resource in `buf[start, end)` has, for every key, one of its values. */
  private matches(buf: Uint8Array, start: number, end: number): boolean {
    this.found.fill(0);
    let missing = this.keys.length;
    const resource = this.resource.reset(buf, start, end);
    while (resource.next()) {
      if (resource.field !== FIELD.Resource.attributes || resource.wireType !== LEN) continue;
      let key = -1;
      let valueStart = 0;
      let valueEnd = 0;
      const attribute = this.attribute.reset(buf, resource.valueStart, resource.valueEnd);
      while (attribute.next()) {
        if (attribute.wireType !== LEN) continue;
        if (attribute.field === FIELD.KeyValue.key) key = this.keyIndex(buf, attribute.valueStart, attribute.valueEnd);
        else if (attribute.field === FIELD.KeyValue.value) {
          valueStart = attribute.valueStart;
          valueEnd = attribute.valueEnd;
        }
      }
      if (key < 0 || this.found[key] === 1) continue;
      if (!this.values[key].has(anyValueTextAt(buf, valueStart, valueEnd))) continue;
      this.found[key] = 1;
      if (--missing === 0) return true;
    }
    return false;
  }

  /** The index of the filter's key equal to `buf[start, end)`, compared as bytes; -1 when none is. */
  private keyIndex(buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k];
      if (key.length !== length) continue;
      let i = 0;
      while (i < length && key[i] === buf[start + i]) i++;
      if (i === length) return k;
    }
    return -1;
  }
}
