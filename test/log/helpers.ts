import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { configSchema, type LogConfig } from '../../src/config/schema.js';
import { createEmbeddedBackend, type EmbeddedBackend, type EmbeddedBackendOptions } from '../../src/log/embedded/embedded-backend.js';
import { readAll, textRecords, values } from './conformance.js';

/** A fresh data directory, removed after the test. */
export function useDataDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-log-'));
    dirs.push(dir);
    return dir;
  };
}

/**
 * The log section of a config as the schema fills it, with `overrides` in YAML's snake_case. One
 * broker unless a test asks for more: each thread takes a while to boot from TypeScript sources.
 */
export function logConfig(dataDir: string, overrides: Record<string, unknown> = {}): LogConfig {
  return configSchema.parse({ log: { data_dir: dataDir, brokers: 1, fsync: 'never', ...overrides } }).log;
}

export async function startEmbedded(
  dataDir: string,
  overrides: Record<string, unknown> = {},
  options: Omit<EmbeddedBackendOptions, 'log'> = {},
): Promise<EmbeddedBackend> {
  const backend = createEmbeddedBackend({ log: logConfig(dataDir, overrides), ...options });
  await backend.start();
  return backend;
}

/**
 * After the topic `hog` was deleted to free what it held: only `keeper` is left, it takes records
 * again after the one it had (`kept`), and `hog` created anew is empty.
 */
export async function expectHogGoneAndLogWrites(backend: EmbeddedBackend): Promise<void> {
  expect((await backend.listTopics()).map((t) => t.name)).toEqual(['keeper']);
  await backend.produce('keeper', 0, textRecords(['after']));
  expect(values(await readAll(backend, 'keeper', 0))).toEqual(['kept', 'after']);
  await backend.createTopic({ name: 'hog', partitions: 1 });
  expect((await backend.describeTopic('hog')).partitions[0].highWatermark).toBe(0);
}
