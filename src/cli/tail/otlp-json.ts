// Runs on: main thread of the `tributary` command (`tributary tail`).
/**
 * The OTLP/JSON shapes `tributary tail` reads (opentelemetry-proto's JSON mapping: lowerCamelCase
 * fields, 64-bit integers as strings or numbers, enums as integers). Only the fields it uses are
 * typed; the rest pass through untouched.
 */

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface Resource {
  attributes?: KeyValue[];
}

/** An attribute value as one string: scalars as they read, arrays and maps as JSON. */
export function anyValueText(value: AnyValue | undefined): string {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return JSON.stringify((value.arrayValue.values ?? []).map(anyValueText));
  if (value.kvlistValue) return JSON.stringify(Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, anyValueText(kv.value)])));
  return '';
}

export function attribute(attributes: KeyValue[] | undefined, key: string): string | undefined {
  const kv = attributes?.find((a) => a.key === key);
  return kv ? anyValueText(kv.value) : undefined;
}
