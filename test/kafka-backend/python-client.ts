import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface StoredRecord {
  topic: string;
  partition: number;
  offset?: number;
  timestamp: number;
  key: string | null;
  value: string;
  headers: [string, string][];
}

/** Every record of the topics as Confluent's Python client (not Tributary's code) reads them from Kafka. */
export async function readWithPythonClient(bootstrap: string[], topics: string[]): Promise<StoredRecord[]> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [join(import.meta.dirname, 'read-topics.py'), bootstrap.join(','), ...topics], { timeout: 60_000 });
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredRecord);
}

/** Why Confluent's Python client cannot run here (Debian python3-confluent-kafka), or undefined. */
export function pythonClientUnavailable(): string | undefined {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import confluent_kafka'], { stdio: 'ignore' });
  return probe.status === 0 ? undefined : "Confluent's Python Kafka client (Debian package python3-confluent-kafka)";
}
