/** Runs on: a sink worker. */
import { LEN, VARINT, WireReader } from '../../otlp/wire-reader.js';

export interface PartialSuccess {
  rejected: number;
  message: string;
}

/**
 * Reads `partial_success` (field 1) of an Export*ServiceResponse: rejected_spans /
 * rejected_data_points / rejected_log_records (field 1, int64) and error_message (field 2).
 * Answers that are empty or not protobuf (some servers answer text) mean full success.
 */
export function readPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  try {
    const outer = new WireReader(body, 0, body.length);
    while (outer.next()) {
      if (outer.field !== 1 || outer.wireType !== LEN) continue;
      const result: PartialSuccess = { rejected: 0, message: '' };
      const inner = new WireReader(body, outer.valueStart, outer.valueEnd);
      while (inner.next()) {
        if (inner.field === 1 && inner.wireType === VARINT) result.rejected = inner.varint;
        else if (inner.field === 2 && inner.wireType === LEN) result.message = Buffer.from(inner.bytes()).toString('utf8');
      }
      return result;
    }
  } catch {
    // Not a protobuf answer: nothing to report.
  }
  return undefined;
}
