import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** Exports spans with the real OpenTelemetry exporter (which retries 503s, honouring Retry-After). */
export async function exportSpans(receiverUrl: string, spans: ReadableSpan[], timeoutMillis = 10_000): Promise<{ code: number; error?: Error }> {
  const exporter = new OTLPTraceExporter({ url: `${receiverUrl}/v1/traces`, timeoutMillis });
  try {
    return await new Promise((resolve) => exporter.export(spans, resolve));
  } finally {
    await exporter.shutdown();
  }
}

export function traceIdsOf(spans: ReadableSpan[]): string[] {
  return [...new Set(spans.map((s) => s.spanContext().traceId))].sort();
}

interface TopicJson {
  partitions: { partition: number; logStartOffset: number; highWatermark: number }[];
}

/**
 * The key of every record of a topic (for spans: the trace id), read through the admin API; the
 * offsets of each partition must run without a gap from its log start to its high watermark.
 */
export async function storedKeys(adminUrl: string, topic = 'otlp_spans'): Promise<string[]> {
  const info = (await (await fetch(`${adminUrl}/api/v1/topics/${topic}`)).json()) as TopicJson;
  const keys: string[] = [];
  for (const p of info.partitions) {
    for (let offset = p.logStartOffset; offset < p.highWatermark; ) {
      const page = (await (await fetch(`${adminUrl}/api/v1/topics/${topic}/records?partition=${p.partition}&offset=${offset}&limit=1000`)).json()) as {
        records: { offset: number; key: string }[];
      };
      if (page.records.length === 0) throw new Error(`${topic}-${p.partition}: no records from offset ${offset} below the high watermark ${p.highWatermark}`);
      for (const r of page.records) {
        if (r.offset !== offset) throw new Error(`${topic}-${p.partition}: offset ${r.offset} where ${offset} was expected`);
        keys.push(Buffer.from(r.key, 'base64').toString('utf8'));
        offset++;
      }
    }
  }
  return keys.sort();
}
