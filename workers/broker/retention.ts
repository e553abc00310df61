// Runs on: broker thread.
export interface RetentionPolicy {
  retentionBytes?: number;
  retentionMs?: number;
}

export interface SegmentExtent {
  size: number;
  maxTimestamp: number;
  /** When it was last written. */
  lastModified: number;
}

/**
 * The time a segment's age is counted from: its newest record's timestamp; for a segment whose
 * records carry none (-1, Kafka's NO_TIMESTAMP, or below), when it was last written, as Kafka's
 * LogSegment.largestTimestamp does. Without it such a segment was never old enough, and kept every
 * later one of its partition from retention by age.
 */
function retentionTime(s: SegmentExtent): number {
  return s.maxTimestamp >= 0 ? s.maxTimestamp : s.lastModified;
}

/**
 * How many segments from the start of a log retention deletes: while the oldest one is older
 * than retentionMs (by its largest timestamp) or the log without it still holds retentionBytes.
 * Whole segments only, and never the last (active) one, as Kafka does. A limit that is absent or
 * negative (-1, Kafka's "unlimited") deletes nothing.
 */
export function segmentsPastRetention(segments: readonly SegmentExtent[], policy: RetentionPolicy, now: number): number {
  let remaining = 0;
  for (const s of segments) remaining += s.size;
  let n = 0;
  while (n < segments.length - 1) {
    const s = segments[n];
    const expired = policy.retentionMs !== undefined && policy.retentionMs >= 0 && now - retentionTime(s) > policy.retentionMs;
    const surplus = policy.retentionBytes !== undefined && policy.retentionBytes >= 0 && remaining - s.size >= policy.retentionBytes;
    if (!expired && !surplus) break;
    remaining -= s.size;
    n++;
  }
  return n;
}
