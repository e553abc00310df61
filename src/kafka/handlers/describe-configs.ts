/**
 * Runs on: main thread.
 *
 * DescribeConfigs (key 32): a topic's settings under Kafka's config names (read-only: configs
 * are changed through the Tributary config or admin API), the ones it does not set as the log's
 * defaults that apply to it (topic-configs.ts); a broker has none to show. Null or no keys asked
 * for is every config, as in Kafka.
 */
import { defineApi, specOf } from '../api.js';
import { KafkaError, kafkaErrorCode } from '../error-codes.js';
import { readDescribeConfigsRequest } from '../messages/describe-configs-request.js';
import { describeConfigsResponseSpec, writeDescribeConfigsResponse } from '../messages/describe-configs-response.js';
import { describedConfigs } from '../topic-configs.js';

const TOPIC = 2;
const BROKER = 4;

export const describeConfigs = defineApi({
  ...specOf(describeConfigsResponseSpec, { min: 0, max: 4 }),
  name: 'DescribeConfigs',
  readRequest: readDescribeConfigsRequest,
  writeResponse: writeDescribeConfigsResponse,
  async handle(request, _ctx, { log }) {
    // From the controller's metadata, once per topic named: a request may name a topic many times,
    // and a look-up that asked its brokers each time held memory and the main thread for each.
    const described = new Map<string, ReturnType<typeof describedConfigs> | Error>();
    const configsOf = (topic: string) => {
      let found = described.get(topic);
      if (!found) {
        try {
          found = describedConfigs(log.describeTopicLayout(topic).settings, log.topicDefaults());
        } catch (err) {
          found = err as Error;
        }
        described.set(topic, found);
      }
      return found;
    };
    // A resource named again with the same keys shares its first answer: each answer holds the
    // topic's configs, so one built per name grew a 3.4 MB request naming a topic 200,000 times
    // into 600 MB of answers. The encoded answer is held to kafka.max_request_bytes (connection.ts).
    const answers = new Map<string, ReturnType<typeof answer>>();
    const answer = ({ resourceType, resourceName, configurationKeys }: (typeof request.resources)[number]) => {
      const base = { errorCode: KafkaError.NONE, errorMessage: null, resourceType, resourceName, configs: [] };
      if (resourceType === BROKER) return base;
      if (resourceType !== TOPIC) return { ...base, errorCode: KafkaError.INVALID_REQUEST, errorMessage: `resource type ${resourceType} is not described` };
      const configs = configsOf(resourceName);
      if (configs instanceof Error) return { ...base, errorCode: kafkaErrorCode(configs), errorMessage: configs.message };
      // Kafka's broker reads an empty list of keys as null: every config (what a client that
      // leaves the list empty expects, @platformatic/kafka's describeConfigs with [] for one).
      const every = configurationKeys === null || configurationKeys.length === 0;
      return { ...base, configs: configs.filter((c) => every || configurationKeys.includes(c.name)).map((c) => ({ ...c, synonyms: [] })) };
    };
    const results = request.resources.map((resource) => {
      const keys = resource.configurationKeys === null || resource.configurationKeys.length === 0 ? '' : JSON.stringify(resource.configurationKeys);
      const key = `${resource.resourceType}\u0000${resource.resourceName}\u0000${keys}`;
      let found = answers.get(key);
      if (!found) {
        found = answer(resource);
        answers.set(key, found);
      }
      return found;
    });
    return { results };
  },
});
