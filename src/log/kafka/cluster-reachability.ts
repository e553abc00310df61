/**
 * Runs on: main thread.
 *
 * Whether the Kafka cluster answers, as the Kafka backend learns it: the errors librdkafka reports
 * against the last time the cluster answered (a metadata refresh, an acknowledged produce). While
 * every broker connection is down, calls are refused at once rather than queued to time out (the
 * OpenTelemetry SDKs give up on a request after 10 s and drop it, where a 503 is retried), and a
 * metadata request, one at a time, finds out when the cluster is back.
 */
import { TributaryError } from '../../errors.js';

/**
 * librdkafka's text for ERR__ALL_BROKERS_DOWN as the client's error events carry it (they carry
 * the text, lower-cased, and no code): every connection to the cluster is down.
 */
const ALL_BROKERS_DOWN = 'all broker connections are down';

export interface ReachabilityDeps {
  brokers: readonly string[];
  /** A metadata request: resolving means the cluster answered. */
  ask: () => Promise<unknown>;
  /** Whether asking makes sense now (the backend is running). */
  canAsk: () => boolean;
  /** Every broker connection went down: what waits for the cluster should fail with `err` now. */
  allDown: (err: TributaryError) => void;
}

/**
 * Events are ordered on the monotonic clock (`performance.now()`): with the wall clock, one set
 * back during an outage made every answer since look older than the outage, and requests were
 * refused until it caught up.
 */
export class ClusterReachability {
  /** The last error librdkafka reported about the cluster. */
  private lastError: { at: number; message: string } | undefined;
  private lastAnswer = 0;
  /** When librdkafka last reported every broker connection down. */
  private allDownAt = -1;
  /** The metadata request that checks whether the cluster answers again, while one is out. */
  private asking: Promise<void> | undefined;

  constructor(private readonly deps: ReachabilityDeps) {}

  /** An error librdkafka reported about the cluster. */
  reported(message: string): void {
    const at = performance.now();
    this.lastError = { at, message };
    if (message !== ALL_BROKERS_DOWN) return;
    this.allDownAt = at;
    this.deps.allDown(this.unreachable());
  }

  /** The cluster answered a request. */
  answered(): void {
    this.lastAnswer = performance.now();
  }

  /**
   * Whether every broker connection is down and the cluster has not answered since; while it is,
   * each call asks for its return (one request at a time).
   */
  away(): boolean {
    if (this.allDownAt < this.lastAnswer) return false;
    this.probe();
    return true;
  }

  /** The error librdkafka reported since the cluster last answered, if any; then asks whether it still holds. */
  pendingError(): string | undefined {
    if (!this.lastError || this.lastError.at < this.lastAnswer) return undefined;
    // Without traffic nothing else would notice the cluster's return before the next metadata refresh.
    this.probe();
    return this.lastError.message;
  }

  unreachable(): TributaryError {
    return new TributaryError('BROKER_UNAVAILABLE', `the Kafka cluster does not answer (${ALL_BROKERS_DOWN}; brokers ${this.deps.brokers.join(', ')})`, {
      retriable: true,
    });
  }

  private probe(): void {
    if (this.asking || !this.deps.canAsk()) return;
    this.asking = this.deps
      .ask()
      .then(
        () => this.answered(),
        () => {},
      )
      .finally(() => {
        this.asking = undefined;
      });
  }
}
