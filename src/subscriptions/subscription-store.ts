/**
 * Runs on: main thread.
 *
 * The subscriptions created through the API, kept in `<data_dir>/meta/pipelines.json` (mode 0600:
 * sink settings may hold credentials) so that a restart, or a kill -9, restores them. Each is
 * stored as the request gave it, so it is checked again, with today's rules, when it is restored.
 * The file is replaced atomically on every change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { ConfigError } from '../errors.js';
import { storageError } from '../log/storage-error.js';

export interface StoredSubscription {
  /** The pipeline as the request gave it, without `start`. */
  pipeline: Record<string, unknown>;
  /** Where it began reading, as given (applied once, at creation). */
  start?: unknown;
  paused: boolean;
  /** ISO-8601. */
  createdAt: string;
}

interface StoreFile {
  version: 1;
  subscriptions: StoredSubscription[];
}

export class SubscriptionStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'meta', 'pipelines.json');
  }

  /** What the file holds; none when there is no file yet. A file that cannot be read as one is refused, naming it and the fix. */
  load(): StoredSubscription[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError(err, `reading the subscriptions ${this.path}`);
    }
    const fix = 'restore it from a backup, or move it away (the subscriptions in it are then forgotten)';
    let parsed: Partial<StoreFile>;
    try {
      parsed = JSON.parse(text) as Partial<StoreFile>;
    } catch (err) {
      throw new ConfigError(`the subscriptions file ${this.path} is not valid JSON; ${fix}`, { cause: err });
    }
    if (parsed?.version !== 1 || !Array.isArray(parsed.subscriptions)) {
      throw new ConfigError(`the subscriptions file ${this.path} is not one this version wrote (expected { "version": 1, "subscriptions": [...] }); ${fix}`);
    }
    // Each entry is checked where it is restored: one that no longer passes is shown as failed, not dropped.
    return parsed.subscriptions;
  }

  save(subscriptions: readonly StoredSubscription[]): void {
    const file: StoreFile = { version: 1, subscriptions: [...subscriptions] };
    try {
      writeFileAtomically(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    } catch (err) {
      throw storageError(err, `writing the subscriptions ${this.path}`);
    }
  }
}
