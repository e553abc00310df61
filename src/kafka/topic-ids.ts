/**
 * Runs on: main thread.
 *
 * Topic ids (Metadata v10+). The embedded log has none of its own, so each is derived from the
 * cluster id and the topic's name: stable across restarts, distinct per topic (clients key their
 * metadata by it), never the all-zero id Kafka reserves for "none".
 */
import { createHash } from 'node:crypto';
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function topicId(clusterId: string, topic: string): Buffer {
  const id = Buffer.from(createHash('sha256').update(`${clusterId}\u0000${topic}`).digest().subarray(0, 16));
  id[6] = (id[6] & 0x0f) | 0x40; // the shape of a random (v4) UUID
  id[8] = (id[8] & 0x3f) | 0x80;
  return id;
}

export function topicIdText(id: Buffer): string {
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Topic names by the text form of their ids, rebuilt from the log when an id is not known yet. */
export class TopicIdIndex {
  private byId = new Map<string, string>();

  constructor(
    private readonly log: Pick<EmbeddedBackend, 'listTopics' | 'partitionCount'>,
    private readonly clusterId: () => string,
  ) {}

  /** The topic's name when `nameOrId` is the text form of a topic id; otherwise `nameOrId`. */
  async resolve(nameOrId: string): Promise<string> {
    if (this.log.partitionCount(nameOrId) !== undefined || !UUID_TEXT.test(nameOrId)) return nameOrId;
    const key = nameOrId.toLowerCase();
    if (!this.byId.has(key)) {
      const names = (await this.log.listTopics()).map((t) => t.name);
      this.byId = new Map(names.map((name) => [topicIdText(topicId(this.clusterId(), name)), name]));
    }
    return this.byId.get(key) ?? nameOrId;
  }
}
