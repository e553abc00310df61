import type { Signal } from '../../src/otlp/signals.js';
import { Int, type IntType, type Model } from './request-model.js';

/**
 * Random OTLP requests at the edges the gateway must survive: integers at and past their field's
 * range, AnyValue trees nested around the depth limit, long strings and many items, bad ids, and
 * requests whose records would repeat a large resource many times. Each case knows what the
 * gateway must answer, so a property test can check every answer and count what was stored.
 */
export interface RandomCase {
  signal: Signal;
  model: Model;
  /** Spans, data points or log records sent. */
  items: number;
  /** Spans with a missing, empty, all-zero or wrong-length trace or span id. */
  badIds: number;
  /** Every integer fits its field: OTLP/JSON allows the request (protobuf cannot carry a misfit). */
  integersFit: boolean;
  /** The deepest message level (the request is 0). */
  deepest: number;
  /** Built so that its records would take far more than 32 times its size. */
  amplifying: boolean;
}

/** Decimal literals at and past the edges of every integer type, as a sender might write them. */
const EXTREME_INTEGERS = [
  '0',
  '-1',
  '1e3',
  '1.5',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999999999',
  '1e30',
  '-1e30',
  '"18446744073709551615"',
  '"18446744073709551616"',
  '"0042"',
  '"-1"',
];

const SPAN_KINDS = ['SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_INTERNAL'];

class Builder {
  integersFit = true;
  deepest = 0;

  constructor(
    readonly rnd: () => number,
    /** Chance that an integer is an extreme literal. */
    readonly extremes: number,
    /** Levels of AnyValue nesting for the values that get a deep tree. */
    readonly deepChain: number,
  ) {}

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)];
  }

  count(max: number): number {
    return Math.floor(this.rnd() * (max + 1));
  }

  /** Notes a message at `level`. */
  at(level: number): void {
    this.deepest = Math.max(this.deepest, level);
  }

  int(type: IntType, usual: () => number = () => this.count(1_000_000)): Int {
    const value = this.rnd() < this.extremes ? new Int(this.pick(EXTREME_INTEGERS)) : new Int(String(usual()));
    if (!value.fits(type)) this.integersFit = false;
    return value;
  }

  nanos(): Int {
    return this.int('fixed64', () => 1_700_000_000_000_000_000 + this.count(1e9));
  }

  double(): Model {
    return this.rnd() < this.extremes ? this.pick<Model>([1e308, -0, 5e-324, 'NaN', 'Infinity', '-Infinity', -1.5]) : this.rnd() * 100;
  }

  text(): string {
    if (this.rnd() < 0.05) return 'ünïcødé ✓ 🚀 \u0000 "quoted" \\ 12345678901234567890';
    return `v${this.count(10_000)}`;
  }

  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += Math.floor(this.rnd() * 256).toString(16).padStart(2, '0');
    return /^0*$/.test(out) ? `${out.slice(0, -2)}01` : out;
  }

  /** An AnyValue at `level`, nested `depth` more levels of arrays or kvlists. */
  anyValue(level: number, depth: number, big = 0): Model {
    this.at(level);
    if (depth > 0) {
      if (this.rnd() < 0.5) {
        this.at(level + 1);
        const values = [this.anyValue(level + 2, depth - 1)];
        if (this.rnd() < 0.3) values.push(this.anyValue(level + 2, 0));
        return { arrayValue: { values } };
      }
      this.at(level + 2);
      return { kvlistValue: { values: [{ key: this.text(), value: this.anyValue(level + 3, depth - 1) }] } };
    }
    if (big > 0) return { stringValue: 'x'.repeat(big) };
    switch (this.count(6)) {
      case 0:
        return { boolValue: this.rnd() < 0.5 };
      case 1:
        return { intValue: this.int('int64') };
      case 2:
        return { doubleValue: this.double() };
      case 3:
        return { bytesValue: Buffer.from(this.text()).toString('base64') };
      case 4:
        this.at(level + 1);
        return { arrayValue: {} };
      default:
        return { stringValue: this.text() };
    }
  }

  /** `n` attributes (KeyValues at `level`); one of them, if asked, a deep tree or a big string. */
  attributes(level: number, n: number, deep = false, big = 0): Model[] {
    const out: Model[] = [];
    for (let i = 0; i < n; i++) {
      this.at(level);
      out.push({ key: `attr.${i}`, value: this.anyValue(level + 1, deep && i === 0 ? this.deepChain : this.count(2), i === 0 ? big : 0) });
    }
    return out;
  }

  /** A small resource (levels 2 and 3), or with `bigBytes` of attribute text, a large one. */
  resource(bigBytes = 0): Model {
    this.at(2);
    const attributes = [{ key: 'service.name', value: { stringValue: `svc-${this.count(3)}` } }, ...this.attributes(3, this.count(3))];
    if (bigBytes > 0) attributes.push({ key: 'big', value: { stringValue: 'r'.repeat(bigBytes) } });
    this.at(4);
    return { attributes, droppedAttributesCount: this.int('uint32', () => 0) };
  }

  scope(): Model {
    this.at(3);
    return { name: 'fuzz', version: '1.0', attributes: this.attributes(4, this.count(2)) };
  }
}

