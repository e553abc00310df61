// Runs on: main thread. The process's file descriptors, shared out between the log's partitions and the listeners' connections.
import { readFileSync } from 'node:fs';

/**
 * How many partitions the process can keep open. A partition holds file descriptors for its
 * directory, its recovery checkpoint, and a log and an index per segment; six leaves room for the
 * active segment and one before it (retention keeps older ones, and each of those holds two more,
 * so a long retention needs a higher limit than this count suggests). A quarter of the limit, at
 * least 256, is kept for everything else: client and sink connections, worker threads, the group
 * offset store, files that sinks write.
 */
const FDS_PER_PARTITION = 6;

export interface PartitionCapacity {
  /** The most partitions the log may hold. */
  partitions: number;
  /** RLIMIT_NOFILE of the process (Node raises its soft limit to the hard one at start). */
  fileLimit: number;
  reserved: number;
}

/** Undefined where the limit cannot be read (not Linux) or is unlimited: then no bound applies. */
export function partitionCapacity(fileLimit = openFileLimit()): PartitionCapacity | undefined {
  if (fileLimit === undefined) return undefined;
  const reserved = Math.max(256, Math.floor(fileLimit / 4));
  return { partitions: Math.max(0, Math.floor((fileLimit - reserved) / FDS_PER_PARTITION)), fileLimit, reserved };
}

/** The soft RLIMIT_NOFILE from /proc/self/limits, read afresh (prlimit can change it at run time). */
function openFileLimit(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
}

/** What to tell an operator when `wanted` partitions do not fit. */
export function capacityExplained(capacity: PartitionCapacity): string {
  return (
    `the process may open ${capacity.fileLimit} files (ulimit -n), keeps ${capacity.reserved} of them for sockets and ` +
    `other files, and a partition needs about ${FDS_PER_PARTITION}: at most ${capacity.partitions} partitions in all; ` +
    'raise the limit (ulimit -n, LimitNOFILE=, docker --ulimit nofile=) or use fewer partitions'
  );
}

/** Of the descriptors kept beside the partitions, those not for connections: threads, the offset store, files sinks write. */
const OTHER_FDS = 64;

/**
 * The listeners' connection limits (by config key), lowered in proportion where together they
 * would take more descriptors than the reserve above leaves for connections: past its limit a
 * listener closes new connections as it accepts them, so clients can never take the descriptors
 * the log needs to roll a segment. `explained` says what was lowered, for a warning at start.
 */
export function connectionLimitsWithin(wanted: Record<string, number>, fileLimit = openFileLimit()): { limits: Record<string, number>; explained?: string } {
  const capacity = partitionCapacity(fileLimit);
  const total = Object.values(wanted).reduce((a, b) => a + b, 0);
  if (!capacity || total === 0) return { limits: wanted };
  const share = Math.max(Object.keys(wanted).length, capacity.reserved - OTHER_FDS);
  if (total <= share) return { limits: wanted };
  const limits = Object.fromEntries(Object.entries(wanted).map(([key, n]) => [key, Math.max(1, Math.floor((n * share) / total))]));
  const listed = Object.entries(wanted).map(([key, n]) => `${key} ${n} to ${limits[key]}`);
  return {
    limits,
    explained:
      `the connection limits together (${total}) need more file descriptors than the process keeps for connections ` +
      `(${share} of ulimit -n ${capacity.fileLimit}); lowered: ${listed.join(', ')}; raise the limit (ulimit -n, LimitNOFILE=, ` +
      'docker --ulimit nofile=) to keep them',
  };
}
