/** Runs on: a sink worker. */
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { TributaryError } from '../../errors.js';
import { urlWithoutSecrets } from '../../url-without-secrets.js';
import { parseRetryAfter } from './retry-after.js';

const gzipAsync = promisify(gzip);

export interface HttpPost {
  url: string;
  body: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** Told once nothing reads `body` any more (its request closed, or it was compressed), so its memory may be reused. */
  bodyDone?: () => void;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Statuses after which the same request may succeed later: timeouts, throttling, server errors. */
function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const MAX_REASON_CHARS = 512;

/** The most of an answer's body kept: a destination that sends more (or never ends) holds no more memory than this. */
const MAX_ANSWER_BYTES = 1024 * 1024;

function reasonOf(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, MAX_REASON_CHARS * 4)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_REASON_CHARS ? text.slice(0, MAX_REASON_CHARS) + '…' : text;
}

/**
 * POSTs request bodies over keep-alive connections of its own (one client per sink, closed with
 * it). node:http rather than fetch: for bodies of hundreds of kilobytes fetch cost about 1 ms of
 * CPU more per request.
 */
export class HttpClient {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });

  /**
   * POSTs one body and resolves with the 2xx answer. Anything else throws a TributaryError:
   * SINK_UNAVAILABLE (retriable) for network errors, timeouts, 408, 429 and 5xx, with
   * `details.retryAfterMs` from `Retry-After`; SINK_REJECTED for the other statuses, with the
   * destination's reason.
   */
  async post(post: HttpPost): Promise<HttpAnswer> {
    const headers: Record<string, string | number> = { ...post.headers, 'content-type': post.contentType };
    let body = post.body;
    if (post.compression === 'gzip') {
      body = await gzipAsync(body);
      headers['content-encoding'] = 'gzip';
      post.bodyDone?.();
    }
    headers['content-length'] = body.length;
    let answer: { status: number; headers: IncomingHttpHeaders; body: Buffer };
    try {
      answer = await this.send(new URL(post.url), headers, body, post.timeoutMs, post.compression === 'gzip' ? undefined : post.bodyDone);
    } catch (err) {
      const reason = err instanceof RequestTimeout ? `no answer within ${post.timeoutMs} ms` : (err as Error).message;
      throw new TributaryError('SINK_UNAVAILABLE', `POST ${urlWithoutSecrets(post.url)} failed: ${reason}`, { retriable: true, cause: err });
    }
    const { status } = answer;
    if (status >= 200 && status < 300) return answer;
    const reason = reasonOf(answer.body);
    // Messages reach the logs and the dead-letter headers, which anyone with an admin token reads: no credentials.
    const message = `POST ${urlWithoutSecrets(post.url)} answered ${status}${reason ? `: ${reason}` : ''}`;
    if (isRetriableStatus(status)) {
      const retryAfter = answer.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      throw new TributaryError('SINK_UNAVAILABLE', message, { retriable: true, details: { status, retryAfterMs } });
    }
    throw new TributaryError('SINK_REJECTED', message, { details: { status, reason } });
  }

  /** Closes the idle connections; requests in flight finish. */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  private send(url: URL, headers: Record<string, string | number>, body: Uint8Array, timeoutMs: number, bodyDone?: () => void): Promise<HttpAnswer> {
    const secure = url.protocol === 'https:';
    const request = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent: secure ? this.https : this.http }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // More than any answer needs (a partial success, a reason): the status stands, the rest is not read.
          if (size >= MAX_ANSWER_BYTES) {
            res.removeAllListeners('data');
            done();
            req.destroy();
          }
        });
        res.on('end', done);
        res.on('error', fail);
      });
      // The whole exchange, from sending to the answer's last byte, within the timeout.
      const timer = setTimeout(() => req.destroy(new RequestTimeout()), timeoutMs);
      function fail(err: Error): void {
        clearTimeout(timer);
        reject(err);
      }
      req.on('error', fail);
      // Closed: the body was written whole, or the connection ended; either way no more of it is sent.
      if (bodyDone) req.once('close', bodyDone);
      req.end(body);
    });
  }
}

class RequestTimeout extends Error {
  constructor() {
    super('request timed out');
  }
}
