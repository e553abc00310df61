/** Runs on: a sink worker. */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { TributaryError } from '../../errors.js';
import { parseRetryAfter } from './retry-after.js';

const gzipAsync = promisify(gzip);

export interface HttpPost {
  url: string;
  body: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** Statuses after which the same request may succeed later: timeouts, throttling, server errors. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const MAX_REASON_CHARS = 512;

function reasonOf(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, MAX_REASON_CHARS * 4)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_REASON_CHARS ? text.slice(0, MAX_REASON_CHARS) + '…' : text;
}

/**
 * POSTs one body and resolves with the 2xx answer. Anything else throws a TributaryError:
 * SINK_UNAVAILABLE (retriable) for network errors, timeouts, 408, 429 and 5xx, with
 * `details.retryAfterMs` from `Retry-After`; SINK_REJECTED for the other statuses, with the
 * destination's reason.
 */
export async function httpPost(request: HttpPost): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...request.headers, 'content-type': request.contentType };
  let body = request.body;
  if (request.compression === 'gzip') {
    body = await gzipAsync(body);
    headers['content-encoding'] = 'gzip';
  }
  let response: Response;
  let answer: Buffer;
  try {
    response = await fetch(request.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(request.timeoutMs) });
    answer = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : (err as Error).message;
    throw new TributaryError('SINK_UNAVAILABLE', `POST ${request.url} failed: ${reason}`, { retriable: true, cause: err });
  }
  const { status } = response;
  if (status >= 200 && status < 300) return { status, headers: response.headers, body: answer };
  const reason = reasonOf(answer);
  const message = `POST ${request.url} answered ${status}${reason ? `: ${reason}` : ''}`;
  if (isRetriableStatus(status)) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new TributaryError('SINK_UNAVAILABLE', message, { retriable: true, details: { status, retryAfterMs } });
  }
  throw new TributaryError('SINK_REJECTED', message, { details: { status, reason } });
}
