/**
 * Runs on: main thread.
 *
 * A sink's settings as the API and the CLI show them: secrets replaced, so that listing the
 * pipelines never hands out a backend's credentials. Every header value is taken for a secret
 * (Authorization, API keys and tenant tokens all travel there), as is any key that names one and
 * the password in a URL.
 */
export const REDACTED = '<redacted>';

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|credential/i;

export function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) ? REDACTED : withoutUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, key));
  if (value === null || typeof value !== 'object') return value;
  const isHeaders = /^headers$/i.test(key);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isHeaders ? REDACTED : redactSecrets(v, k)]));
}

function withoutUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(text)) return text;
  const url = new URL(text);
  url.password = REDACTED;
  return url.toString().replace(encodeURIComponent(REDACTED), REDACTED);
}