/** One random request; `rnd` is a seeded random source, so a failing case can be replayed. */
export function randomCase(rnd: () => number): RandomCase {
  const mode = rnd();
  const deep = mode < 0.3;
  const amplifying = mode >= 0.9;
  const b = new Builder(rnd, mode >= 0.3 && mode < 0.6 ? 0.2 : 0, deep ? 20 + Math.floor(rnd() * 40) : 0);
  // Long strings and many items (some past the test gateway's 1 MiB request limit).
  const big = !amplifying && rnd() < 0.12 ? b.pick([100_000, 600_000, 1_500_000]) : 0;
  const many = !amplifying && rnd() < 0.1 ? 2_000 : 0;
  const signal: Signal = amplifying ? 'traces' : b.pick<Signal>(['traces', 'metrics', 'logs']);
  const built = signal === 'traces' ? traces(b, { deep, big, many, amplifying }) : signal === 'metrics' ? metrics(b, { deep, big, many }) : logs(b, { deep, big, many });
  return { signal, ...built, integersFit: b.integersFit, deepest: b.deepest, amplifying };
}

interface Shape {
  deep: boolean;
  big: number;
  many: number;
}

function traces(b: Builder, shape: Shape & { amplifying: boolean }) {
  // Amplifying: one bare span per trace under a resource of 30-60 KB.
  const spanCount = shape.amplifying ? 100 + b.count(100) : shape.many || 1 + b.count(30);
  const traceIds = Array.from({ length: shape.amplifying ? spanCount : 1 + b.count(5) }, () => b.hex(16));
  const badIdChance = b.rnd() < 0.3 ? 0.3 : 0;
  let badIds = 0;
  const spans: Model[] = [];
  for (let i = 0; i < spanCount; i++) {
    b.at(3);
    const span: Record<string, Model> = { traceId: traceIds[i % traceIds.length], spanId: b.hex(8), name: `span ${i}` };
    if (b.rnd() < badIdChance) {
      badIds++;
      const id = b.rnd() < 0.5 ? 'traceId' : 'spanId';
      const bytes = id === 'traceId' ? 16 : 8;
      const broken = b.pick(['', '00'.repeat(bytes), b.hex(bytes - 1), undefined]);
      if (broken === undefined) delete span[id];
      else span[id] = broken;
    }
    if (!shape.amplifying) {
      Object.assign(span, {
        kind: b.rnd() < 0.5 ? b.pick(SPAN_KINDS) : b.int('enum', () => b.count(5)),
        startTimeUnixNano: b.nanos(),
        endTimeUnixNano: b.nanos(),
        attributes: b.attributes(4, b.count(4), shape.deep && i === 0, i === 0 ? shape.big : 0),
        droppedAttributesCount: b.int('uint32', () => 0),
        flags: b.int('fixed32', () => 1),
        status: { code: b.int('enum', () => b.count(2)), message: b.text() },
      });
      b.at(4);
      if (b.rnd() < 0.3) {
        b.at(4);
        span.events = [{ timeUnixNano: b.nanos(), name: 'event', attributes: b.attributes(5, b.count(2)) }];
      }
    }
    spans.push(span);
  }
  const model = { resourceSpans: [{ resource: b.resource(shape.amplifying ? 30_000 + b.count(30_000) : 0), scopeSpans: [{ scope: b.scope(), spans }] }] };
  b.at(1);
  b.at(2);
  return { model, items: spanCount, badIds };
}

