/**
 * Runs on: a sink worker.
 *
 * The labels of what a Prometheus conversion sees the first time, read from the wire: a
 * resource's job, instance and target_info, a scope's labels, a data point's label set, and the
 * Prometheus names of metrics and attribute keys (kept per sink, up to a bound).
 */
import type { ConverterState } from './conversion.js';
import { FIELD } from '../../otlp/schema.js';
import { LEN, WireReader } from '../../otlp/wire-reader.js';
import { keyValueAt } from '../wire-values.js';
import type { ResourceEntry, ScopeEntry, Series } from './label-cache.js';
import { LabelSet, type SealedLabels } from './label-set.js';
import { labelName, metricName, type PromKind } from './prom-naming.js';
import { utf8 } from './wire-bytes.js';

/** Resource attributes that become `job` and `instance` rather than `target_info` labels. */
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);
/** Names computed per distinct attribute key or metric, kept up to this many of each. */
const NAME_CACHE_LIMIT = 10_000;

export class LabelMaker {
  /** A point's labels while they are built. */
  private readonly building = new LabelSet();

  constructor(private readonly shared: ConverterState) {}

  /** job and instance from the attributes of a ResourceMetrics' resource; the others label its target_info series. */
  resource(buf: Buffer, start: number, end: number): ResourceEntry {
    const attributes: [string, string][] = [];
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field !== FIELD.ResourceMetrics.resource || r.wireType !== LEN) continue;
      const a = new WireReader(buf, r.valueStart, r.valueEnd);
      while (a.next()) if (a.field === FIELD.Resource.attributes && a.wireType === LEN) attributes.push(keyValueAt(buf, a.valueStart, a.valueEnd));
    }
    const text = (key: string) => attributes.find(([k]) => k === key)?.[1];
    const name = text('service.name');
    const namespace = text('service.namespace');
    const instance = text('service.instance.id');
    const identity = new LabelSet();
    if (name) identity.set('job', namespace ? `${namespace}/${name}` : name);
    if (instance) identity.set('instance', instance);
    const others = attributes.filter(([key]) => !IDENTIFYING.has(key));
    let targetInfo: Series | undefined;
    if (others.length > 0) {
      const labels = this.building.reset(identity);
      for (const [key, value] of others) labels.add(this.labelName(key), value);
      labels.seal();
      targetInfo = this.shared.labels.seriesOf('target_info', '', '', labels.snapshot());
    }
    return { identity, targetInfo, scopes: new Map() };
  }

  /** otel_scope_name and otel_scope_version from the fields of a ScopeMetrics' InstrumentationScope. */
  scopeLabels(buf: Buffer, start: number, end: number): LabelSet {
    const scope = new LabelSet();
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field !== FIELD.ScopeMetrics.scope || r.wireType !== LEN) continue;
      const s = new WireReader(buf, r.valueStart, r.valueEnd);
      while (s.next()) {
        if (s.wireType !== LEN || s.valueEnd === s.valueStart) continue;
        if (s.field === FIELD.InstrumentationScope.name) scope.set('otel_scope_name', utf8(buf, s.valueStart, s.valueEnd));
        else if (s.field === FIELD.InstrumentationScope.version) scope.set('otel_scope_version', utf8(buf, s.valueStart, s.valueEnd));
      }
    }
    return scope;
  }

  /** job and instance, the point's attributes (field `attributesField`), the scope's labels; sealed, kept in the scope by `attributes`. */
  pointLabels(resource: ResourceEntry, scope: ScopeEntry, buf: Buffer, start: number, end: number, attributesField: number, attributes: string): SealedLabels {
    const cached = scope.labelSets.get(attributes);
    if (cached) return cached;
    const labels = this.building.reset(resource.identity);
    const r = new WireReader(buf, start, end);
    while (r.next()) {
      if (r.field !== attributesField || r.wireType !== LEN) continue;
      const [key, value] = keyValueAt(buf, r.valueStart, r.valueEnd);
      labels.add(this.labelName(key), value);
    }
    for (let i = 0; i < scope.labels.names.length; i++) labels.set(scope.labels.names[i], scope.labels.values[i]);
    labels.seal();
    const sealed = labels.snapshot();
    this.shared.labels.keepLabels(scope, attributes, sealed);
    return sealed;
  }

  private labelName(key: string): string {
    let name = this.shared.labelNames.get(key);
    if (name === undefined) {
      name = labelName(key);
      if (this.shared.labelNames.size < NAME_CACHE_LIMIT) this.shared.labelNames.set(key, name);
    }
    return name;
  }

  metricName(name: string, unit: string, kind: PromKind): string {
    const key = `${name}\u0000${unit}\u0000${kind}`;
    let out = this.shared.metricNames.get(key);
    if (out === undefined) {
      out = metricName(name, unit, kind);
      if (this.shared.metricNames.size < NAME_CACHE_LIMIT) this.shared.metricNames.set(key, out);
    }
    return out;
  }
}
