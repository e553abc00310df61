/**
 * Runs on: a sink worker.
 *
 * The labels of one data point, built from its resource, attributes and scope: names and values
 * side by side. Attribute keys that sanitize to one name join their values with `;`; labels with
 * an empty value are left out. Sealed, the set is sorted, has a key (unique per set) and is
 * encoded once, so each series the point makes (a histogram makes one per bucket) copies bytes.
 */
import { labelField } from './write-request.js';

/** A sealed label set as series are built from it: sorted names, a unique key, the encoded labels. */
export interface SealedLabels {
  readonly names: readonly string[];
  /** The set as one string, unique per set (a Map key). */
  readonly key: string;
  /** The labels as encoded TimeSeries `labels` fields, in order. */
  readonly encoded: Buffer;
  /** Where each label starts in `encoded`, and one more entry: its end. */
  readonly starts: readonly number[];
}

export class LabelSet {
  names: string[] = [];
  values: string[] = [];
  /** After seal(): the set as one string, unique per set (a Map key). */
  key = '';
  /** After seal(): the labels as encoded TimeSeries `labels` fields, in order. */
  encoded: Buffer = Buffer.alloc(0);
  /** After seal(): where each label starts in `encoded`, and one more entry: its end. */
  starts: number[] = [];

  reset(from?: LabelSet): this {
    this.names.length = 0;
    this.values.length = 0;
    if (from) {
      this.names.push(...from.names);
      this.values.push(...from.values);
    }
    return this;
  }

  add(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) {
      this.names.push(name);
      this.values.push(value);
    } else this.values[i] = `${this.values[i]};${value}`;
  }

  set(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) {
      this.names.push(name);
      this.values.push(value);
    } else this.values[i] = value;
  }

  /** Drops empty values, sorts by name (insertion sort: label sets are small), computes the key and the bytes. */
  seal(): void {
    const { names, values } = this;
    let n = 0;
    for (let i = 0; i < names.length; i++) {
      if (values[i] === '') continue;
      const name = names[i];
      const value = values[i];
      let j = n++;
      while (j > 0 && names[j - 1] > name) {
        names[j] = names[j - 1];
        values[j] = values[j - 1];
        j--;
      }
      names[j] = name;
      values[j] = value;
    }
    names.length = n;
    values.length = n;
    let key = '';
    const fields: Buffer[] = [];
    const starts = [0];
    for (let i = 0; i < n; i++) {
      key += `${names[i]}\u0000${values[i]}\u0001`;
      const field = labelField(names[i], values[i]);
      fields.push(field);
      starts.push(starts[i] + field.length);
    }
    this.key = key;
    this.encoded = Buffer.concat(fields);
    this.starts = starts;
  }

  /** The sealed set as it is now, to keep while this one is reused. */
  snapshot(): SealedLabels {
    return { names: [...this.names], key: this.key, encoded: this.encoded, starts: this.starts };
  }
}

/** Index of the first label whose name is not below `name`. */
export function labelPosition(labels: SealedLabels, name: string): number {
  let i = 0;
  while (i < labels.names.length && labels.names[i] < name) i++;
  return i;
}
