// Runs in: the browser (the web console).
import type { ApiClient, ApiError } from '../api.js';
import type { RecordsPage, Topic } from '../types.js';
import { addRecord, emptyItems, type TailItems } from './otlp.js';

export type StartAt = { at: 'latest' } | { at: 'earliest' } | { at: 'offset'; offset: number } | { at: 'time'; timestamp: number };

export interface FollowOptions {
  topic: string;
  partition: number | 'all';
  start: StartAt;
}

/** Records per request, and the pause between rounds once every partition is read to its end. */
const PAGE = 200;
const POLL_MS = 1000;
/** What the page keeps: the oldest items go first. */
const MAX_ITEMS = 2000;

type Cursor = { offset: number } | { timestamp: number };

function trim<T>(items: T[]): void {
  if (items.length > MAX_ITEMS) items.splice(0, items.length - MAX_ITEMS);
}

/**
 * Follows a topic's partitions through the records API (`format=otlp-json`), from where the user
 * asked: each round reads every partition from its cursor, adds what it decodes to `items`, and
 * calls `onChange`. While paused it reads nothing; it resumes where it stopped.
 */
export class TailFollower {
  readonly items: TailItems = emptyItems();
  records = 0;
  partitions: number[] = [];
  paused = false;
  error: ApiError | undefined;
  /** Records that retention deleted before the tail read them (it goes on from the oldest kept). */
  skipped = 0;
  /** Partitions whose log came back shorter than the tail had read (it goes on by time). */
  readonly cutBack = new Set<number>();
  private readonly controller = new AbortController();
  private readonly startedAt = Date.now();
  /** Per partition, the timestamp of the last record read: where to go on from by time. */
  private readonly lastTimestamp = new Map<number, number>();

  constructor(
    private readonly api: ApiClient,
    readonly options: FollowOptions,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    this.run().catch(() => {
      // Only an abort ends run() with an error; stop() asked for it.
    });
  }

  stop(): void {
    this.controller.abort();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private describe(): Promise<Topic> {
    return this.api.get<Topic>(`topics/${encodeURIComponent(this.options.topic)}`, this.controller.signal);
  }

  /** Each partition's high watermark: one request for the whole topic. */
  private async ends(): Promise<Map<number, number>> {
    return new Map((await this.describe()).partitions.map((p) => [p.partition, p.highWatermark]));
  }

  private async cursors(): Promise<Map<number, Cursor>> {
    const { partition, start } = this.options;
    const info = await this.describe();
    const chosen = info.partitions.filter((p) => partition === 'all' || p.partition === partition);
    this.partitions = chosen.map((p) => p.partition);
    const cursorOf = (p: Topic['partitions'][number]): Cursor => {
      if (start.at === 'latest') return { offset: p.highWatermark };
      if (start.at === 'earliest') return { offset: p.logStartOffset };
      if (start.at === 'offset') return { offset: start.offset };
      return { timestamp: start.timestamp };
    };
    return new Map(chosen.map((p) => [p.partition, cursorOf(p)]));
  }

  /**
   * One page of a partition; or, when its cursor is out of the log, where to go on from:
   * - below the log start offset (retention deleted what the tail had yet to read, say while it was
   *   paused): the oldest offset kept, with what was lost counted, as a Kafka consumer with
   *   `auto.offset.reset=earliest` goes on;
   * - past the high watermark (the log came back shorter: a gateway started again on another data
   *   directory, or a recovery that cut a torn tail): the first record received after the last one
   *   read, by time, since the offsets it read no longer name the same records.
   */
  private async read(url: string, partition: number, cursor: Cursor): Promise<RecordsPage | Cursor> {
    try {
      return await this.api.get<RecordsPage>(url, this.controller.signal);
    } catch (err) {
      if ((err as ApiError).code !== 'OFFSET_OUT_OF_RANGE' || !('offset' in cursor)) throw err;
      const now = (await this.describe()).partitions.find((p) => p.partition === partition);
      if (!now) throw err;
      if (cursor.offset < now.logStartOffset) {
        this.skipped += now.logStartOffset - cursor.offset;
        return { offset: now.logStartOffset };
      }
      if (cursor.offset <= now.highWatermark) throw err;
      this.cutBack.add(partition);
      return { timestamp: (this.lastTimestamp.get(partition) ?? this.startedAt) + 1 };
    }
  }

  private async run(): Promise<void> {
    const path = `topics/${encodeURIComponent(this.options.topic)}/records`;
    let cursors: Map<number, Cursor> | undefined;
    while (!this.controller.signal.aborted) {
      if (this.paused) {
        await this.sleep(250);
        continue;
      }
      let more = false;
      try {
        cursors ??= await this.cursors();
        // A partition read up to its high watermark has nothing new: it is not asked, so an idle
        // tail costs one request a round, not one per partition (hundreds, on a wide topic).
        const ends = await this.ends();
        for (const [partition, cursor] of cursors) {
          if ('offset' in cursor && cursor.offset === ends.get(partition)) continue;
          const from = 'offset' in cursor ? `offset=${cursor.offset}` : `timestamp=${cursor.timestamp}`;
          const page = await this.read(`${path}?partition=${partition}&${from}&limit=${PAGE}&format=otlp-json`, partition, cursor);
          if (!('records' in page)) {
            cursors.set(partition, page);
            more = true;
            continue;
          }
          for (const record of page.records) addRecord(this.items, partition, record);
          this.records += page.records.length;
          const last = page.records[page.records.length - 1];
          if (last) this.lastTimestamp.set(partition, last.timestamp);
          cursors.set(partition, { offset: last ? last.offset + 1 : 'offset' in cursor ? cursor.offset : page.highWatermark });
          if (page.records.length === PAGE) more = true;
        }
        this.error = undefined;
      } catch (err) {
        if (this.controller.signal.aborted) return;
        this.error = err as ApiError;
      }
      trim(this.items.spans);
      trim(this.items.logs);
      trim(this.items.metrics);
      trim(this.items.undecoded);
      this.onChange();
      if (!more) await this.sleep(POLL_MS);
    }
  }
}
