// Runs on: ingest worker.
import type { Malformation } from './validate.js';

/**
 * Distinct rejection reasons a partial_success message names, each with its exact count; items
 * rejected for any other reason are summed in one clause. A hostile request can hold a million
 * bad items: its answer stays short, and the tally small.
 */
const MAX_NAMED_REASONS = 10;

interface Reason {
  /** What the items rejected for it count for (partial_success's unit: data points for metrics). */
  count: number;
  /** Items rejected for it. */
  items: number;
  malformed: boolean;
  /** Byte of the request where the first problem of this kind lies (malformed items). */
  firstAt: number;
}

/** The items of one request rejected so far, and why (for partial_success). Runs in ingest workers. */
export class RejectionTally {
  /** Items rejected in all (a metric counts for its data points). */
  total = 0;
  /** Keyed by the reason as it comes, so counting an item builds no string. */
  private readonly named = new Map<string, Reason>();
  private unnamed = 0;

  /** Counts `weight` items refused for `reason` (a classifier's: the same few strings each time). */
  add(reason: string, weight: number): void {
    this.count(reason, weight, false, -1);
  }

  /** Counts `weight` items rejected as malformed. */
  addMalformed(problem: Malformation, weight: number): void {
    this.count(problem.what, weight, true, problem.at);
  }

  /**
   * "3 spans rejected: <reason>; …", empty when nothing was rejected. Counted in `countName`s (what
   * partial_success counts: a metric's data points), the items themselves named `itemName`.
   */
  message(itemName: string, countName: string): string {
    const clauses = [...this.named].map(([reason, { count, items, malformed, firstAt }]) =>
      malformed
        ? `${counted(count, countName)} rejected: malformed ${itemName}: ${reason} (${items === 1 ? '' : 'the first '}at byte ${firstAt})`
        : `${counted(count, countName)} rejected: ${reason}`,
    );
    if (this.unnamed > 0) clauses.push(`${counted(this.unnamed, countName)} rejected for other reasons (only the first ${MAX_NAMED_REASONS} reasons are named)`);
    return clauses.join('; ');
  }

  private count(reason: string, weight: number, malformed: boolean, at: number): void {
    this.total += weight;
    const entry = this.named.get(reason);
    if (entry !== undefined) {
      entry.count += weight;
      entry.items++;
    } else if (this.named.size < MAX_NAMED_REASONS) this.named.set(reason, { count: weight, items: 1, malformed, firstAt: at });
    else this.unnamed += weight;
  }
}

/** "1 span", "3 data points". */
export function counted(count: number, name: string): string {
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}
