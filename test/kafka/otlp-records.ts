import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { protoToJson } from '../../src/otlp/proto-to-json.js';
import { makeLogs, makeSpans } from '../otlp/fixtures.js';
import { send } from '../otlp/send.js';


/** Sends spans through the real OTLP/protobuf exporter; returns their span ids. */
export async function sendSpans(receiverUrl: string, traces: number, spansPerTrace: number): Promise<string[]> {
  const spans = makeSpans({ service: 'checkout', traces, spansPerTrace });
  await send(new OTLPTraceExporter({ url: `${receiverUrl}/v1/traces`, timeoutMillis: 30_000 }), spans);
  return spans.map((s) => s.spanContext().spanId);
}

/** Sends log records through the real OTLP/protobuf exporter; returns how many. */
export async function sendLogs(receiverUrl: string, count: number): Promise<number> {
  await send(new OTLPLogExporter({ url: `${receiverUrl}/v1/logs`, timeoutMillis: 30_000 }), makeLogs({ service: 'payment', logs: count, events: 0 }));
  return count;
}

type Tree = Record<string, Record<string, Record<string, unknown>[]>[]>[];

/** The span ids in one record's value, decoded alone as an ExportTraceServiceRequest. */
export function spanIdsOf(value: Uint8Array): string[] {
  const json = protoToJson(value, 'ExportTraceServiceRequest');
  return (json.resourceSpans as Tree).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.spanId as string)));
}

/** The log records in one record's value, decoded alone as an ExportLogsServiceRequest. */
export function logCountOf(value: Uint8Array): number {
  const json = protoToJson(value, 'ExportLogsServiceRequest');
  return (json.resourceLogs as Tree).reduce((n, r) => n + r.scopeLogs.reduce((m, s) => m + s.logRecords.length, 0), 0);
}

/** Splits kcat's `-f '%R%s'` output: each value behind its 32-bit big-endian length. */
export function lengthPrefixed(out: Buffer): Buffer[] {
  const values: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= out.length) {
    const n = out.readInt32BE(pos);
    pos += 4;
    values.push(out.subarray(pos, pos + Math.max(0, n)));
    pos += Math.max(0, n);
  }
  return values;
}
