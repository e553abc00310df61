/** Runs on: a sink worker; the main thread also builds each sink once, to check its settings before start. */
import { ConfigError } from '../errors.js';
import { debugSinkFactory } from './debug/debug-sink.js';
import { fileSinkFactory } from './file/file-sink.js';
import { kafkaSinkFactory } from './kafka/kafka-sink.js';
import { otlpHttpSinkFactory } from './otlphttp/otlphttp-sink.js';
import { prometheusRemoteWriteSinkFactory } from './prometheusremotewrite/prometheusremotewrite-sink.js';
import type { Sink, SinkContext, SinkFactory } from './sink.js';
import { webhookSinkFactory } from './webhook/webhook-sink.js';

/** Every sink type a pipeline may name, by its `type`. */
export const sinkFactories: ReadonlyMap<string, SinkFactory> = new Map(
  [otlpHttpSinkFactory, prometheusRemoteWriteSinkFactory, fileSinkFactory, webhookSinkFactory, debugSinkFactory, kafkaSinkFactory].map((f) => [f.type, f]),
);

/** Builds the sink a pipeline's `sink` block describes; an unknown type or bad key is a ConfigError naming the path. */
export function createSink(config: { type: string } & Record<string, unknown>, context: SinkContext): Sink {
  const factory = sinkFactories.get(config.type);
  if (!factory) {
    throw new ConfigError(`${context.path}.type: unknown sink type "${config.type}"; expected one of ${[...sinkFactories.keys()].join(', ')}`, {
      details: { field: `${context.path}.type` },
    });
  }
  return factory.create(config, context);
}
