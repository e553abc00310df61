/**
 * Runs on: main thread.
 *
 * A sink's settings as the API and the CLI show them: secrets replaced, so that listing the
 * pipelines never hands out a backend's credentials. Every header value is taken for a secret
 * (Authorization, API keys and tenant tokens all travel there), as is any key that names one and
 * the credentials in a URL.
 */
import { REDACTED, SECRET_KEY, urlWithoutSecrets } from '../url-without-secrets.js';

export function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) ? REDACTED : urlWithoutSecrets(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, key));
  if (value === null || typeof value !== 'object') return value;
  const isHeaders = /^headers$/i.test(key);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isHeaders ? REDACTED : redactSecrets(v, k)]));
}