function metrics(b: Builder, shape: Shape) {
  let items = 0;
  const point = (level: number, first: boolean): Record<string, Model> => {
    items++;
    b.at(level);
    return { attributes: b.attributes(level + 1, b.count(3), shape.deep && first, first ? shape.big : 0), startTimeUnixNano: b.nanos(), timeUnixNano: b.nanos() };
  };
  const metricCount = shape.many ? shape.many / 4 : 1 + b.count(5);
  const list: Model[] = [];
  for (let m = 0; m < metricCount; m++) {
    b.at(3);
    b.at(4);
    const points = 1 + b.count(3);
    const first = m === 0;
    const kind = b.count(4);
    const data = Array.from({ length: points }, (_, i): Model => {
      const p = point(5, first && i === 0);
      if (kind <= 1) return { ...p, ...(b.rnd() < 0.5 ? { asInt: b.int('sfixed64') } : { asDouble: b.double() }), flags: b.int('uint32', () => 0) };
      if (kind === 2) return { ...p, count: b.int('fixed64'), sum: b.double(), bucketCounts: [b.int('fixed64'), b.int('fixed64')], explicitBounds: [b.double()] };
      if (kind === 3) {
        b.at(6);
        return { ...p, count: b.int('fixed64'), scale: b.int('sint32', () => b.count(20) - 10), zeroCount: b.int('fixed64'), positive: { offset: b.int('sint32'), bucketCounts: [b.int('uint64')] } };
      }
      b.at(6);
      return { ...p, count: b.int('fixed64'), sum: b.double(), quantileValues: [{ quantile: 0.5, value: b.double() }] };
    });
    const temporality = b.int('enum', () => 1 + b.count(1));
    const body: Record<string, Model> = [
      { gauge: { dataPoints: data } },
      { sum: { dataPoints: data, aggregationTemporality: temporality, isMonotonic: true } },
      { histogram: { dataPoints: data, aggregationTemporality: temporality } },
      { exponentialHistogram: { dataPoints: data, aggregationTemporality: temporality } },
      { summary: { dataPoints: data } },
    ][kind];
    list.push({ name: `metric.${m}`, unit: 'ms', ...body });
  }
  const model = { resourceMetrics: [{ resource: b.resource(), scopeMetrics: [{ scope: b.scope(), metrics: list }] }] };
  b.at(1);
  b.at(2);
  return { model, items, badIds: 0 };
}

function logs(b: Builder, shape: Shape) {
  const count = shape.many || 1 + b.count(20);
  const records: Model[] = [];
  for (let i = 0; i < count; i++) {
    b.at(3);
    const record: Record<string, Model> = {
      timeUnixNano: b.nanos(),
      observedTimeUnixNano: b.nanos(),
      severityNumber: b.rnd() < 0.5 ? 'SEVERITY_NUMBER_WARN' : b.int('enum', () => 1 + b.count(23)),
      severityText: 'WARN',
      body: b.anyValue(4, shape.deep && i === 0 ? b.deepChain : b.count(2), i === 0 ? shape.big : 0),
      attributes: b.attributes(4, b.count(3)),
      droppedAttributesCount: b.int('uint32', () => 0),
      flags: b.int('fixed32', () => 0),
    };
    if (b.rnd() < 0.3) record.eventName = 'fuzz.event';
    if (b.rnd() < 0.3) Object.assign(record, { traceId: b.hex(16), spanId: b.hex(8) });
    records.push(record);
  }
  const model = { resourceLogs: [{ resource: b.resource(), scopeLogs: [{ scope: b.scope(), logRecords: records }] }] };
  b.at(1);
  b.at(2);
  return { model, items: count, badIds: 0 };
}
