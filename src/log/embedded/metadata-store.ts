// Runs on: main thread.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../atomic-file.js';
import { ConfigError } from '../../errors.js';
import { storageError } from '../storage-error.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { checkMetadata, RESTORE } from './metadata-check.js';

const METADATA_FILE = 'cluster.json';

export function metadataDir(dataDir: string): string {
  return join(dataDir, 'meta');
}

/** Reads the metadata, or undefined when the data directory has none yet. */
export function loadMetadata(dataDir: string): ClusterMetadata | undefined {
  const path = join(metadataDir(dataDir), METADATA_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storageError(err, `reading the cluster metadata ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`the cluster metadata ${path} is not valid JSON; ${RESTORE}`, {
      cause: err,
    });
  }
  return checkMetadata(parsed, path);
}

/** Writes the metadata atomically: a crash leaves either the old or the new file, never a mix. */
export function saveMetadata(dataDir: string, metadata: ClusterMetadata): void {
  writeFileAtomically(join(metadataDir(dataDir), METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}
