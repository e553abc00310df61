/** Runs on: a sink worker. */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { z } from 'zod';
import { byteSize, duration } from '../../config/units.js';
import { TributaryError } from '../../errors.js';
import { recordsAsJson } from '../otlp-text.js';
import { parseSinkConfig } from '../sink-config.js';
import type { ExportOutcome, Sink, SinkBatch, SinkContext, SinkFactory } from '../sink.js';
import { RotatingFile } from './rotating-file.js';

const gzipAsync = promisify(gzip);
const NEWLINE = Buffer.from('\n');

const configSchema = z.strictObject({
  path: z.string({ error: 'expected a file path such as ./exports/otlp.jsonl' }).min(1),
  rotation: z
    .strictObject({
      max_bytes: byteSize.default(100 * 1024 ** 2),
      max_age: duration.default(86_400_000),
      max_files: z.number().int().min(0).default(10),
    })
    .default({ max_bytes: 100 * 1024 ** 2, max_age: 86_400_000, max_files: 10 }),
  compression: z.enum(['gzip', 'none']).default('none'),
});

export type FileSinkConfig = z.output<typeof configSchema>;

/**
 * Appends each batch as OTLP/JSON lines, one line per signal. With gzip each batch is its own
 * gzip member: concatenated members are one valid gzip file, and a crash never leaves a
 * half-written stream behind the last complete batch.
 */
export function createFileSink(config: FileSinkConfig, context: SinkContext): Sink {
  const path = config.compression === 'gzip' && !config.path.endsWith('.gz') ? `${config.path}.gz` : config.path;
  const file = new RotatingFile(path, {
    maxBytes: config.rotation.max_bytes,
    maxAgeMs: config.rotation.max_age,
    maxFiles: config.rotation.max_files,
  });
  return {
    type: 'file',
    async start() {
      // A file that cannot be opened yet (a full disk, a directory not mounted) must not stop the
      // gateway: each export tries again, with the pipeline's backoff, until it can.
      await file.open().catch((err: Error) => {
        context.logger.warn('cannot open the file yet; exports will retry', { pipeline: context.pipeline, path, error: err.message });
      });
    },
    async export(batch: SinkBatch): Promise<ExportOutcome> {
      const lines = batch.signals.map(({ signal, records }) => recordsAsJson(signal, records, NEWLINE));
      // A batch of one signal (the usual case) is written as it is: no copy of megabytes.
      const text = lines.length === 1 ? lines[0] : Buffer.concat(lines);
      const chunk = config.compression === 'gzip' ? await gzipAsync(text) : text;
      try {
        await file.append(chunk);
      } catch (err) {
        throw new TributaryError('SINK_UNAVAILABLE', `cannot write ${path}: ${(err as Error).message}`, { retriable: true, cause: err });
      }
      return {};
    },
    shutdown: () => file.close(),
  };
}

export const fileSinkFactory: SinkFactory = {
  type: 'file',
  // One writer per file: the members of a pipeline append through one RotatingFile.
  oneInstance: true,
  create: (raw, context) => createFileSink(parseSinkConfig(configSchema, raw, context.path), context),
};
