/** Runs on: a sink worker. */
import { RESPONSE_FIELD } from '../../otlp/field-numbers.js';
import { LEN, VARINT, WireReader } from '../../otlp/wire-reader.js';

export interface PartialSuccess {
  rejected: number;
  message: string;
}

/**
 * Reads `partial_success` of an Export*ServiceResponse: rejected_spans / rejected_data_points /
 * rejected_log_records and error_message.
 * Answers that are empty or not protobuf (some servers answer text) mean full success.
 */
export function readPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  try {
    const outer = new WireReader(body, 0, body.length);
    while (outer.next()) {
      if (outer.field !== RESPONSE_FIELD.partialSuccess || outer.wireType !== LEN) continue;
      const result: PartialSuccess = { rejected: 0, message: '' };
      const inner = new WireReader(body, outer.valueStart, outer.valueEnd);
      while (inner.next()) {
        if (inner.field === RESPONSE_FIELD.rejected && inner.wireType === VARINT) result.rejected = inner.varint;
        else if (inner.field === RESPONSE_FIELD.errorMessage && inner.wireType === LEN) result.message = Buffer.from(inner.bytes()).toString('utf8');
      }
      return result;
    }
  } catch {
    // Not a protobuf answer: nothing to report.
  }
  return undefined;
}
