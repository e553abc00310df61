// Runs on: main thread.
import type { EmbeddedBackend } from '../log/embedded/embedded-backend.js';

/**
 * What the coordinator needs from the log: metadata, high watermarks (describeTopicLayout reads
 * them from the leaders' shared memory, so lag costs no request to a broker thread), timestamps,
 * and fetch for its consumers.
 */
export type GroupLogView = Pick<EmbeddedBackend, 'partitionCount' | 'describeTopic' | 'describeTopicLayout' | 'offsetForTimestamp' | 'fetch'>;
