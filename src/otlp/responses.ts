// Runs on: main thread (the receiver's answers) and ingest workers (partial success).
import { RESPONSE_FIELD } from './field-numbers.js';
import type { Signal } from './signals.js';
import { LEN, VARINT } from './wire-reader.js';
import { WireWriter } from './wire-writer.js';

/** How a request was encoded; its response is written the same way. */
export type WireFormat = 'protobuf' | 'json';

/** The JSON name of the field of Export*PartialSuccess that counts rejected items. */
const REJECTED_FIELD: Readonly<Record<Signal, string>> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

/**
 * Export{Trace,Metrics,Logs}ServiceResponse: empty on full success, else partial_success with
 * the rejected count and error_message.
 */
export function encodeExportResponse(signal: Signal, rejected: number, errorMessage: string, format: WireFormat): Uint8Array | string {
  if (format === 'json') {
    if (rejected === 0) return '{}';
    return JSON.stringify({ partialSuccess: { [REJECTED_FIELD[signal]]: String(rejected), errorMessage } });
  }
  const w = new WireWriter(64 + errorMessage.length * 3);
  if (rejected > 0) {
    w.begin(RESPONSE_FIELD.partialSuccess).tag(RESPONSE_FIELD.rejected, VARINT).uvarint(rejected);
    if (errorMessage) w.tag(RESPONSE_FIELD.errorMessage, LEN).string(errorMessage);
    w.end();
  }
  return w.finish();
}

/** google.rpc.Code values the receiver answers with. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  INTERNAL: 13,
} as const;

/** google.rpc.Status { int32 code = 1; string message = 2; } for error responses. */
export function encodeStatus(code: number, message: string, format: WireFormat): Uint8Array | string {
  if (format === 'json') return JSON.stringify({ code, message });
  return new WireWriter(16 + message.length * 3).tag(1, 0).uvarint(code).tag(2, 2).string(message).finish();
}
