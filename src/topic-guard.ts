// Runs on: main thread.
import { deadLetterTopicOf } from './config/across-keys.js';
import type { TributaryConfig } from './config/schema.js';
import { TributaryError } from './errors.js';
import type { LogBackend } from './log/backend.js';
import type { PipelineView } from './subscriptions/subscriptions.js';

export interface TopicGuardOptions {
  config: TributaryConfig;
  backend: LogBackend;
  /**
   * Runs its argument with every pipeline the pipelines API shows (the subscriptions, whatever
   * their state, included), no subscription being created meanwhile (Subscriptions.whileUnchanged).
   */
  whilePipelinesUnchanged: <T>(use: (views: PipelineView[]) => Promise<T>) => Promise<T>;
}

/**
 * A topic deletion as the admin API and the Kafka listener offer it: the log deletes any topic
 * (LogBackend.deleteTopic), but the gateway refuses the topics it uses itself, so that a deletion
 * never takes the ground from under ingest or a sink:
 * - RECEIVER_TOPIC: a topic of `receiver.topics` (every gateway of a fleet writes there, whatever
 *   this process's role);
 * - PIPELINE_TOPIC: a topic a pipeline reads or dead-letters to, a pipeline of the config file (run
 *   here or by the `--role sinks` processes) or a subscription, running, paused or failed (a paused
 *   one resumes from its offsets on it). Delete or change the pipeline first.
 * An unknown topic is UNKNOWN_TOPIC first, whoever would use it.
 */
export function guardedTopicDeletion(options: TopicGuardOptions): (topic: string) => Promise<void> {
  return async (topic) => {
    const { config, backend } = options;
    await backend.describeTopic(topic);
    const signal = Object.entries(config.receiver.topics).find(([, t]) => t === topic)?.[0];
    if (signal) {
      throw new TributaryError('RECEIVER_TOPIC', `topic "${topic}" is where the receiver writes ${signal} (receiver.topics.${signal}); it cannot be deleted`, {
        details: { topic, signal },
      });
    }
    // Checked and deleted as one change: a subscription created in between would read a deleted topic.
    await options.whilePipelinesUnchanged(async (views) => {
      const users = pipelinesUsing(topic, config, views);
      if (users.length > 0) {
        const named = users.map((u) => `"${u.group}" (${u.how})`).join(', ');
        throw new TributaryError('PIPELINE_TOPIC', `topic "${topic}" is used by pipeline ${named}: delete the pipeline, or take the topic out of it, first`, {
          details: { topic, pipelines: users.map((u) => u.group) },
        });
      }
      await backend.deleteTopic(topic);
    });
  };
}

type Use = { group: string; how: string };

function pipelinesUsing(topic: string, config: TributaryConfig, views: PipelineView[]): Use[] {
  const uses = new Map<string, Use>();
  const note = (group: string, reads: boolean, deadLetters: boolean, state?: string) => {
    if (!reads && !deadLetters) return;
    const how = [reads ? 'reads it' : 'dead-letters to it', state && state !== 'running' ? state : undefined].filter(Boolean).join(', ');
    uses.set(group, { group, how });
  };
  // The config's pipelines, also where this process runs none of them (--role ingest).
  for (const p of config.pipelines) note(p.group, p.topics.includes(topic), p.dead_letter.enabled && deadLetterTopicOf(p) === topic);
  for (const v of views) {
    if (v.source !== 'api') continue;
    const reads = Array.isArray(v.topics) && v.topics.includes(topic);
    note(v.group, reads, v.dead_letter?.enabled === true && v.dead_letter.topic === topic, v.state);
  }
  return [...uses.values()];
}
