/** Runs on: a sink worker. */
import { z } from 'zod';
import { connectionTimeout } from '../../config/units.js';

const url = z.url({ protocol: /^https?$/, error: 'expected a URL such as http://127.0.0.1:4318' });

/** Keys shared by every sink that POSTs to an HTTP endpoint. */
export const httpSinkKeys = {
  endpoint: url,
  /** Sent with every request, e.g. `Authorization: Bearer ...`. */
  headers: z.record(z.string(), z.string()).default({}),
  /** The whole request, sent to answered; a timer holds it, so at most about 24 days. */
  timeout: connectionTimeout.default(10_000),
  compression: z.enum(['gzip', 'none']).default('none'),
};

export { url as httpUrl };
