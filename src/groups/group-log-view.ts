// Runs on: main thread.
import type { LogBackend } from '../log/backend.js';

/** What the coordinator needs from the log: metadata, high watermarks, timestamps, and fetch for its consumers. */
export type GroupLogView = Pick<LogBackend, 'partitionCount' | 'describeTopic' | 'offsetForTimestamp' | 'fetch'>;
