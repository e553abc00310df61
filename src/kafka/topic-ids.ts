/**
 * Runs on: main thread.
 *
 * Topic ids (Metadata v10+, DeleteTopics v6). The embedded log keeps a random id for each topic it
 * creates, so a topic deleted and created again under its name gets a new one, as in Kafka. A topic
 * created before the log kept ids gets one derived from the cluster id and its name: stable across
 * restarts, distinct per topic (clients key their metadata by it), never the all-zero id Kafka
 * reserves for "none".
 */
import { createHash } from 'node:crypto';
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';
import type { TopicInfo } from '../log/types.js';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function topicId(clusterId: string, topic: Pick<TopicInfo, 'name' | 'id'>): Buffer {
  if (topic.id) return Buffer.from(topic.id.replaceAll('-', ''), 'hex');
  const id = Buffer.from(createHash('sha256').update(`${clusterId}\u0000${topic.name}`).digest().subarray(0, 16));
  id[6] = (id[6] & 0x0f) | 0x40; // the shape of a random (v4) UUID
  id[8] = (id[8] & 0x3f) | 0x80;
  return id;
}

export function topicIdText(id: Buffer): string {
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Topic names by the text form of their ids, read again from the log when an id is not known.
 * Resolutions asked while a reading runs wait for it rather than start their own, so that a request
 * naming thousands of unknown ids (a Fetch, a DeleteTopics) reads the log once, not once per id.
 */
export class TopicIdIndex {
  private byId = new Map<string, string>();
  private reading: Promise<void> | undefined;

  constructor(
    private readonly log: Pick<EmbeddedBackend, 'listTopics' | 'partitionCount'>,
    private readonly clusterId: () => string,
  ) {}

  /** The topic's name when `nameOrId` is the text form of a topic id; otherwise `nameOrId`. */
  async resolve(nameOrId: string): Promise<string> {
    if (this.log.partitionCount(nameOrId) !== undefined || !UUID_TEXT.test(nameOrId)) return nameOrId;
    const key = nameOrId.toLowerCase();
    if (!this.byId.has(key)) await this.read();
    return this.byId.get(key) ?? nameOrId;
  }

  /** A topic was deleted: its id must not lead to a topic created again under its name. */
  forget(): void {
    this.byId = new Map();
  }

  private read(): Promise<void> {
    this.reading ??= this.log
      .listTopics()
      .then((topics) => {
        this.byId = new Map(topics.map((t) => [topicIdText(topicId(this.clusterId(), t)), t.name]));
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
