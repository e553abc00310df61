/**
 * Runs on: a sink worker.
 *
 * What a Prometheus sink keeps from batch to batch, since series repeat from request to request:
 * each data point's sealed labels, found by its resource's and scope's labels (the context) and
 * then by the bytes of its attribute fields as they lie (latin1: one character a byte), with the
 * series labels made from them (SeriesSet); and each histogram layout's `le` values, by the bytes
 * of its explicit_bounds field. A hit skips decoding, naming, sorting and encoding labels.
 */
import type { SealedLabels } from './label-set.js';

/**
 * Contexts, label sets and the series labels kept with them (about 0.6 KB each: 25–30 MB in
 * all); past it the cache starts again empty. A histogram point of 16 bounds makes 20 entries,
 * a gauge or sum point 2.
 */
const ENTRIES_LIMIT = 50_000;
/** Histogram bucket layouts kept; past it that cache starts again empty. */
const LAYOUTS_LIMIT = 1_000;

export interface BucketLayout {
  bounds: number[];
  /** The `le` value of each bucket: each bound, then `+Inf`. */
  les: string[];
}

export class LabelCache {
  /** Entries kept, counted against ENTRIES_LIMIT; SeriesSet adds the series labels it keeps. */
  entries = 0;
  private readonly contexts = new Map<string, Map<string, SealedLabels>>();
  private readonly layouts = new Map<string, BucketLayout>();

  /** The label sets of a context, by attribute bytes: where a scope's points are looked up. */
  context(key: string): Map<string, SealedLabels> {
    let sets = this.contexts.get(key);
    if (!sets) {
      sets = new Map();
      this.contexts.set(key, sets);
      // A context counts as an entry, so that scopes without points cannot grow the cache either.
      this.entries++;
    }
    return sets;
  }

  /** Keeps a point's sealed labels in its context's sets; past the limit, the rest goes first. */
  keep(context: string, sets: Map<string, SealedLabels>, attributes: string, sealed: SealedLabels): void {
    if (this.entries >= ENTRIES_LIMIT) {
      // Start again: the context's map is the only one kept, emptied too, so the count stays true.
      this.contexts.clear();
      sets.clear();
      this.contexts.set(context, sets);
      this.entries = 1;
    }
    sets.set(attributes, sealed);
    this.entries++;
  }

  /** The layout of a histogram's bounds (`boundsKey`: their bytes), made by `make` when new. */
  layout(boundsKey: string, make: () => BucketLayout): BucketLayout {
    let layout = this.layouts.get(boundsKey);
    if (layout) return layout;
    layout = make();
    if (this.layouts.size >= LAYOUTS_LIMIT) this.layouts.clear();
    this.layouts.set(boundsKey, layout);
    return layout;
  }
}
